package org.cmglab.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.cmglab.lab.azurite.AzuriteLauncher;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.NodeList;
import picocli.CommandLine;

/**
 * docker/compose.yaml and docker/Dockerfile cannot be run where there is no Docker engine, so this test keeps them
 * consistent with the code: service names, jar paths, config files, admin endpoints and start order from
 * {@link LabPlan}; the Azurite image, host and ports from {@link AzuriteLauncher} and {@link LabPlan}; the
 * {@code plan} subcommand and its options from {@link CmgLabMain}; client-sim's options from its source; the jars
 * the Dockerfile copies from the root pom's runnable modules. Every check names the file, the service and what
 * differs.
 */
class DockerFilesTest {
    static final String COMPOSE = "docker/compose.yaml";
    static final String DOCKERFILE = "docker/Dockerfile";
    static final String DOCKERIGNORE = "docker/Dockerfile.dockerignore";
    static final String PLAN_SERVICE = "plan";
    static final String AZURITE_SERVICE = "azurite";
    static final String CLIENT_SERVICE = "client";
    static final String DASHBOARD_SERVICE = "dashboard";
    static final String STATE_VOLUME = "cmglab-state";
    static final String STATE_MOUNT = "/state";

    static Path home;
    static JsonNode compose;
    static JsonNode services;
    static Dockerfile dockerfile;

    @TempDir
    Path tmp;

