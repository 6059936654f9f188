package org.cmglab.lab;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.cmglab.proto.flow.FlowEvent;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.runtime.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cmglab}: the lab's command line. */
@Command(name = "cmglab", mixinStandardHelpOptions = true, version = "CMG Lab 0.1.0",
        description = "CMG Lab: an emulator of Configuration Manager's cloud management gateway.",
        subcommands = {CmgLabMain.Demo.class, CmgLabMain.Plan.class, CommandLine.HelpCommand.class,
                UpDownCommands.Up.class, UpDownCommands.Status.class, UpDownCommands.Down.class, FaultCommand.class,
                UpDownCommands.Serve.class, DashboardCommand.class, AnalyzeCommand.class,
                ClientsCommand.class})
public final class CmgLabMain implements Callable<Integer> {

    public static final int EXIT_OK = 0;
    public static final int EXIT_FLOW_FAILED = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_START_FAILED = 3;
    public static final int EXIT_NO_CHANNEL = 4;
    public static final int EXIT_INJECTED_FAULT_NOT_SEEN = 5;

    @Override
    public Integer call() {
        CommandLine.usage(this, System.out);
        return EXIT_USAGE;
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(out);
        quietConsoleLogging();
        System.exit(new CommandLine(new CmgLabMain()).setOut(new java.io.PrintWriter(out, true)).execute(args));
    }

