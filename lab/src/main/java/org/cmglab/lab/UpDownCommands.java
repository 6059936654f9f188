package org.cmglab.lab;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.cmglab.proto.log.LogSetup;
import org.cmglab.proto.runtime.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cmglab up}, {@code status}, {@code down} and the hidden {@code serve} (the supervisor process). */
final class UpDownCommands {
    private UpDownCommands() {}

    /** How long {@code up} waits for the lab to be ready (each step has its own, shorter, timeout). */
    static final Duration UP_TIMEOUT = Duration.ofMinutes(5);
    /** How long {@code down} waits for every process to be gone. */
    static final Duration DOWN_TIMEOUT = Duration.ofSeconds(90);
    static final Duration POLL = Duration.ofMillis(500);
    /** Each component's /ready and the F2 channel wait in the supervisor (LabProcesses' default is 30 s). */
    static final long SERVE_READY_TIMEOUT_SECONDS = 90;

    @Command(name = "up", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Starts the lab in the background (a supervisor process, java -jar lab.jar serve …, its "
                    + "output in <state>/logs/lab.out): Azurite, azure-sim, site-sim, the service connection point "
                    + "(F1: deploys the CMG), the connection point (F2: channels), the network device fw01 and, with "
                    + "--proxy, the web proxy. Shows progress, then prints where everything is. Stop it with cmglab down.",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {
                "0:the lab is up and ready",
                "2:usage error",
                "3:the lab could not start (missing jar, a component not ready, F1 failed, timeout); see lab.out",
                "4:F2 failed: the connection point opened no channel to the CMG",
                "6:a lab is already running from this state folder (cmglab down first)"})
    static final class Up implements Callable<Integer> {
        @Mixin
        LabCommands.UpOptions options = new LabCommands.UpOptions();

        @Override
        public Integer call() throws Exception {
            return run(System.out);
        }

        int run(PrintStream out) throws InterruptedException {
            LabTopology topo;
            try {
                topo = options.topology();
            } catch (IllegalArgumentException | IllegalStateException e) {
                out.println("cmglab: " + e.getMessage());
                return CmgLabMain.EXIT_USAGE;
            }
            LabPlan plan = topo.plan();
            Optional<RunningLab> running = RunningLab.find(plan.stateDir());
            if (running.isPresent()) {
                out.println("cmglab: a lab is already running from " + plan.stateDir() + " (supervisor pid "
                        + running.get().pid() + ", admin " + running.get().admin() + "); cmglab down first");
                return LabCommands.EXIT_ALREADY_UP;
            }
            List<String> missing = missingJars(topo);
            if (!missing.isEmpty()) {
                out.println("cmglab: missing " + String.join(", ", missing) + " (build with ./mvnw -B -DskipTests package)");
                return CmgLabMain.EXIT_START_FAILED;
            }
            Path labOut = plan.logDir().resolve("lab.out");
            Process p;
            try {
                Files.createDirectories(plan.logDir());
                Files.writeString(labOut, "--- cmglab up at " + java.time.Instant.now() + "\n",
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
                p = new ProcessBuilder(serveCommand(plan, options.args(plan)))
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(labOut.toFile()))
                        .start();
            } catch (IOException e) {
                out.println("cmglab: cannot start the supervisor: " + e.getMessage());
                return CmgLabMain.EXIT_START_FAILED;
            }
            out.printf("CMG Lab: starting in the background (supervisor pid %d), addresses 127.%d.x.y, port offset %d%n",
                    p.pid(), plan.net(), plan.portOffset());
            out.println("  state " + plan.stateDir() + ", output " + labOut);
            Thread abort = new Thread(() -> {
                if (p.isAlive()) {
                    p.destroy(); // SIGTERM: the supervisor stops what it started
                    try {
                        p.waitFor();
                    } catch (InterruptedException ignored) {
                        // exiting anyway
                    }
                }
            }, "cmglab-up-abort");
            Runtime.getRuntime().addShutdownHook(abort);
            int code = awaitReady(out, p, "http://" + plan.labAdmin(), labOut);
            if (code == CmgLabMain.EXIT_OK || !p.isAlive()) {
                try {
                    Runtime.getRuntime().removeShutdownHook(abort);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs
                }
            }
            if (code != CmgLabMain.EXIT_OK && p.isAlive()) {
                p.destroy();
                p.waitFor();
            }
            return code;
        }

        /** Polls the supervisor's status and prints each step once; the exit code. */
        static int awaitReady(PrintStream out, Process p, String admin, Path labOut) throws InterruptedException {
            Progress progress = new Progress(out);
            long deadline = System.nanoTime() + UP_TIMEOUT.toNanos();
            while (true) {
                Optional<JsonNode> s = LabCommands.status(admin);
                if (s.isPresent()) {
                    progress.show(s.get());
                    if ("ready".equals(s.get().path("lab").path("state").asText())) {
                        out.println();
                        StatusFormat.where(s.get()).forEach(out::println);
                        return CmgLabMain.EXIT_OK;
                    }
                }
                if (!p.isAlive()) {
                    int code = p.exitValue();
                    out.println("FAILED: the lab supervisor exited with code " + code + "; last lines of " + labOut + ":");
                    out.println(tailSince(labOut, 25));
                    return code == CmgLabMain.EXIT_OK ? CmgLabMain.EXIT_START_FAILED : code;
                }
                if (System.nanoTime() > deadline) {
                    out.println("FAILED: the lab was not ready within " + UP_TIMEOUT.toSeconds() + " s; stopping it. "
                            + "Last lines of " + labOut + ":");
                    out.println(tailSince(labOut, 25));
                    return CmgLabMain.EXIT_START_FAILED;
                }
                Thread.sleep(POLL.toMillis());
            }
        }

        /** The last {@code n} lines of lab.out written since the last {@code --- cmglab up} marker. */
        static String tailSince(Path labOut, int n) {
            try {
                List<String> lines = Files.readAllLines(labOut);
                int from = 0;
                for (int i = lines.size() - 1; i >= 0; i--) {
                    if (lines.get(i).startsWith("--- cmglab up at ")) {
                        from = i;
                        break;
                    }
                }
                List<String> run = lines.subList(Math.max(from, lines.size() - n), lines.size());
                return String.join("\n", run);
            } catch (IOException e) {
                return "(cannot read " + labOut + ": " + e.getMessage() + ")";
            }
        }

        /** {@code [setsid] java -Dcmglab.home=… -jar lab.jar serve <options>}. */
        static List<String> serveCommand(LabPlan plan, List<String> args) {
            List<String> cmd = new ArrayList<>();
            if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
                cmd.add("/usr/bin/setsid"); // its own session: the terminal's Ctrl-C or hang-up does not reach it
            }
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-Dcmglab.home=" + plan.home());
            cmd.add("-Dcmglab.readyTimeoutSeconds=" + Long.getLong("cmglab.readyTimeoutSeconds", SERVE_READY_TIMEOUT_SECONDS));
            String leak = System.getProperty("cmglab.leakLevel");
            if (leak != null) {
                cmd.add("-Dcmglab.leakLevel=" + leak);
            }
            for (String p : List.of(org.cmglab.proto.runtime.ClassDataSharing.DIR_PROPERTY,
                    org.cmglab.proto.runtime.ClassDataSharing.ENABLED_PROPERTY)) {
                if (System.getProperty(p) != null) {
                    cmd.add("-D" + p + "=" + System.getProperty(p)); // the AppCDS folder, when not <state>/cds
                }
            }
            cmd.add("-jar");
            cmd.add(labJar(plan).toString());
            cmd.add("serve");
            cmd.addAll(args);
            return cmd;
        }

        /** This jar when running from one, else {@code lab/target/lab.jar}. */
        static Path labJar(LabPlan plan) {
            try {
                Path self = Path.of(UpDownCommands.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                if (Files.isRegularFile(self) && self.toString().endsWith(".jar")) {
                    return self;
                }
            } catch (Exception e) {
                // fall back to the build output
            }
            return plan.jar("lab");
        }

        static List<String> missingJars(LabTopology topo) {
            LabPlan plan = topo.plan();
            Set<String> modules = new LinkedHashSet<>();
            topo.components().forEach(c -> modules.add(c.module()));
            plan.components().forEach(c -> modules.add(c.module()));
            modules.add(LabPlan.CMG_SERVICE);
            List<String> missing = new ArrayList<>();
            for (String m : modules) {
                if (!Files.isRegularFile(plan.jar(m))) {
                    missing.add(plan.jar(m).toString());
                }
            }
            if (!Files.isRegularFile(labJar(plan))) {
                missing.add(labJar(plan).toString());
            }
            return missing;
        }
    }

    /** Prints each component ready, the F1 deployment state and each F2 channel, once. */
    static final class Progress {
        private final PrintStream out;
        private final Set<String> seen = new HashSet<>();

        Progress(PrintStream out) {
            this.out = out;
        }

        void show(JsonNode s) {
            for (JsonNode c : s.path("components")) {
                if (c.path("ready").asBoolean(false) && seen.add("component " + c.path("name").asText())) {
                    out.printf("  ready  %-24s pid %-7s %s%n", c.path("name").asText(), c.path("pid").asText("-"),
                            c.path("address").asText(""));
                }
            }
            JsonNode d = s.path("lab").path("deployment");
            if (d.hasNonNull("state") && seen.add("deployment " + d.path("state").asText())) {
                out.printf("  F1     service-connection-point → Azure: CMG %s %s%n", d.path("name").asText(),
                        d.path("state").asText());
            }
            for (JsonNode i : s.path("instances")) {
                for (JsonNode ch : i.path("channels")) {
                    if (ch.path("ready").asBoolean(false) && seen.add("channel " + i.path("name").asText() + " "
                            + ch.path("transport").asText())) {
                        out.printf("  F2     cmg-connection-point → %s: %s channel :%s%s%s%n", i.path("name").asText(),
                                ch.path("transport").asText(), ch.path("port").asText(),
                                ch.hasNonNull("proxy") ? " via proxy " + ch.path("proxy").asText() : "",
                                ch.hasNonNull("fallbackFrom") ? " (fallback from " + ch.path("fallbackFrom").asText()
                                        + ")" : "");
                    }
                }
            }
        }
    }

    @Command(name = "serve", hidden = true, mixinStandardHelpOptions = true,
            description = "The supervisor of cmglab up (runs in the foreground; Ctrl-C or POST /down stops the lab).")
    static final class Serve implements Callable<Integer> {
        @Mixin
        LabCommands.UpOptions options = new LabCommands.UpOptions();

        @Override
        public Integer call() throws Exception {
            LabTopology topo;
            try {
                topo = options.topology();
            } catch (IllegalArgumentException | IllegalStateException e) {
                System.out.println("cmglab serve: " + e.getMessage());
                return CmgLabMain.EXIT_USAGE;
            }
            if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext lc) {
                lc.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(ch.qos.logback.classic.Level.INFO);
            }
            Files.createDirectories(topo.plan().logDir());
            try (AutoCloseable logs = LogSetup.configure(topo.plan().logDir(), "cmglab", "CMGLab.log", "CMGLab")) {
                return new LabSupervisor(topo, options.args(topo.plan()), options.auth, System.out).run();
            }
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Shows the running lab: every component (pid, alive, ready, address, ports), every CMG "
                    + "instance and its channels (transport, port, proxy, HTTPS fallback), the active faults.",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {
                "0:the lab is up and ready (every component ready, every instance with a channel)",
                "2:usage error",
                "7:no lab is running from this state folder",
                "10:the lab is up but not ready (starting, stopping, or a component or channel down)"})
    static final class Status implements Callable<Integer> {
        @Mixin
        LabCommands.StateOption state = new LabCommands.StateOption();

        @Option(names = "--json", description = "print the status JSON (the supervisor's GET /status)")
        boolean json;

        @Override
        public Integer call() {
            return run(System.out);
        }

        int run(PrintStream out) {
            Path dir = state.stateDir();
            Optional<RunningLab> lab = RunningLab.find(dir);
            if (lab.isEmpty()) {
                out.println(json ? "{\"lab\":null}" : "no lab running (state folder " + dir + ")");
                return LabCommands.EXIT_NOT_RUNNING;
            }
            Optional<JsonNode> s = LabCommands.status(lab.get().admin());
            if (s.isEmpty()) {
                out.println(json ? "{\"lab\":{\"state\":\"unknown\",\"pid\":" + lab.get().pid() + "}}"
                        : "the lab supervisor (pid " + lab.get().pid() + ") does not answer at " + lab.get().admin());
                return LabCommands.EXIT_NOT_READY;
            }
            if (json) {
                out.println(Json.write(s.get()));
            } else {
                StatusFormat.table(s.get()).forEach(out::println);
            }
            return StatusFormat.ready(s.get()) ? CmgLabMain.EXIT_OK : LabCommands.EXIT_NOT_READY;
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Stops the running lab (POST /down to its supervisor) and waits until every process of it "
                    + "is gone.",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {
                "0:the lab is stopped, every process gone",
                "2:usage error",
                "7:no lab is running from this state folder",
                "9:a process of the lab was still alive after " + "90 s (listed)"})
    static final class Down implements Callable<Integer> {
        @Mixin
        LabCommands.StateOption state = new LabCommands.StateOption();

        @Override
        public Integer call() throws Exception {
            return run(System.out);
        }

        int run(PrintStream out) throws InterruptedException {
            Path dir = state.stateDir();
            Optional<RunningLab> lab = RunningLab.find(dir);
            if (lab.isEmpty()) {
                out.println("no lab running (state folder " + dir + ")");
                return LabCommands.EXIT_NOT_RUNNING;
            }
            Set<Long> pids = new LinkedHashSet<>(pids(LabCommands.status(lab.get().admin()).orElse(null)));
            pids.add(lab.get().pid());
            out.println("Stopping the lab (supervisor pid " + lab.get().pid() + ", " + pids.size() + " processes)");
            try {
                LabCommands.post(lab.get(), "/down");
            } catch (IOException e) {
                out.println("  the supervisor did not take POST /down (" + e.getMessage() + "); sending it SIGTERM");
                ProcessHandle.of(lab.get().pid()).ifPresent(ProcessHandle::destroy);
            }
            long deadline = System.nanoTime() + DOWN_TIMEOUT.toNanos();
            while (true) {
                List<Long> alive = pids.stream().filter(p -> ProcessHandle.of(p).map(ProcessHandle::isAlive)
                        .orElse(false)).toList();
                if (alive.isEmpty()) {
                    out.println("The lab is stopped; every process is gone.");
                    return CmgLabMain.EXIT_OK;
                }
                if (System.nanoTime() > deadline) {
                    out.println("FAILED: still alive after " + DOWN_TIMEOUT.toSeconds() + " s: pids " + alive);
                    return LabCommands.EXIT_STOP_TIMEOUT;
                }
                Thread.sleep(POLL.toMillis());
            }
        }

        /** Every pid the status names (components and CMG instances). */
        static List<Long> pids(JsonNode s) {
            List<Long> out = new ArrayList<>();
            if (s == null) {
                return out;
            }
            for (String part : List.of("components", "instances")) {
                for (JsonNode n : s.path(part)) {
                    if (n.path("pid").canConvertToLong() && n.path("pid").asLong() > 0) {
                        out.add(n.path("pid").asLong());
                    }
                }
            }
            return out;
        }
    }
}