    @BeforeAll
    static void read() throws IOException {
        home = LabPlan.findHome();
        compose = new YAMLMapper().readTree(home.resolve(COMPOSE).toFile());
        services = compose.path("services");
        assertThat(services.isObject()).as(COMPOSE + ": no services: mapping").isTrue();
        dockerfile = Dockerfile.parse(Files.readString(home.resolve(DOCKERFILE), StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ the plan the containers share

    /** The {@code plan} service's command: {@code java -D… -jar <lab.jar> plan <options>}. */
    static JavaCommand planCommand() {
        return JavaCommand.of(PLAN_SERVICE, service(PLAN_SERVICE));
    }

    /** The LabPlan the {@code plan} service writes, parsed with CmgLabMain's own picocli model. */
    static LabPlan containerPlan() {
        JavaCommand cmd = planCommand();
        CommandLine.ParseResult pr = new CommandLine(new CmgLabMain()).parseArgs(cmd.args().toArray(String[]::new));
        assertThat(pr.subcommand()).as(COMPOSE + " service plan: command %s has no cmglab subcommand", cmd.args())
                .isNotNull();
        Object sub = pr.subcommand().commandSpec().userObject();
        assertThat(sub).as(COMPOSE + " service plan: runs `%s`, expected the `plan` subcommand of CmgLabMain",
                pr.subcommand().commandSpec().name()).isInstanceOf(CmgLabMain.Plan.class);
        String h = cmd.sysProps().get("cmglab.home");
        assertThat(h).as(COMPOSE + " service plan: needs -Dcmglab.home=<image install dir> (the image has no cmglab"
                + " script or pom.xml for LabPlan.findHome())").isNotNull();
        return ((CmgLabMain.Plan) sub).lab.toPlan(Path.of(h));
    }

    @Test
    void planServiceRunsThePlanSubcommandOfTheLabJarInTheImage() {
        List<String> problems = new ArrayList<>();
        JavaCommand cmd = planCommand();
        LabPlan plan = containerPlan();
        check(problems, plan.home().toString().equals(dockerfile.runtimeWorkdir()),
                "service plan: -Dcmglab.home=%s, but the Dockerfile installs the jars under WORKDIR %s",
                plan.home(), dockerfile.runtimeWorkdir());
        check(problems, cmd.jar().equals(plan.jar("lab").toString()),
                "service plan: runs %s, expected LabPlan.jar(\"lab\") = %s", cmd.jar(), plan.jar("lab"));
        check(problems, plan.stateDir().toString().equals(STATE_MOUNT),
                "service plan: --state %s, expected the volume mount %s", plan.stateDir(), STATE_MOUNT);
        check(problems, plan.net() == LabPlan.DEFAULT_NET,
                "service plan: --net %d, but the addresses in the compose file are for LabPlan.DEFAULT_NET %d",
                plan.net(), LabPlan.DEFAULT_NET);
        check(problems, plan.portOffset() == 0,
                "service plan: port offset %d, expected 0 (root in the container, real ports)", plan.portOffset());
        check(problems, "no".equals(service(PLAN_SERVICE).path("restart").asText()),
                "service plan: restart is '%s', expected \"no\" (it runs once)",
                service(PLAN_SERVICE).path("restart").asText());
        assertNoProblems(problems);
    }

    @Test
    void planSubcommandWritesEveryConfigTheServicesRead() throws Exception {
        // run the plan service's own command line, with its state folder moved to a temporary one
        List<String> args = new ArrayList<>(planCommand().args());
        int i = args.indexOf("--state");
        assertThat(i).as(COMPOSE + " service plan: no --state option").isNotNegative();
        Path state = tmp.resolve("state");
        args.set(i + 1, state.toString());
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        CommandLine cl = new CommandLine(new CmgLabMain());
        CommandLine.ParseResult pr = cl.parseArgs(args.toArray(String[]::new));
        CmgLabMain.Plan planCmd = (CmgLabMain.Plan) pr.subcommand().commandSpec().userObject();
        int code = planCmd.run(out);
        String printed = buf.toString(StandardCharsets.UTF_8);
        assertThat(code).as("cmglab %s exited %d:%n%s", args, code, printed).isZero();
        assertThat(printed).contains(state.resolve("config").toString()).contains(state.resolve("pki").toString());

        List<String> problems = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = services.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals(PLAN_SERVICE) || e.getKey().equals(AZURITE_SERVICE)
                    || e.getKey().equals(DASHBOARD_SERVICE)) { // the dashboard reads the state folder (--state)
                continue;
            }
            JavaCommand c = JavaCommand.of(e.getKey(), e.getValue());
            int ci = c.args().indexOf("--config");
            if (ci < 0 || ci + 1 >= c.args().size()) {
                problems.add("service " + e.getKey() + ": no --config <file> in " + c.args());
                continue;
            }
            String config = c.args().get(ci + 1);
            check(problems, config.startsWith(STATE_MOUNT + "/"),
                    "service %s: --config %s is not in the state volume %s", e.getKey(), config, STATE_MOUNT);
            Path written = state.resolve(Path.of(STATE_MOUNT).relativize(Path.of(config)).toString());
            check(problems, Files.isRegularFile(written),
                    "service %s: --config %s, but `cmglab plan` wrote no %s (it wrote %s)", e.getKey(), config,
                    written.getFileName(), listing(state.resolve("config")));
        }
        assertNoProblems(problems);
        assertThat(new CommandLine(new CmgLabMain()).getSubcommands()).containsKeys("plan", "demo");
    }

    // ------------------------------------------------------------------ components

    @Test
    void everyComponentHasItsServiceJarConfigHealthcheckAndStartOrder() {
        LabPlan plan = containerPlan();
        List<String> problems = new ArrayList<>();
        List<LabPlan.Component> components = plan.components();
        for (int i = 0; i < components.size(); i++) {
            LabPlan.Component c = components.get(i);
            JsonNode s = services.get(c.name());
            if (s == null) {
                problems.add("no service '" + c.name() + "' for LabPlan component " + c.name() + " (services: "
                        + names(services) + ")");
                continue;
            }
            String where = "service " + c.name() + ": ";
            JavaCommand cmd = JavaCommand.of(c.name(), s);
            check(problems, cmd.jar().equals(plan.jar(c.module()).toString()),
                    where + "runs %s, expected module %s's jar LabPlan.jar(\"%s\") = %s", cmd.jar(), c.module(),
                    c.module(), plan.jar(c.module()));
            List<String> expectedArgs = List.of("--config", plan.configFile(c.name()).toString());
            check(problems, cmd.args().equals(expectedArgs),
                    where + "arguments %s, expected %s (LabPlan.configFile(\"%s\"), as ComponentProcess starts it)",
                    cmd.args(), expectedArgs, c.name());
            checkStateVolume(problems, c.name(), s);

            // healthcheck: the component's admin /ready
            JsonNode test = s.path("healthcheck").path("test");
            URI url = healthUrl(test);
            if (url == null) {
                problems.add(where + "healthcheck.test " + test + " calls no http:// URL (expected http://"
                        + c.admin() + "/ready)");
            } else {
                check(problems, (url.getHost() + ":" + url.getPort()).equals(c.admin().toString()),
                        where + "healthcheck calls %s:%d, but LabPlan's admin endpoint of %s is %s", url.getHost(),
                        url.getPort(), c.name(), c.admin());
                check(problems, "/ready".equals(url.getPath()),
                        where + "healthcheck calls path %s, expected /ready", url.getPath());
                String tool = test.isArray() && test.size() > 1 ? test.get(1).asText() : "";
                check(problems, !tool.equals("curl") || dockerfile.installs("curl"),
                        where + "healthcheck uses curl, but the Dockerfile's runtime stage does not install it");
            }

            // start order: plan done, then the previous component (Azurite before the first) healthy
            Map<String, String> expectedDeps = new LinkedHashMap<>();
            expectedDeps.put(PLAN_SERVICE, "service_completed_successfully");
            expectedDeps.put(i == 0 ? AZURITE_SERVICE : components.get(i - 1).name(), "service_healthy");
            Map<String, String> deps = dependsOn(s);
            check(problems, deps.equals(expectedDeps),
                    where + "depends_on %s, expected %s (LabPlan.components() start order: %s, after Azurite)", deps,
                    expectedDeps, components.stream().map(LabPlan.Component::name).toList());
        }
        assertNoProblems(problems);
    }

    @Test
    void everyServiceUsesTheHostNetworkAndIsKnown() {
        LabPlan plan = containerPlan();
        Set<String> known = new LinkedHashSet<>(List.of(PLAN_SERVICE, AZURITE_SERVICE, CLIENT_SERVICE,
                DASHBOARD_SERVICE));
        plan.components().forEach(c -> known.add(c.name()));
        List<String> problems = new ArrayList<>();
        for (String name : names(services)) {
            JsonNode s = services.get(name);
            check(problems, "host".equals(s.path("network_mode").asText()),
                    "service %s: network_mode is '%s', expected host (loopback addresses 127.%d.x.y and real ports"
                            + " shared with the host)", name, s.path("network_mode").asText(), plan.net());
            check(problems, known.contains(name),
                    "service %s is not a LabPlan component, plan, azurite or client: teach DockerFilesTest about it",
                    name);
            check(problems, !s.has("ports") && !s.has("networks"),
                    "service %s: ports/networks do not apply with network_mode host", name);
        }
        for (String name : known) {
            check(problems, services.has(name), "no service '%s' (services: %s)", name, names(services));
        }
        check(problems, compose.path("volumes").has(STATE_VOLUME), "no top-level volume %s", STATE_VOLUME);
        checkStateVolume(problems, PLAN_SERVICE, service(PLAN_SERVICE));
        assertNoProblems(problems);
    }

    // ------------------------------------------------------------------ Azurite

    @Test
    void azuriteIsThePinnedImageOnTheLabAddressAndPorts() {
        LabPlan plan = containerPlan();
        JsonNode s = service(AZURITE_SERVICE);
        List<String> problems = new ArrayList<>();
        check(problems, AzuriteLauncher.DOCKER_IMAGE.equals(s.path("image").asText()),
                "service azurite: image %s, expected AzuriteLauncher.DOCKER_IMAGE %s", s.path("image").asText(),
                AzuriteLauncher.DOCKER_IMAGE);
        List<String> cmd = command(AZURITE_SERVICE, s);
        check(problems, !cmd.isEmpty() && cmd.get(0).equals("azurite"),
                "service azurite: command %s does not start with azurite", cmd);
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("--blobHost", plan.azuriteAddress());
        expected.put("--blobPort", Integer.toString(plan.azuriteBlobPort()));
        expected.put("--queueHost", plan.azuriteAddress());
        expected.put("--queuePort", Integer.toString(plan.azuriteQueuePort()));
        expected.put("--tableHost", plan.azuriteAddress());
        expected.put("--tablePort", Integer.toString(plan.azuriteTablePort()));
        for (Map.Entry<String, String> e : expected.entrySet()) {
            int i = cmd.indexOf(e.getKey());
            String actual = i >= 0 && i + 1 < cmd.size() ? cmd.get(i + 1) : null;
            check(problems, e.getValue().equals(actual), "service azurite: %s %s, expected %s (LabPlan)", e.getKey(),
                    actual, e.getValue());
        }
        check(problems, cmd.contains("--disableTelemetry"), "service azurite: command %s lacks --disableTelemetry",
                cmd);
        int li = cmd.indexOf("--location");
        String location = li >= 0 && li + 1 < cmd.size() ? cmd.get(li + 1) : null;
        check(problems, location != null && mounts(s).containsValue(location),
                "service azurite: --location %s is not a mounted volume (mounts: %s)", location, mounts(s));
        JsonNode test = s.path("healthcheck").path("test");
        String joined = test.toString();
        check(problems, joined.contains("'" + plan.azuriteAddress() + "'")
                        && joined.contains(Integer.toString(plan.azuriteBlobPort())),
                "service azurite: healthcheck %s does not probe the blob endpoint %s:%d", joined,
                plan.azuriteAddress(), plan.azuriteBlobPort());
        assertNoProblems(problems);
    }

    // ------------------------------------------------------------------ client

    @Test
    void clientRunsClientSimMplistWithOptionsItHas() throws IOException {
        LabPlan plan = containerPlan();
        JsonNode s = service(CLIENT_SERVICE);
        List<String> problems = new ArrayList<>();
        JavaCommand cmd = JavaCommand.of(CLIENT_SERVICE, s);
        check(problems, cmd.jar().equals(plan.jar(LabPlan.CLIENT_SIM).toString()),
                "service client: runs %s, expected LabPlan.jar(\"client-sim\") = %s", cmd.jar(),
                plan.jar(LabPlan.CLIENT_SIM));
        int ci = cmd.args().indexOf("--config");
        String config = ci >= 0 && ci + 1 < cmd.args().size() ? cmd.args().get(ci + 1) : null;
        check(problems, plan.configFile(LabPlan.CLIENT_SIM).toString().equals(config),
                "service client: --config %s, expected LabPlan.configFile(\"client-sim\") = %s", config,
                plan.configFile(LabPlan.CLIENT_SIM));
        check(problems, cmd.args().contains("mplist"), "service client: command %s does not run mplist", cmd.args());

        // the options and subcommands client-sim declares (picocli annotations in its main class)
        Path src = home.resolve("client-sim/src/main/java/org/cmglab/client/ClientSimMain.java");
        String java = Files.readString(src, StandardCharsets.UTF_8);
        Set<String> options = new LinkedHashSet<>();
        Matcher om = Pattern.compile("@Option\\(\\s*names\\s*=\\s*(\\{[^}]*}|\"[^\"]*\")").matcher(java);
        while (om.find()) {
            Matcher q = Pattern.compile("\"([^\"]+)\"").matcher(om.group(1));
            while (q.find()) {
                options.add(q.group(1));
            }
        }
        Set<String> commands = new LinkedHashSet<>();
        Matcher cm = Pattern.compile("@Command\\(\\s*name\\s*=\\s*\"([^\"]+)\"").matcher(java);
        while (cm.find()) {
            commands.add(cm.group(1));
        }
        for (String a : cmd.args()) {
            if (a.startsWith("-")) {
                check(problems, options.contains(a), "service client: option %s is not a client-sim option (%s: %s)",
                        a, home.relativize(src), options);
            }
        }
        check(problems, commands.contains("mplist"), "client-sim has no mplist subcommand (%s: %s)",
                home.relativize(src), commands);
        check(problems, s.path("profiles").toString().contains("\"demo\""),
                "service client: profiles %s, expected [demo] (it runs on request: --profile demo run client)",
                s.path("profiles"));
        List<LabPlan.Component> components = plan.components();
        Map<String, String> expectedDeps = new LinkedHashMap<>();
        expectedDeps.put(PLAN_SERVICE, "service_completed_successfully");
        expectedDeps.put(components.get(components.size() - 1).name(), "service_healthy");
        check(problems, dependsOn(s).equals(expectedDeps), "service client: depends_on %s, expected %s",
                dependsOn(s), expectedDeps);
        checkStateVolume(problems, CLIENT_SERVICE, s);
        assertNoProblems(problems);
    }

    // ------------------------------------------------------------------ dashboard

    @Test
    void dashboardServesTheLivePageOfThePlansLabWithOptionsTheLabJarParses() {
        LabPlan plan = containerPlan();
        JsonNode s = service(DASHBOARD_SERVICE);
        List<String> problems = new ArrayList<>();
        JavaCommand cmd = JavaCommand.of(DASHBOARD_SERVICE, s);
        check(problems, cmd.jar().equals(plan.jar("lab").toString()), "service dashboard: runs %s, expected %s",
                cmd.jar(), plan.jar("lab"));
        check(problems, !cmd.args().isEmpty() && cmd.args().get(0).equals("dashboard"),
                "service dashboard: command %s does not run the dashboard subcommand", cmd.args());
        check(problems, cmd.args().equals(List.of("dashboard", "--state", STATE_MOUNT, "--net",
                        String.valueOf(plan.net()), "--port-offset", String.valueOf(plan.portOffset()))),
                "service dashboard: args %s, expected the plan service's --state, --net and --port-offset", cmd.args());
        // the real command line accepts exactly these arguments
        picocli.CommandLine cl = new picocli.CommandLine(new CmgLabMain());
        try {
            picocli.CommandLine.ParseResult r = cl.parseArgs(cmd.args().toArray(String[]::new));
            check(problems, r.subcommand() != null && r.subcommand().commandSpec().name().equals("dashboard"),
                    "service dashboard: %s does not select cmglab's dashboard subcommand", cmd.args());
        } catch (picocli.CommandLine.ParameterException e) {
            problems.add("service dashboard: cmglab rejects " + cmd.args() + ": " + e.getMessage());
        }
        String health = s.path("healthcheck").path("test").toString();
        check(problems, health.contains("http://" + plan.dashboard() + "/health"),
                "service dashboard: healthcheck %s, expected a GET of http://%s/health", health, plan.dashboard());
        check(problems, dependsOn(s).equals(Map.of(PLAN_SERVICE, "service_completed_successfully")),
                "service dashboard: depends_on %s, expected plan completed", dependsOn(s));
        checkStateVolume(problems, DASHBOARD_SERVICE, s);
        assertNoProblems(problems);
    }

    // ------------------------------------------------------------------ image

    @Test
    void everyJarTheComposeFileRunsIsARunnableModuleTheDockerfileCopies() throws Exception {
        LabPlan plan = containerPlan();
        Set<String> rootModules = rootPomModules();
        Map<String, String> modules = new LinkedHashMap<>(); // module → service
        Pattern jarPath = Pattern.compile(Pattern.quote(plan.home().toString()) + "/([^/]+)/target/([^/]+)\\.jar");
        List<String> problems = new ArrayList<>();
        for (String name : names(services)) {
            JsonNode s = services.get(name);
            if (name.equals(AZURITE_SERVICE)) {
                continue;
            }
            String jar = JavaCommand.of(name, s).jar();
            Matcher m = jarPath.matcher(jar);
            if (!m.matches() || !m.group(1).equals(m.group(2))) {
                problems.add("service " + name + ": jar " + jar + " is not " + plan.home() + "/<module>/target/<module>.jar");
                continue;
            }
            modules.putIfAbsent(m.group(1), name);
            // one image, built from the repository root with docker/Dockerfile
            JsonNode build = s.path("build");
            check(problems, build.isObject(), "service %s: no build: {context: .., dockerfile: %s}", name, DOCKERFILE);
            Path context = home.resolve("docker").resolve(build.path("context").asText("")).normalize();
            check(problems, context.equals(home),
                    "service %s: build.context %s is %s, expected the repository root %s", name,
                    build.path("context").asText(), context, home);
            check(problems, DOCKERFILE.equals(build.path("dockerfile").asText()),
                    "service %s: build.dockerfile %s, expected %s (relative to the context)", name,
                    build.path("dockerfile").asText(), DOCKERFILE);
            check(problems, "cmglab:local".equals(s.path("image").asText()),
                    "service %s: image %s, expected cmglab:local (one image for every Java service)", name,
                    s.path("image").asText());
        }
        for (Map.Entry<String, String> e : modules.entrySet()) {
            String module = e.getKey();
            String where = "service " + e.getValue() + " runs module " + module + ": ";
            check(problems, rootModules.contains(module), where + "not a <module> of the root pom.xml %s", rootModules);
            check(problems, Files.exists(home.resolve(module).resolve(".executable")),
                    where + "%s/.executable is missing, so Maven builds no %s/target/%s.jar", module, module, module);
            String dest = plan.jar(module).toString();
            String src = dockerfile.copies().get(dest);
            String expectedSrc = dockerfile.buildWorkdir() + "/" + module + "/target/" + module + ".jar";
            check(problems, expectedSrc.equals(src),
                    where + "the Dockerfile copies %s to %s, expected COPY --from=build %s (copies: %s)", src, dest,
                    expectedSrc, dockerfile.copies());
        }
        assertNoProblems(problems);
    }

    @Test
    void dockerfileBuildsWithTheWrapperOnJava17AndKeepsTheSourcesInTheContext() throws IOException {
        List<String> problems = new ArrayList<>();
        check(problems, dockerfile.froms().size() == 2,
                "Dockerfile: %d stages %s, expected two (build, runtime)", dockerfile.froms().size(), dockerfile.froms());
        check(problems, dockerfile.froms().stream().allMatch(f -> f.contains(":17")),
                "Dockerfile: base images %s are not all Java 17", dockerfile.froms());
        check(problems, dockerfile.text().contains("./mvnw -B -q -DskipTests package"),
                "Dockerfile: the build stage does not run ./mvnw -B -q -DskipTests package");
        check(problems, dockerfile.froms().get(dockerfile.froms().size() - 1).startsWith("eclipse-temurin:17-jre"),
                "Dockerfile: runtime stage %s, expected eclipse-temurin:17-jre",
                dockerfile.froms().get(dockerfile.froms().size() - 1));
        List<String> ignored = Files.readAllLines(home.resolve(DOCKERIGNORE), StandardCharsets.UTF_8).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        for (String needed : List.of("pom.xml", "mvnw", ".mvn", "src", "**/src", "*/src", "common-proto", "lab")) {
            check(problems, !ignored.contains(needed) && !ignored.contains(needed + "/"),
                    "%s excludes %s, which the build needs", DOCKERIGNORE, needed);
        }
        check(problems, ignored.stream().anyMatch(l -> l.endsWith("target")),
                "%s does not exclude target/ folders", DOCKERIGNORE);
        assertNoProblems(problems);
    }

    // ------------------------------------------------------------------ helpers

    static JsonNode service(String name) {
        JsonNode s = services.get(name);
        assertThat(s).as(COMPOSE + ": no service '%s' (services: %s)", name, names(services)).isNotNull();
        return s;
    }

    static List<String> names(JsonNode obj) {
        List<String> out = new ArrayList<>();
        obj.fieldNames().forEachRemaining(out::add);
        return out;
    }

    /** A service's command as a list (the list form, or the string form split on blanks). */
    static List<String> command(String name, JsonNode s) {
        JsonNode c = s.path("command");
        List<String> out = new ArrayList<>();
        if (c.isArray()) {
            c.forEach(n -> out.add(n.asText()));
        } else if (c.isTextual()) {
            out.addAll(List.of(c.asText().strip().split("\\s+")));
        } else {
            throw new AssertionError(COMPOSE + " service " + name + ": no command");
        }
        return out;
    }

    /** {@code java [-Dk=v …] -jar <jar> <args>} of a service. */
    record JavaCommand(Map<String, String> sysProps, String jar, List<String> args) {
        static JavaCommand of(String name, JsonNode s) {
            List<String> cmd = command(name, s);
            int j = cmd.indexOf("-jar");
            if (cmd.isEmpty() || !cmd.get(0).equals("java") || j < 0 || j + 1 >= cmd.size()) {
                throw new AssertionError(COMPOSE + " service " + name + ": command " + cmd
                        + " is not java [-D…] -jar <jar> <args>");
            }
            Map<String, String> props = new LinkedHashMap<>();
            for (String a : cmd.subList(1, j)) {
                if (a.startsWith("-D") && a.contains("=")) {
                    props.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
                }
            }
            return new JavaCommand(props, cmd.get(j + 1), List.copyOf(cmd.subList(j + 2, cmd.size())));
        }
    }

    /** {@code depends_on} as service → condition (the short list form means service_started). */
    static Map<String, String> dependsOn(JsonNode s) {
        Map<String, String> out = new LinkedHashMap<>();
        JsonNode d = s.path("depends_on");
        if (d.isArray()) {
            d.forEach(n -> out.put(n.asText(), "service_started"));
        } else if (d.isObject()) {
            d.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().path("condition").asText("service_started")));
        }
        return out;
    }

    /** volume → container path of the short {@code volume:/path} mounts. */
    static Map<String, String> mounts(JsonNode s) {
        Map<String, String> out = new LinkedHashMap<>();
        s.path("volumes").forEach(v -> {
            String[] parts = v.asText().split(":");
            if (parts.length >= 2) {
                out.put(parts[0], parts[1]);
            }
        });
        return out;
    }

    static void checkStateVolume(List<String> problems, String name, JsonNode s) {
        check(problems, STATE_MOUNT.equals(mounts(s).get(STATE_VOLUME)),
                "service %s: volume %s is not mounted at %s (mounts: %s)", name, STATE_VOLUME, STATE_MOUNT, mounts(s));
    }

    /** The first http:// URL in a healthcheck test. */
    static URI healthUrl(JsonNode test) {
        List<String> parts = new ArrayList<>();
        if (test.isArray()) {
            test.forEach(n -> parts.add(n.asText()));
        } else {
            parts.addAll(List.of(test.asText().split("\\s+")));
        }
        for (String p : parts) {
            Matcher m = Pattern.compile("http://[^\\s'\"]+").matcher(p);
            if (m.find()) {
                return URI.create(m.group());
            }
        }
        return null;
    }

    static Set<String> rootPomModules() throws Exception {
        var f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(false);
        NodeList nodes = f.newDocumentBuilder().parse(home.resolve("pom.xml").toFile()).getElementsByTagName("module");
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            out.add(nodes.item(i).getTextContent().strip());
        }
        return out;
    }

    static String listing(Path dir) {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList().toString();
        } catch (IOException e) {
            return "(nothing: " + e + ")";
        }
    }

    static void check(List<String> problems, boolean ok, String format, Object... args) {
        if (!ok) {
            problems.add(String.format(format, args));
        }
    }

    static void assertNoProblems(List<String> problems) {
        if (!problems.isEmpty()) {
            fail(String.format("%s / %s disagree with the code:%n  %s", COMPOSE, DOCKERFILE,
                    String.join(System.lineSeparator() + "  ", problems)));
        }
    }

    /**
     * What the test needs from the Dockerfile: the stages' base images, the WORKDIR of the {@code build} stage and
     * of the last (runtime) stage, the {@code COPY --from=build} destinations (absolute) → sources, and whether
     * the runtime stage installs a package.
     */
    record Dockerfile(String text, List<String> froms, String buildWorkdir, String runtimeWorkdir,
            Map<String, String> copies, String runtimeText) {
        static Dockerfile parse(String text) {
            String joined = text.replaceAll("\\\\\\R", " ");
            List<String> froms = new ArrayList<>();
            String buildWorkdir = null;
            String workdir = null;
            String stage = null;
            Map<String, String> copies = new LinkedHashMap<>();
            StringBuilder runtime = new StringBuilder();
            for (String raw : joined.split("\\R")) {
                String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] t = line.split("\\s+");
                String op = t[0].toUpperCase(java.util.Locale.ROOT);
                switch (op) {
                    case "FROM" -> {
                        froms.add(t[1]);
                        stage = t.length >= 4 && t[2].equalsIgnoreCase("AS") ? t[3] : null;
                        workdir = "/";
                        runtime.setLength(0);
                    }
                    case "WORKDIR" -> {
                        workdir = t[1].startsWith("/") ? t[1] : workdir + "/" + t[1];
                        if ("build".equals(stage)) {
                            buildWorkdir = workdir;
                        }
                    }
                    case "COPY" -> {
                        if (t.length == 4 && t[1].equals("--from=build")) {
                            String dest = t[3].startsWith("/") ? t[3] : workdir + "/" + t[3];
                            copies.put(Path.of(dest).normalize().toString(), t[2]);
                        }
                    }
                    default -> { }
                }
                runtime.append(line).append('\n');
            }
            return new Dockerfile(text, froms, buildWorkdir, workdir, copies, runtime.toString());
        }

        /** Whether the runtime stage runs an {@code apt-get install} that names {@code pkg}. */
        boolean installs(String pkg) {
            return Pattern.compile("apt-get install[^\\n]*\\s" + Pattern.quote(pkg) + "(\\s|$)", Pattern.MULTILINE)
                    .matcher(runtimeText).find();
        }
    }
}