    @Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Runs the article's flows with narration of each step (component, address, port, protocol, "
                    + "authentication): F1 (the service connection point deploys the CMG), F2 (the connection point's "
                    + "channels), F3 → F4 → F5 and back with the numbered hop trace, the client lifecycle through the "
                    + "CMG (MP and SUP), C1 → C6 (content from the CMG's storage), then the article's port list with "
                    + "each row marked exercised or not from the flow events that arrived.",
                    "With a lab of 'cmglab up' in the state folder the demo runs against it (nothing is started or "
                            + "stopped; its live page lights up); otherwise it starts its own lab and stops it at the end."},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {
                "0:every flow went through (F3-F5, lifecycle, C1-C6)",
                "1:the F3-F5 request failed; the failing hop is named (also with --kill-connection-point, as expected)",
                "2:usage error (also --kill-connection-point against the lab of cmglab up)",
                "3:the lab could not start (missing jar, a component not ready, Azurite)",
                "4:F2 failed: the connection point opened no channel to the CMG",
                "5:--kill-connection-point was given but the request did not fail",
                "6:the content flow C1-C6 failed (the step is named)",
                "7:the client lifecycle through the CMG (registration, policy, location, SUP) failed"})
    static final class Demo implements Callable<Integer> {
        @Option(names = "--keep", description = "keep a lab the demo started running after the flows until Ctrl-C")
        boolean keep;

        @Mixin
        LabOptions lab = new LabOptions();

        @Option(names = "--auth", paramLabel = "pki|entra|token",
                description = "client authentication for F3-F5 and the lifecycle (default: the running lab's --auth, else pki)")
        String auth;

        @Option(names = "--kill-connection-point",
                description = "kill the connection point after F2 and before the client (the demo must then fail at F4); "
                        + "only for a lab the demo starts itself")
        boolean killConnectionPoint;

        @Override
        public Integer call() throws Exception {
            return run(System.out);
        }

        int run(PrintStream out) throws InterruptedException {
            java.util.Optional<LabOptions.Parsed> parsed = lab.parse(auth, out);
            if (parsed.isEmpty()) {
                return EXIT_USAGE;
            }
            LabPlan plan = parsed.get().plan();
            auth = parsed.get().auth();
            java.util.Optional<LabSession> attached = LabSession.attach(plan.stateDir(), auth, out);
            if (attached.isPresent()) {
                try (LabSession s = attached.get()) {
                    RunningLab r = s.running().orElseThrow();
                    if (killConnectionPoint) {
                        out.println("cmglab: --kill-connection-point only works on a lab the demo starts itself; the lab "
                                + "of cmglab up (pid " + r.pid() + ") is running: use 'cmglab fault cut-channel' there");
                        return EXIT_USAGE;
                    }
                    out.printf("CMG Lab demo on the running lab of cmglab up (pid %d, addresses 127.%d.x.y, port offset "
                            + "%d, auth %s)%n", r.pid(), s.plan().net(), s.plan().portOffset(), s.auth());
                    out.printf("  live page: %s   logs: %s%n", r.dashboard(), s.plan().logDir());
                    return new DemoRun(s, out, false).run();
                }
            }
            out.printf("CMG Lab demo: addresses 127.%d.x.y, port offset %d, state %s, auth %s%n", plan.net(),
                    plan.portOffset(), plan.stateDir(), auth == null ? "pki" : auth);
            out.printf("  logs: %s (<component>.out, CMTrace *.log, flow-*.jsonl)%n", plan.logDir());
            try (LabSession s = LabSession.own(plan, auth, out)) {
                try {
                    s.start();
                } catch (RuntimeException e) {
                    out.println("FAILED to start the lab: " + e.getMessage());
                    return EXIT_START_FAILED;
                }
                out.printf("  PKI: lab root CA and certificates in %s; configs in %s%n", plan.pkiDir(), plan.configDir());
                int code = new DemoRun(s, out, killConnectionPoint).run();
                if (keep) {
                    out.println("--keep: the lab keeps running; press Ctrl-C to stop it");
                    Thread.currentThread().join();
                }
                out.println("Stopping the lab");
                return code;
            }
        }
    }

    /** The options that choose a lab: {@code --net}, {@code --port-offset}, {@code --state} (demo and plan). */
    static final class LabOptions {
        @Option(names = "--net", paramLabel = "N", description = "second octet of the lab addresses 127.N.x.y (default ${DEFAULT-VALUE})")
        int net = LabPlan.DEFAULT_NET;

        @Option(names = "--port-offset", paramLabel = "N", description = "added to every port (default: 0 as root, else 20000)")
        Integer portOffset;

        @Option(names = "--state", paramLabel = "DIR", description = "state folder (default: <home>/.cmglab)")
        Path state;

        @Option(names = "--cloud", paramLabel = "public|usgov", description = "Azure environment (default ${DEFAULT-VALUE})")
        String cloud = "public";

        @Option(names = "--deployment", paramLabel = "scaleset|classic",
                description = "CMG deployment method (default ${DEFAULT-VALUE})")
        String deployment = "scaleset";

        @Option(names = "--instances", paramLabel = "1..16", description = "CMG VM instances (default ${DEFAULT-VALUE})")
        int instances = 1;

        /** The lab of these options and a checked {@code --auth} (null when not given). */
        record Parsed(LabPlan plan, String auth) {}

        /**
         * The lab these options describe and {@code auth} checked ({@link LabSession#checkAuth}, null stays null);
         * on a usage error prints {@code cmglab: <why>} to {@code out} and returns empty (the command exits
         * {@link CmgLabMain#EXIT_USAGE}). The one place demo and analyze validate their options.
         */
        java.util.Optional<Parsed> parse(String auth, PrintStream out) {
            try {
                LabPlan plan = toPlan();
                return java.util.Optional.of(new Parsed(plan, auth == null ? null : LabSession.checkAuth(auth)));
            } catch (IllegalArgumentException | IllegalStateException e) {
                out.println("cmglab: " + e.getMessage());
                return java.util.Optional.empty();
            }
        }

        /** The lab these options describe (home: {@link LabPlan#findHome()}). */
        LabPlan toPlan() {
            return toPlan(null);
        }

        /** The lab these options describe, with {@code home} (null: {@link LabPlan#findHome()}). */
        LabPlan toPlan(Path home) {
            if (!deployment.equals("scaleset") && !deployment.equals("classic")) {
                throw new IllegalArgumentException("--deployment: " + deployment + " (expected: scaleset or classic)");
            }
            LabPlan.Builder b = LabPlan.builder().net(net).cloud(cloud).classic(deployment.equals("classic"))
                    .instances(instances);
            if (home != null) {
                b.home(home);
            }
            if (portOffset != null) {
                b.portOffset(portOffset);
            }
            if (state != null) {
                b.stateDir(state);
            }
            return b.build();
        }
    }

    @Command(name = "plan", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Only writes the lab's plan into the state folder (the lab root CA and certificates in pki/, "
                    + "one JSON config per component in config/) and prints where everything is; starts nothing. "
                    + "The docker compose file (docker/compose.yaml) runs this first.",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:the plan was written", "2:usage error", "3:the state folder could not be written"})
    static final class Plan implements Callable<Integer> {
        @Mixin
        LabOptions lab = new LabOptions();

        @Override
        public Integer call() {
            return run(System.out);
        }

        int run(PrintStream out) {
            LabPlan plan;
            try {
                plan = lab.toPlan();
            } catch (IllegalArgumentException | IllegalStateException e) {
                out.println("cmglab: " + e.getMessage());
                return EXIT_USAGE;
            }
            return write(plan, out);
        }

        /** Materializes {@code plan} and prints it; {@link #EXIT_OK}, or {@link #EXIT_START_FAILED} when it cannot be written. */
        static int write(LabPlan plan, PrintStream out) {
            try {
                plan.materialize();
            } catch (RuntimeException e) {
                out.println("cmglab: " + e.getMessage());
                return EXIT_START_FAILED;
            }
            out.printf("CMG Lab plan: addresses 127.%d.x.y, port offset %d, state %s%n", plan.net(), plan.portOffset(),
                    plan.stateDir());
            out.printf("  PKI:     %s (lab root CA %s)%n", plan.pkiDir(), plan.rootCertFile().getFileName());
            out.printf("  configs: %s%n", plan.configDir());
            out.printf("  logs:    %s%n", plan.logDir());
            for (LabPlan.Component c : plan.components()) {
                out.printf("  %-22s jar %s%n  %-22s config %s, admin http://%s%n", c.name(), plan.jar(c.module()), "",
                        c.config(), c.admin());
            }
            out.printf("  %-22s jar %s%n  %-22s config %s (one-shot: mplist)%n", LabPlan.CLIENT_SIM,
                    plan.jar(LabPlan.CLIENT_SIM), "", plan.configFile(LabPlan.CLIENT_SIM));
            out.printf("  %-22s HTTPS (%s) blob %s:%d, queue %s:%d, table %s:%d%n", "azurite", plan.blobHost(),
                    plan.azuriteAddress(),
                    plan.azuriteBlobPort(), plan.azuriteAddress(), plan.azuriteQueuePort(), plan.azuriteAddress(),
                    plan.azuriteTablePort());
            return EXIT_OK;
        }
    }

    /**
     * The demo's console is for the trace: only warnings of the lab JVM reach it, and none of Testcontainers'
     * Docker probe (the Azurite launcher prints one line saying which mode it used and why).
     */
    static void quietConsoleLogging() {
        if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext lc) {
            lc.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(ch.qos.logback.classic.Level.WARN);
            lc.getLogger("org.testcontainers").setLevel(ch.qos.logback.classic.Level.OFF);
            lc.getLogger("com.github.dockerjava").setLevel(ch.qos.logback.classic.Level.OFF);
        }
    }
}
