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
        subcommands = {CmgLabMain.Demo.class, CmgLabMain.Plan.class, ClientsCommand.class, CommandLine.HelpCommand.class})
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
            description = "Starts every component as its own process on loopback (Azurite, site-sim, cmg-service-0, "
                    + "cmg-connection-point), checks the channel (F2), runs client-sim through the flow, prints the "
                    + "numbered hop trace (F3 → F4 → F5 and back) and stops everything.",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {
                "0:the request went through every hop (HTTP 200)",
                "1:the flow failed; the failing hop is named (also with --kill-connection-point, as expected)",
                "2:usage error",
                "3:the lab could not start (missing jar, a component not ready, Azurite)",
                "4:F2 failed: the connection point opened no channel to the CMG",
                "5:--kill-connection-point was given but the request did not fail"})
    static final class Demo implements Callable<Integer> {
        @Option(names = "--keep", description = "keep the lab running after the trace until Ctrl-C")
        boolean keep;

        @Mixin
        LabOptions lab = new LabOptions();

        @Option(names = "--kill-connection-point",
                description = "kill the connection point after F2 and before the client (the demo must then fail at F4)")
        boolean killConnectionPoint;

        @Override
        public Integer call() throws Exception {
            return run(System.out);
        }

        int run(PrintStream out) throws InterruptedException {
            LabPlan plan;
            try {
                plan = lab.toPlan();
            } catch (IllegalArgumentException | IllegalStateException e) {
                out.println("cmglab: " + e.getMessage());
                return EXIT_USAGE;
            }
            out.printf("CMG Lab demo: addresses 127.%d.x.y, port offset %d, state %s%n", plan.net(), plan.portOffset(),
                    plan.stateDir());
            out.printf("  logs: %s (<component>.out, CMTrace *.log, flow-*.jsonl)%n", plan.logDir());
            plan.materialize();
            out.printf("  PKI: lab root CA and certificates in %s; configs in %s%n", plan.pkiDir(), plan.configDir());

            try (LabProcesses lab = new LabProcesses(plan, out)) {
                try {
                    lab.startAll();
                } catch (RuntimeException e) {
                    out.println("FAILED to start the lab: " + e.getMessage());
                    return EXIT_START_FAILED;
                }
                try {
                    List<JsonNode> channels = lab.awaitChannel(LabProcesses.READY_TIMEOUT);
                    for (int i = 0; i < channels.size(); i++) {
                        JsonNode ch = channels.get(i);
                        out.printf("F2  cmg-connection-point → cmg-service/%d   %s channel ready :%d (via the VIP), "
                                + "connection %s%n", i, ch.path("transport").asText(), ch.path("port").asInt(),
                                ch.path("connectionId").asText());
                    }
                } catch (RuntimeException e) {
                    out.println("FAILED at " + e.getMessage());
                    return EXIT_NO_CHANNEL;
                }
                if (killConnectionPoint) {
                    lab.kill(LabPlan.CONNECTION_POINT);
                    out.println("  killed cmg-connection-point (--kill-connection-point); the request must now fail at F4");
                    try {
                        lab.awaitNoChannel(Duration.ofSeconds(10));
                    } catch (RuntimeException e) {
                        out.println("  (" + e.getMessage() + ")");
                    }
                }

                String traceId = TraceContext.newTraceId();
                ClientRun run = lab.runClient(traceId);
                LabProcesses.TraceEvents te = lab.collectEvents(traceId);
                int code = report(out, plan, run, te);
                if (killConnectionPoint) {
                    code = code == EXIT_OK ? EXIT_INJECTED_FAULT_NOT_SEEN : EXIT_FLOW_FAILED;
                    out.println(code == EXIT_FLOW_FAILED
                            ? "(expected: the connection point was killed, so the flow fails)"
                            : "UNEXPECTED: the connection point was killed but the request succeeded");
                }
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

    /** Prints the numbered trace, the reply and the verdict; returns 0 or {@link #EXIT_FLOW_FAILED}. */
    static int report(PrintStream out, LabPlan plan, ClientRun run, LabProcesses.TraceEvents te) {
        List<FlowEvent> ordered = HopTrace.order(te.events());
        out.println();
        out.println("Trace " + run.traceId() + " (client-sim mplist, " + ordered.size() + " hop events)");
        HopTrace.format(ordered).forEach(out::println);
        if (!te.unreachable().isEmpty()) {
            out.println("  (admin endpoint not answering, read its flow-*.jsonl instead: "
                    + String.join(", ", te.unreachable()) + ")");
        }
        out.println();
        String mps = run.mps().stream().map(m -> m.name() + " (" + m.fqdn() + ")").collect(Collectors.joining(", "));
        out.printf("Reply: client-sim exit %d, %s, %d bytes%s%n", run.exitCode(), run.summary(), run.bodyBytes(),
                mps.isEmpty() ? "" : ", MPs: " + mps);
        HopTrace.Verdict v = HopTrace.analyze(te.events(), run.exitCode(), run.summary());
        if (v.ok()) {
            out.println("OK: F3 → F4 → F5 and back, every hop ok");
            return EXIT_OK;
        }
        out.println(v.message());
        if (run.result() == null) {
            out.println("client-sim output (see " + plan.logDir().resolve("client-sim.out") + "):");
            out.println(run.output().strip());
        }
        return EXIT_FLOW_FAILED;
    }
}
