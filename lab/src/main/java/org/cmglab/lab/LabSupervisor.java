package org.cmglab.lab;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.EventLoopGroup;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.runtime.AdminAction;
import org.cmglab.proto.runtime.AdminServer;
import org.cmglab.proto.runtime.EventLoops;
import org.cmglab.proto.runtime.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background process of {@code cmglab up} ({@code java -jar lab.jar serve <options>}): materializes the plan,
 * starts the network device (and the web proxy with {@code --proxy}), then every component through
 * {@link LabProcesses} (F1: the CMG deployed; F2: the channels), writes {@code <state>/lab.json} ({@link RunningLab})
 * and serves its admin API on {@link LabPlan#labAdmin()}:
 *
 * <ul>
 *   <li>{@code GET /health}, {@code /ready} (200 once the lab is ready), {@code /status} (the whole-lab status JSON,
 *       refreshed every second by a status thread, see {@link LabStatus});</li>
 *   <li>{@code POST /fault/<name>?arg=…}, {@code POST /undo/<name>?arg=…}, {@code POST /undo/all}
 *       ({@link LabFaults}: checked at once, applied in the background, the outcome in the status);</li>
 *   <li>{@code POST /down}: stops everything.</li>
 * </ul>
 *
 * It stops every process it started on {@code POST /down}, SIGTERM and Ctrl-C (a shutdown hook), waits until they
 * are gone and removes {@code lab.json}.
 */
public final class LabSupervisor {
    private static final Logger log = LoggerFactory.getLogger(LabSupervisor.class);
    static final Duration STATUS_INTERVAL = Duration.ofSeconds(1);
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(45);

    private final LabTopology topo;
    private final List<String> options;
    private final String auth;
    private final PrintStream out;
    private final CountDownLatch down = new CountDownLatch(1);
    private final AtomicReference<ObjectNode> status = new AtomicReference<>();
    private final Map<String, ComponentProcess> extras = new LinkedHashMap<>();
    private volatile String state = "starting";
    private volatile String error;
    private LabProcesses lab;
    private LabFaults faults;
    private EventLoopGroup adminGroup;
    private AdminServer admin;
    private Thread statusThread;
    private org.cmglab.lab.dashboard.DashboardServer dashboard;
    private boolean stopped;

    LabSupervisor(LabTopology topo, List<String> options, String auth, PrintStream out) {
        this.topo = topo;
        this.options = List.copyOf(options);
        this.auth = auth;
        this.out = out;
    }

    private LabPlan plan() {
        return topo.plan();
    }

    public String dashboardUrl() {
        return "http://" + plan().dashboard() + "/";
    }

    public String adminUrl() {
        return "http://" + plan().labAdmin();
    }

    /** Runs the lab until {@code POST /down} or a signal; returns the process exit code. */
    public int run() throws InterruptedException {
        var running = RunningLab.find(plan().stateDir());
        if (running.isPresent()) {
            out.println("cmglab: a lab is already running from " + plan().stateDir() + " (supervisor pid "
                    + running.get().pid() + ", admin " + running.get().admin() + "); cmglab down first");
            return LabCommands.EXIT_ALREADY_UP;
        }
        try {
            topo.materialize();
        } catch (RuntimeException e) {
            out.println("cmglab: cannot write the lab's state: " + e.getMessage());
            return CmgLabMain.EXIT_START_FAILED;
        }
        lab = new LabProcesses(plan(), out);
        for (LabPlan.Component c : topo.components()) {
            extras.put(c.name(), new ComponentProcess(c.name(), plan().jar(c.module()), c.config(), c.admin(),
                    plan().logDir(), http()));
        }
        faults = new LabFaults(lab, topo, extras);
        Thread hook = new Thread(this::stop, "cmglab-supervisor-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            adminGroup = EventLoops.newGroup(2, "cmglab-admin");
            Map<String, AdminAction> actions = new LinkedHashMap<>(faults.actions());
            actions.put("down", (q, body) -> {
                log.info("POST /down: stopping the lab");
                down.countDown();
                return Map.of("stopping", true);
            });
            admin = AdminServer.start(plan().labAdmin().socketAddress(), adminGroup, "cmglab",
                    () -> "ready".equals(state), this::statusNode, new FlowEventLog("cmglab", null),
                    AdminServer.newRegistry(), actions,
                    org.cmglab.proto.runtime.AdminToken.read(plan().pkiDir())); // fault/down need the lab's admin token
        } catch (Exception e) {
            out.println("cmglab: cannot serve the lab's admin API on " + plan().labAdmin() + ": " + e);
            stop();
            return CmgLabMain.EXIT_START_FAILED;
        }
        new RunningLab(ProcessHandle.current().pid(), options, plan().net(), plan().portOffset(), dashboardUrl(),
                adminUrl(), Instant.now().toString()).write(plan().stateDir());
        try {
            dashboard = new org.cmglab.lab.dashboard.DashboardServer(plan(), plan().dashboard(), this::statusJson);
            dashboard.start();
        } catch (RuntimeException e) {
            out.println("cmglab: cannot serve the live data-flow page on " + plan().dashboard() + ": " + e.getMessage());
            stop();
            return CmgLabMain.EXIT_START_FAILED;
        }
        statusThread = new Thread(this::statusLoop, "cmglab-status");
        statusThread.setDaemon(true);
        statusThread.start();
        out.printf("cmglab supervisor pid %d: lab 127.%d.x.y, port offset %d, admin %s, state %s%n",
                ProcessHandle.current().pid(), plan().net(), plan().portOffset(), adminUrl(), plan().stateDir());

        int code = start();
        if (code != CmgLabMain.EXIT_OK) {
            stop();
            return code;
        }
        state = "ready";
        refresh();
        out.println("READY cmglab lab on 127." + plan().net() + ".x.y, admin " + adminUrl());
        down.await();
        stop();
        return CmgLabMain.EXIT_OK;
    }

    private int start() throws InterruptedException {
        try {
            for (ComponentProcess c : extras.values()) {
                c.start();
                c.awaitReady(LabProcesses.READY_TIMEOUT);
                out.printf("  started %-26s pid %-7d admin http://%s%n", c.name(), c.pid(), c.admin());
            }
            lab.startAll();
        } catch (RuntimeException e) {
            error = "start: " + e.getMessage();
            out.println("FAILED to start the lab: " + e.getMessage());
            return CmgLabMain.EXIT_START_FAILED;
        }
        try {
            lab.awaitChannel(LabProcesses.READY_TIMEOUT);
        } catch (RuntimeException e) {
            error = e.getMessage();
            out.println("FAILED at " + e.getMessage());
            return CmgLabMain.EXIT_NO_CHANNEL;
        }
        return CmgLabMain.EXIT_OK;
    }

    /** The last status (what {@code GET /status} answers; the dashboard's {@code Supplier<String>}). */
    public String statusJson() {
        return Json.write(statusNode());
    }

    private Object statusNode() {
        ObjectNode s = status.get();
        if (s == null) {
            s = Json.MAPPER.createObjectNode();
            s.putObject("lab").put("state", state).put("net", plan().net()).put("portOffset", plan().portOffset());
        }
        s = s.deepCopy();
        ((ObjectNode) s.path("lab")).put("state", state); // the state and the faults change at once, the rest every second
        if (faults != null) {
            LabStatus.putFaults(s, faults.active());
        }
        return s;
    }

    private void statusLoop() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                refresh();
                Thread.sleep(STATUS_INTERVAL.toMillis());
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("status refresh failed: {}", e.toString());
            }
        }
    }

    private void refresh() {
        LabProcesses l = lab;
        if (l == null) {
            return;
        }
        status.set(LabStatus.build(new LabStatus.Lab(state, error, options, auth, dashboardUrl(), adminUrl()), topo,
                l, extras, faults.active()));
    }

    /** Stops every process (reverse start order), waits until they are gone, removes lab.json. Idempotent. */
    void stop() {
        synchronized (this) {
            if (stopped) {
                return;
            }
            stopped = true;
        }
        state = "stopping";
        if (faults != null) {
            faults.close();
        }
        if (statusThread != null) {
            statusThread.interrupt();
        }
        if (dashboard != null) {
            dashboard.close();
        }
        List<ProcessHandle> handles = new ArrayList<>();
        if (lab != null) {
            handles.addAll(lab.processHandles());
            try {
                // the CMG instances (azure-sim's children) from the last status, in case azure-sim dies first
                ObjectNode s = status.get();
                if (s != null) {
                    s.path("instances").forEach(i -> {
                        if (i.path("pid").canConvertToLong() && i.path("pid").asLong() > 0) {
                            ProcessHandle.of(i.path("pid").asLong()).ifPresent(handles::add);
                        }
                    });
                }
            } catch (RuntimeException ignored) {
                // best effort
            }
            lab.close();
        }
        List<ComponentProcess> ex = new ArrayList<>(extras.values());
        for (int i = ex.size() - 1; i >= 0; i--) {
            Process p = ex.get(i).process();
            if (p != null) {
                handles.add(p.toHandle());
            }
            ex.get(i).stop();
        }
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        for (ProcessHandle h : handles) {
            long left = Math.max(0, deadline - System.nanoTime());
            try {
                h.onExit().get(left, TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                log.warn("pid {} still alive after stopping the lab: killing it", h.pid());
                h.destroyForcibly();
            }
        }
        try {
            RunningLab.remove(plan().stateDir());
        } catch (RuntimeException e) {
            log.warn("{}", e.getMessage());
        }
        if (admin != null) {
            admin.close();
        }
        if (adminGroup != null) {
            adminGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        }
        out.println("cmglab: the lab is stopped (" + handles.size() + " processes)");
    }

    private static java.net.http.HttpClient http() {
        return java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1))
                .proxy(java.net.http.HttpClient.Builder.NO_PROXY).build();
    }
}
