package org.cmglab.lab;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.cmglab.lab.azurite.AzuriteLauncher;
import org.cmglab.lab.azurite.RunningAzurite;
import org.cmglab.proto.flow.FlowEvent;
import org.cmglab.proto.runtime.Json;

/**
 * The processes of one lab: Azurite, azure-sim, site-sim, service-connection-point (which deploys the CMG through
 * azure-sim: F1, the VM instances are azure-sim's children) and cmg-connection-point, each its own JVM, independent
 * ones started together ({@link LabStartup}), each awaited on its admin {@code /ready}; then the channel check (F2);
 * the one-shot client-sim; and the flow events of a trace. Closing stops everything (and builds the AppCDS archives
 * of jars that ran without one); a shutdown hook stops everything on Ctrl-C.
 */
public final class LabProcesses implements AutoCloseable {
    /** 30 s, or {@code -Dcmglab.readyTimeoutSeconds=N} (cmglab up's supervisor uses 90 s: busy machines start JVMs slowly). */
    public static final Duration READY_TIMEOUT = Duration.ofSeconds(Long.getLong("cmglab.readyTimeoutSeconds", 30));
    public static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);

    private final LabPlan plan;
    private final PrintStream out;
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(1))
            .proxy(HttpClient.Builder.NO_PROXY)
            .build();
    private final Map<String, ComponentProcess> components = new LinkedHashMap<>();
    private final List<ProcessHandle> clients = new ArrayList<>();
    /** The CMG VM instances azure-sim started (its children; recorded for the "every process gone" checks). */
    private final List<ProcessHandle> cloud = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Thread hook = new Thread(this::stopAll, "cmglab-stop");
    private RunningAzurite azurite;
    private final Map<String, List<String>> commandPrefixes = new java.util.concurrent.ConcurrentHashMap<>();

    /** The name {@link #commandPrefix} takes for Azurite (npm mode; a prefix also rules out the Docker mode). */
    public static final String AZURITE = "azurite";

    public LabProcesses(LabPlan plan, PrintStream out) {
        this.plan = plan;
        this.out = out;
        this.cds = org.cmglab.proto.runtime.ClassDataSharing.forLab(plan.stateDir().resolve("cds"));
        for (LabPlan.Component c : plan.components()) {
            ComponentProcess p = new ComponentProcess(c.name(), plan.jar(c.module()), c.config(), c.admin(),
                    plan.logDir(), http);
            p.jvmOptions(this::jvmOptions);
            components.put(c.name(), p);
        }
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** AppCDS for the lab's JVMs (archives in {@code <state>/cds} unless {@code -Dcmglab.cdsDir}); empty when off. */
    private final Optional<org.cmglab.proto.runtime.ClassDataSharing> cds;

    /**
     * The JVM options of a new process of {@code jar} (its AppCDS archive, or the class list to build it from), for
     * JVMs started next to the lab's (e.g. a test's client-sim runs): {@code ComponentProcess.javaCommand(jar,
     * lab.jvmOptions(jar), args)}.
     */
    public List<String> jvmOptions(Path jar) {
        return cds.map(c -> c.jvmOptions(jar)).orElse(List.of());
    }

    /**
     * Builds the AppCDS archives of the lab's jars that ran without one (from the class lists those runs left);
     * once per jar version. Called by {@link #close()} after every process has stopped.
     */
    public void buildClassDataArchives() {
        if (cds.isEmpty() || components.values().stream().allMatch(c -> c.process() == null)) {
            return; // off, or nothing started here (a session attached to the lab of cmglab up)
        }
        List<Path> jars = new ArrayList<>();
        for (LabPlan.Component c : plan.components()) {
            jars.add(plan.jar(c.module()));
        }
        jars.add(plan.jar(LabPlan.CMG_SERVICE));
        jars.add(plan.jar(LabPlan.CLIENT_SIM));
        long t0 = System.nanoTime();
        List<Path> built = cds.get().buildArchives(jars, Duration.ofSeconds(120));
        if (!built.isEmpty()) {
            out.printf("  AppCDS: built %d class-data archive(s) for the next starts in %s (%d ms)%n", built.size(),
                    cds.get().dir(), (System.nanoTime() - t0) / 1_000_000);
        }
    }

    /**
     * Words put before the command line of {@code name} (a component, {@link LabPlan#CLIENT_SIM} or {@link #AZURITE})
     * when it is started, e.g. {@code ip netns exec <ns>} to run it in a network namespace. Set before starting.
     */
    public void commandPrefix(String name, List<String> prefix) {
        List<String> p = List.copyOf(prefix);
        if (components.containsKey(name)) {
            component(name).commandPrefix(p);
        } else if (!name.equals(LabPlan.CLIENT_SIM) && !name.equals(AZURITE)) {
            throw new IllegalArgumentException("commandPrefix: " + name + " (expected a component, "
                    + LabPlan.CLIENT_SIM + " or " + AZURITE + ")");
        }
        commandPrefixes.put(name, p);
    }

    public LabPlan plan() {
        return plan;
    }

    /** The component process {@code name} ({@code site-sim}, {@code cmg-service-0}, {@code cmg-connection-point}). */
    public ComponentProcess component(String name) {
        ComponentProcess c = components.get(name);
        if (c == null) {
            throw new IllegalArgumentException("component: " + name + " (expected one of " + components.keySet() + ")");
        }
        return c;
    }

    public List<ComponentProcess> components() {
        return List.copyOf(components.values());
    }

    public Optional<RunningAzurite> azurite() {
        return Optional.ofNullable(azurite);
    }

    /** Starts Azurite on the lab's storage address and ports; prints its mode line. */
    public synchronized RunningAzurite startAzurite() {
        if (azurite == null) {
            azurite = AzuriteLauncher.builder()
                    .home(plan.home())
                    .workDir(plan.azuriteDir())
                    .host(plan.azuriteAddress())
                    .blobPort(plan.azuriteBlobPort())
                    .queuePort(plan.azuriteQueuePort())
                    .tablePort(plan.azuriteTablePort())
                    .account(LabPlan.PREFIX, storageKey())
                    .https(java.nio.file.Path.of(plan.azuriteTls().certFile()),
                            java.nio.file.Path.of(plan.azuriteTls().keyFile()))
                    .out(out)
                    .commandPrefix(commandPrefixes.getOrDefault(AZURITE, List.of()))
                    .build()
                    .start();
        }
        return azurite;
    }

    /** The CMG storage account's key from the state folder (generated there on first use). */
    private String storageKey() {
        try {
            return plan.storageKey();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read or create " + plan.storageKeyFile(), e);
        }
    }

    /**
     * Starts Azurite and every component, independent ones together ({@link LabStartup}: Azurite and azure-sim at
     * once; the service connection point, site-sim and the connection point once azure-sim and Azurite are ready),
     * each awaited on its admin /ready, and waits until the service connection point reports the CMG deployment Ready
     * (flow F1: azure-sim has started every VM instance) and the connection point has a channel.
     */
    public void startAll() throws InterruptedException {
        startAll(READY_TIMEOUT, DEPLOY_TIMEOUT);
    }

    /**
     * As {@link #startAll()}, each process given {@code readyTimeout} to answer its /ready and the deployment
     * {@code deployTimeout} (busy machines); returns how long each step took.
     */
    public LabStartup.Times startAll(Duration readyTimeout, Duration deployTimeout) throws InterruptedException {
        return new LabStartup(this, out).start(readyTimeout, deployTimeout, null);
    }

    /**
     * As {@link #startAll(Duration, Duration)}, but the connection point starts only after the deployment is Ready
     * and {@code beforeConnectionPoint} has run (e.g. a test that changes the connection point's config).
     */
    public LabStartup.Times startAll(Duration readyTimeout, Duration deployTimeout,
                                     LabStartup.BeforeConnectionPoint beforeConnectionPoint) throws InterruptedException {
        return new LabStartup(this, out).start(readyTimeout, deployTimeout,
                java.util.Objects.requireNonNull(beforeConnectionPoint, "beforeConnectionPoint"));
    }

    /** How long the SCP may take to deploy the CMG (azure-sim starts the instance JVMs together). */
    public static final Duration DEPLOY_TIMEOUT = Duration.ofSeconds(90);

    /** F1: waits until the SCP's status says {@code Ready}; fails fast on {@code Error} or if a process exits. */
    public JsonNode awaitDeployment(Duration timeout) throws InterruptedException {
        ComponentProcess scp = component(LabPlan.SCP);
        ComponentProcess azure = component(LabPlan.AZURE_SIM);
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no status yet";
        while (true) {
            try {
                JsonNode st = Json.MAPPER.readTree(scp.adminGet("/status"));
                String state = st.path("state").asText();
                if ("Ready".equals(state) && st.path("instances").size() == plan.instances()) {
                    for (JsonNode i : st.path("instances")) {
                        if (i.path("pid").canConvertToLong() && i.path("pid").asLong() > 0) {
                            ProcessHandle.of(i.path("pid").asLong()).ifPresent(cloud::add);
                        }
                    }
                    return st;
                }
                if ("Error".equals(state)) {
                    throw new IllegalStateException("F1 (service-connection-point → Azure): the deployment is in Error: "
                            + st.path("reason").asText() + "; see " + scp.outFile() + " and " + azure.outFile());
                }
                last = state + " " + st.path("reason").asText();
            } catch (IOException e) {
                last = e.toString();
            }
            if (!scp.isAlive() || !azure.isAlive()) {
                throw new IllegalStateException("F1: " + (scp.isAlive() ? azure : scp).name() + " exited; see "
                        + (scp.isAlive() ? azure : scp).outFile());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("F1 (service-connection-point → Azure): the CMG was not Ready within "
                        + timeout.toSeconds() + " s (" + last + "); see " + scp.outFile() + " and " + azure.outFile());
            }
            Thread.sleep(ComponentProcess.POLL.toMillis());
        }
    }

    /** GET on a loopback admin endpoint that is not one of the lab's own processes (e.g. a CMG VM instance). */
    public String adminGet(org.cmglab.proto.config.Endpoint at, String path) throws IOException, InterruptedException {
        var req = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + at + path))
                .timeout(Duration.ofSeconds(2)).GET().build();
        var res = http.send(req, java.net.http.HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) {
            throw new IOException("GET http://" + at + path + " → " + res.statusCode());
        }
        return res.body();
    }

    /**
     * POST (empty body) on a loopback admin endpoint; returns the body of a 200, else throws with the status and
     * body. Every admin POST of the lab goes through here (one place to add the admin credentials).
     */
    public String adminPost(org.cmglab.proto.config.Endpoint at, String pathAndQuery)
            throws IOException, InterruptedException {
        var req = org.cmglab.proto.runtime.AdminToken.authorize(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + at + pathAndQuery)),
                        org.cmglab.proto.runtime.AdminToken.read(plan.pkiDir()))
                .timeout(Duration.ofSeconds(5)).POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build();
        var res = http.send(req, java.net.http.HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) {
            throw new IOException("POST http://" + at + pathAndQuery + " → " + res.statusCode() + ": " + res.body().strip());
        }
        return res.body();
    }

    /**
     * F2: waits until every CMG instance reports at least one channel with {@code "ready": true} on its admin
     * {@code /status}; returns those channel entries. Fails fast if the connection point exits.
     */
    public List<JsonNode> awaitChannel(Duration timeout) throws InterruptedException {
        List<JsonNode> found = new ArrayList<>();
        for (int i = 0; i < plan.instances(); i++) {
            String cmg = LabPlan.cmgServiceName(i);
            ComponentProcess cp = component(LabPlan.CONNECTION_POINT);
            long deadline = System.nanoTime() + timeout.toNanos();
            String last = "no status yet";
            while (true) {
                try {
                    List<JsonNode> ready = readyChannels(adminGet(plan.cmgAdmin(i), "/status"));
                    if (!ready.isEmpty()) {
                        found.addAll(ready);
                        break;
                    }
                    last = "no ready channel in /status";
                } catch (IOException e) {
                    last = e.toString();
                }
                if (!cp.isAlive()) {
                    throw new IllegalStateException("F2 (cmg-connection-point → " + cmg
                            + "): the connection point exited; last lines of " + cp.outFile() + ":\n"
                            + ComponentProcess.tail(cp.outFile(), 20));
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("F2 (cmg-connection-point → " + cmg + "): no channel ready within "
                            + timeout.toSeconds() + " s (" + last + "); see " + cp.outFile() + " and "
                            + plan.logDir().resolve(cmg + ".out"));
                }
                Thread.sleep(ComponentProcess.POLL.toMillis());
            }
        }
        return found;
    }

    /** Waits until no CMG instance reports a ready channel (after the connection point was killed). */
    public void awaitNoChannel(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int i = 0; i < plan.instances(); i++) {
            while (true) {
                try {
                    if (readyChannels(adminGet(plan.cmgAdmin(i), "/status")).isEmpty()) {
                        break;
                    }
                } catch (IOException e) {
                    // keep polling
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(LabPlan.cmgServiceName(i) + " still reports a ready channel after "
                            + timeout.toSeconds() + " s");
                }
                Thread.sleep(ComponentProcess.POLL.toMillis());
            }
        }
    }

    /** The entries of {@code "channels"} whose {@code "ready"} is true (tolerates a missing or odd status). */
    public static List<JsonNode> readyChannels(String statusJson) {
        List<JsonNode> out = new ArrayList<>();
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(statusJson);
        } catch (IOException e) {
            return out;
        }
        JsonNode channels = root == null ? null : root.get("channels");
        if (channels != null && channels.isArray()) {
            for (JsonNode ch : channels) {
                if (ch.path("ready").asBoolean(false)) {
                    out.add(ch);
                }
            }
        }
        return out;
    }

    /** Kills a component (SIGKILL, like a crash) and waits until it is gone. */
    public void kill(String name) {
        component(name).kill();
    }

    /** Runs client-sim with the lab's client config: {@code mplist --trace <id>}. */
    public ClientRun runClient(String traceId, String... extraArgs) throws InterruptedException {
        return runClient(plan.configFile(LabPlan.CLIENT_SIM), traceId, List.of(extraArgs));
    }

    /**
     * Runs {@code java -jar client-sim.jar --config <config> mplist --trace <id> <extraArgs>} to completion; its
     * output is appended to {@code logs/client-sim.out} and parsed for the {@code RESULT <json>} line.
     */
    public ClientRun runClient(Path config, String traceId, List<String> extraArgs) throws InterruptedException {
        return runClientCommand(config, "mplist", traceId, extraArgs);
    }

    /**
     * Runs {@code java -jar client-sim.jar --config <config> <subcommand> --trace <id> <extraArgs>} to completion
     * (e.g. {@code lifecycle}), as {@link #runClient(Path, String, List)} does for {@code mplist}.
     */
    public ClientRun runClientCommand(Path config, String subcommand, String traceId, List<String> extraArgs)
            throws InterruptedException {
        Path jar = plan.jar(LabPlan.CLIENT_SIM);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("client-sim: " + jar + " is missing (build with ./mvnw -B -DskipTests package)");
        }
        List<String> args = new ArrayList<>(List.of("--config", config.toString(), subcommand, "--trace", traceId));
        args.addAll(extraArgs);
        Process p;
        try {
            p = new ProcessBuilder(ComponentProcess.prefixed(commandPrefixes.getOrDefault(LabPlan.CLIENT_SIM, List.of()),
                    ComponentProcess.javaCommand(jar, jvmOptions(jar), args))).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start client-sim: " + e.getMessage(), e);
        }
        synchronized (clients) {
            clients.add(p.toHandle());
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                in.transferTo(buf);
            } catch (IOException ignored) {
                // process gone
            }
        }, "client-sim-output");
        reader.setDaemon(true);
        reader.start();
        if (!p.waitFor(CLIENT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        reader.join(5_000);
        String output;
        synchronized (buf) {
            output = buf.toString(StandardCharsets.UTF_8);
        }
        try {
            Files.createDirectories(plan.logDir());
            Files.writeString(plan.logDir().resolve("client-sim.out"),
                    "--- client-sim " + String.join(" ", args) + "\n" + output,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            out.println("  (cannot append to client-sim.out: " + e + ")");
        }
        return new ClientRun(traceId, p.exitValue(), parseResult(output), output);
    }

    /** The JSON of the last {@code RESULT } line, or null. */
    static JsonNode parseResult(String output) {
        JsonNode result = null;
        for (String line : output.split("\\R")) {
            if (line.startsWith("RESULT ")) {
                try {
                    result = Json.MAPPER.readTree(line.substring("RESULT ".length()));
                } catch (IOException e) {
                    // not JSON; keep looking
                }
            }
        }
        return result;
    }

    /**
     * The flow events of one trace and where they came from.
     *
     * @param events      every event of the trace (unordered)
     * @param unreachable components whose admin endpoint did not answer (their JSON-lines file was read instead)
     */
    public record TraceEvents(List<FlowEvent> events, List<String> unreachable) {}

    /**
     * Collects {@code /events?trace=<id>} from every component's admin endpoint (the component's
     * {@code flow-<name>.jsonl} when it does not answer) plus client-sim's {@code flow-client-sim.jsonl}. Polls
     * briefly until the six basic-flow hops are there or the set stops growing, since a component records a
     * response hop just after it sent it.
     */
    public TraceEvents collectEvents(String traceId) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        TraceEvents last = collectOnce(traceId);
        int stableRounds = 0;
        while (System.nanoTime() < deadline && stableRounds < 3) {
            List<FlowEvent> have = last.events();
            boolean complete = HopTrace.BASIC_FLOW.stream()
                    .allMatch(h -> HopTrace.find(have, h).isPresent());
            if (complete) {
                return last;
            }
            Thread.sleep(ComponentProcess.POLL.toMillis());
            TraceEvents next = collectOnce(traceId);
            stableRounds = next.events().size() == last.events().size() ? stableRounds + 1 : 0;
            last = next;
        }
        return last;
    }

    private TraceEvents collectOnce(String traceId) {
        List<FlowEvent> events = new ArrayList<>();
        List<String> unreachable = new ArrayList<>();
        for (ComponentProcess c : components.values()) {
            try {
                if (!c.isAlive()) {
                    throw new IOException("process not running");
                }
                events.addAll(List.of(Json.MAPPER.readValue(c.adminGet("/events?trace=" + traceId), FlowEvent[].class)));
            } catch (IOException | InterruptedException e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                unreachable.add(c.name());
                events.addAll(readJsonl(plan.logDir().resolve("flow-" + c.name() + ".jsonl"), traceId));
            }
        }
        for (int i = 0; i < plan.instances(); i++) {
            String name = LabPlan.cmgServiceName(i);
            try {
                events.addAll(List.of(Json.MAPPER.readValue(adminGet(plan.cmgAdmin(i), "/events?trace=" + traceId),
                        FlowEvent[].class)));
            } catch (IOException | InterruptedException e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                unreachable.add(name);
                events.addAll(readJsonl(plan.logDir().resolve("flow-" + name + ".jsonl"), traceId));
            }
        }
        events.addAll(readJsonl(plan.logDir().resolve("flow-" + LabPlan.CLIENT_SIM + ".jsonl"), traceId));
        return new TraceEvents(events, unreachable);
    }

    /** The events of {@code traceId} in a JSON-lines file of flow events (lines that do not parse are skipped). */
    public static List<FlowEvent> readJsonl(Path file, String traceId) {
        List<FlowEvent> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    FlowEvent e = Json.MAPPER.readValue(line, FlowEvent.class);
                    if (traceId == null || traceId.equals(e.traceId())) {
                        out.add(e);
                    }
                } catch (IOException | RuntimeException ignored) {
                    // a torn or foreign line
                }
            }
        } catch (IOException e) {
            // unreadable: no events from it
        }
        return out;
    }

    /** Every process this lab started (components, Azurite in npm mode, clients), alive or not. */
    public List<ProcessHandle> processHandles() {
        List<ProcessHandle> all = new ArrayList<>();
        for (ComponentProcess c : components.values()) {
            Process p = c.process();
            if (p != null) {
                all.add(p.toHandle());
            }
        }
        if (azurite != null) {
            azurite.process().ifPresent(all::add);
        }
        all.addAll(cloud);
        synchronized (clients) {
            all.addAll(clients);
        }
        return all;
    }

    /** Stops the components in reverse start order, then Azurite. Idempotent. */
    public synchronized void stopAll() {
        List<ComponentProcess> list = new ArrayList<>(components.values());
        for (int i = list.size() - 1; i >= 0; i--) {
            list.get(i).stop();
        }
        synchronized (clients) {
            clients.forEach(h -> {
                if (h.isAlive()) {
                    h.destroyForcibly();
                }
            });
        }
        if (azurite != null) {
            azurite.close();
        }
    }

    @Override
    public void close() {
        boolean shuttingDown = false;
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            shuttingDown = true; // the hook runs stopAll
        }
        stopAll();
        if (!shuttingDown) {
            buildClassDataArchives();
        }
    }
}
