package org.cmglab.lab;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cmglab clients --count N [--duration 30s] [--mix ...]}: client-sim's load mode against the lab that
 * {@code cmglab up} keeps running (found through {@code <state>/lab.json}, {@link RunningLab#find}); the lab's plan is
 * rebuilt from the options it was started with, so the clients use its client config, CA and addresses. The load
 * run is its own JVM ({@code client-sim.jar load}); its progress line and summary table come straight through.
 */
@Command(name = "clients", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs N simulated clients (client-sim load mode) against the running lab (cmglab up): each "
                + "with its own certificate or CCM token and keep-alive connection, a mix of location, policy and content "
                + "requests; prints a latency summary per request kind.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every connection and request succeeded", "1:some failed (see the summary)",
            "2:usage error, or no lab is running (start one with cmglab up)", "3:client-sim could not be started"})
final class ClientsCommand implements Callable<Integer> {
    /** The load run's own bounds, plus the connect phase and a margin. */
    static final Duration MARGIN = Duration.ofMinutes(15);

    @Mixin
    CmgLabMain.LabOptions lab = new CmgLabMain.LabOptions();

    @Option(names = "--count", required = true, paramLabel = "<N>", description = "simulated clients (1..20000)")
    int count;

    @Option(names = "--duration", defaultValue = "30s", paramLabel = "<30s|2m>",
            description = "request phase length (max 1h; default ${DEFAULT-VALUE})")
    String duration;

    @Option(names = "--requests", paramLabel = "<N>", description = "stop after N requests")
    Long requests;

    @Option(names = "--rate", paramLabel = "<rps>", description = "requests per second over all clients")
    Integer rate;

    @Option(names = "--auth", defaultValue = "pki", paramLabel = "pki|token",
            description = "client authentication: pki (a certificate each) or token (a CCM token each, from its own"
                    + " Entra device token through the CMG's CCM_STS; default ${DEFAULT-VALUE})")
    String auth;

    @Option(names = "--mix", paramLabel = "<kind=weight,...>",
            description = "request mix of location, mplist, policy, content (client-sim's default if not given)")
    String mix;

    @Option(names = "--active", paramLabel = "<N>", description = "only N clients send, the others stay idle")
    Integer active;

    @Option(names = "--json", paramLabel = "<file>", description = "also write the results as JSON")
    Path json;

    PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        LabPlan asked;
        try {
            asked = lab.toPlan();
        } catch (IllegalArgumentException | IllegalStateException e) {
            out.println("cmglab: " + e.getMessage());
            return CmgLabMain.EXIT_USAGE;
        }
        Optional<RunningLab> running = RunningLab.find(asked.stateDir());
        if (running.isEmpty()) {
            out.println("cmglab clients: no lab is running in " + asked.stateDir() + " (no live "
                    + RunningLab.FILE + "); start one with: cmglab up");
            return CmgLabMain.EXIT_USAGE;
        }
        LabPlan plan;
        List<String> cmd;
        Duration bound;
        try {
            bound = parseDuration(duration).plus(MARGIN);
            plan = planOf(running.get(), asked.stateDir());
            cmd = command(plan);
            if (!Files.isRegularFile(plan.jar(LabPlan.CLIENT_SIM))) {
                throw new IllegalStateException("client-sim: " + plan.jar(LabPlan.CLIENT_SIM)
                        + " is missing (build with ./mvnw -B -DskipTests package)");
            }
        } catch (IllegalArgumentException | IllegalStateException | CommandLine.ParameterException e) {
            out.println("cmglab clients: " + e.getMessage());
            return CmgLabMain.EXIT_USAGE;
        }
        out.println("cmglab clients: " + count + " clients against the lab of " + plan.stateDir()
                + " (supervisor pid " + running.get().pid() + ")");
        Process p;
        try {
            p = new ProcessBuilder(cmd).inheritIO().start();
        } catch (IOException e) {
            out.println("cmglab clients: cannot start client-sim: " + e.getMessage());
            return CmgLabMain.EXIT_START_FAILED;
        }
        try {
            if (!p.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                out.println("cmglab clients: client-sim did not finish within " + bound.toMinutes() + " min; stopped");
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                return CmgLabMain.EXIT_FLOW_FAILED;
            }
        } catch (InterruptedException e) {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
            throw e;
        }
        return p.exitValue();
    }

    /** The running lab's plan: its recorded {@code cmglab up} options, in the state folder it was found in. */
    static LabPlan planOf(RunningLab running, Path stateDir) {
        return LabCommands.plan(running, stateDir);
    }

    /** {@code java -jar client-sim.jar --config <client-sim.json> load --count N ... --ca-dir <pki>}. */
    List<String> command(LabPlan plan) {
        Path jar = plan.jar(LabPlan.CLIENT_SIM);
        List<String> args = new ArrayList<>(List.of("--config", plan.configFile(LabPlan.CLIENT_SIM).toString(), "load",
                "--count", String.valueOf(count), "--duration", duration, "--auth", auth,
                "--ca-dir", plan.pkiDir().toString(), "--pool-dir", plan.stateDir().resolve("load-pool").toString()));
        if (requests != null) {
            args.addAll(List.of("--requests", String.valueOf(requests)));
        }
        if (rate != null) {
            args.addAll(List.of("--rate", String.valueOf(rate)));
        }
        if (mix != null) {
            args.addAll(List.of("--mix", mix));
        }
        if (active != null) {
            args.addAll(List.of("--active", String.valueOf(active)));
        }
        if (json != null) {
            args.addAll(List.of("--json", json.toAbsolutePath().toString()));
        }
        return ComponentProcess.javaCommand(jar, args);
    }

    /** {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h} or seconds, as client-sim reads {@code --duration}. */
    static Duration parseDuration(String text) {
        String t = text.strip().toLowerCase(java.util.Locale.ROOT);
        try {
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            return switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
                case 'm' -> Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
                case 'h' -> Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1)));
                default -> Duration.ofSeconds(Long.parseLong(t));
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--duration: " + text + " (expected: e.g. 30s, 2m, 1h)");
        }
    }
}
