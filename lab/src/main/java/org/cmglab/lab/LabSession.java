package org.cmglab.lab;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine;

/**
 * The lab a command ({@code demo}, {@code analyze}) works on: the background lab of {@code cmglab up} when one is
 * recorded in the state folder ({@link RunningLab}; its plan rebuilt from the options it was started with, nothing
 * started or stopped), else a lab this command starts itself and stops when it is closed.
 */
public final class LabSession implements AutoCloseable {
    /** The client authentication modes of the lab ({@code --auth}). */
    public static final List<String> AUTH_MODES = List.of("pki", "entra", "token");

    private final LabPlan plan;
    private final LabProcesses processes;
    private final RunningLab running;
    private final String auth;
    private final java.time.Instant since;

    private LabSession(LabPlan plan, LabProcesses processes, RunningLab running, String auth, java.time.Instant since) {
        this.plan = plan;
        this.processes = processes;
        this.running = running;
        this.auth = auth;
        this.since = since;
    }

    /**
     * Attaches to the lab of {@code cmglab up} recorded in {@code stateDir}, if any.
     *
     * @param authOverride {@code --auth} given to this command (null: the lab's own {@code --auth}, else pki)
     */
    public static Optional<LabSession> attach(Path stateDir, String authOverride, PrintStream out) {
        Optional<RunningLab> found = RunningLab.find(stateDir);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        RunningLab lab = found.get();
        LabCommands.UpOptions o = LabCommands.UpOptions.parse(lab.options());
        LabPlan plan = LabCommands.plan(lab, stateDir);
        String auth = checkAuth(authOverride != null ? authOverride : o.auth);
        java.time.Instant since;
        try {
            since = java.time.Instant.parse(lab.startedAt());
        } catch (RuntimeException e) {
            since = java.time.Instant.EPOCH;
        }
        return Optional.of(new LabSession(plan, new LabProcesses(plan, out), lab, auth, since));
    }

    /** A lab this command starts itself (call {@link #start()}); stopped by {@link #close()}. */
    public static LabSession own(LabPlan plan, String auth, PrintStream out) {
        return new LabSession(plan, new LabProcesses(plan, out), null, checkAuth(auth == null ? "pki" : auth),
                java.time.Instant.now());
    }

    /** {@code pki}, {@code entra} or {@code token}, lower-cased; anything else is a usage error. */
    public static String checkAuth(String auth) {
        String a = auth.toLowerCase(Locale.ROOT);
        if (!AUTH_MODES.contains(a)) {
            throw new IllegalArgumentException("--auth: " + auth + " (expected: pki, entra or token)");
        }
        return a;
    }

    /** Materializes the plan and starts every process (F1 included); only for a lab this command owns. */
    public void start() throws InterruptedException {
        if (running != null) {
            throw new IllegalStateException("the lab of cmglab up (pid " + running.pid() + ") is not started here");
        }
        plan.materialize();
        processes.startAll();
    }

    public LabPlan plan() {
        return plan;
    }

    public LabProcesses processes() {
        return processes;
    }

    /** True when this is the background lab of {@code cmglab up}. */
    public boolean attached() {
        return running != null;
    }

    public Optional<RunningLab> running() {
        return Optional.ofNullable(running);
    }

    public String auth() {
        return auth;
    }

    /** When the lab started (flow events before this are from earlier labs in the same log folder). */
    public java.time.Instant since() {
        return since;
    }

    /** Stops the processes of a lab this command started; leaves the lab of {@code cmglab up} running. */
    @Override
    public void close() {
        // attached: the components are not this JVM's processes, so this stops only the client-sim runs it started
        processes.close();
    }

    /** How long the demo and the analyzer wait for one client-sim run. */
    public static final Duration CLIENT_TIMEOUT = LabProcesses.CLIENT_TIMEOUT;
}
