package org.cmglab.proto.runtime;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.log.LogSetup;
import org.cmglab.proto.pki.TlsContexts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every component process shares: its log files (plain + CMTrace), event loops, flow-event log, metrics
 * registry and admin endpoint, and an orderly shutdown on SIGTERM. A component's {@code main} builds one, starts
 * its servers, calls {@link #ready(String)} and then {@link #awaitShutdown()}.
 */
public final class ComponentRuntime implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ComponentRuntime.class);

    private final String component;
    private final Path logDir;
    private final EventLoopGroup group;
    private final FlowEventLog events;
    private final PrometheusMeterRegistry registry = AdminServer.newRegistry();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean ready;
    private AdminServer admin;
    private final AutoCloseable logFiles;
    private final Thread shutdownHook;

    /**
     * @param component   process name, e.g. {@code cmg-service-0}
     * @param logDir      lab log folder (created)
     * @param cmtraceLog  product log file name, e.g. {@code CMGService.log}
     * @param cmtraceName CMTrace component column, e.g. {@code CMGService}
     * @param threads     event loop threads (0 = Netty default)
     */
    public ComponentRuntime(String component, Path logDir, String cmtraceLog, String cmtraceName, int threads) {
        this.component = component;
        this.logDir = logDir;
        try {
            Files.createDirectories(logDir);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot create log folder " + logDir + ": " + e.getMessage(), e);
        }
        this.logFiles = LogSetup.configure(logDir, component, cmtraceLog, cmtraceName);
        this.group = EventLoops.newGroup(threads, component);
        this.events = new FlowEventLog(component, logDir.resolve("flow-" + component + ".jsonl"));
        log.info("{} starting (pid {}, transport {}, TLS {})", component, ProcessHandle.current().pid(),
                EventLoops.transportName(), TlsContexts.providerName());
        this.shutdownHook = new Thread(this::close, component + "-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    public String component() { return component; }
    public Path logDir() { return logDir; }
    public EventLoopGroup group() { return group; }
    public FlowEventLog events() { return events; }
    public PrometheusMeterRegistry registry() { return registry; }

    /** Starts the admin endpoint; {@code ready} backs {@code /ready} together with {@link #ready(String)}. */
    public AdminServer startAdmin(Endpoint at, BooleanSupplier readyCheck, Supplier<Object> status)
            throws InterruptedException {
        return startAdmin(at, readyCheck, status, java.util.Map.of());
    }

    /** As above, with {@code POST /<name>} operations. */
    public AdminServer startAdmin(Endpoint at, BooleanSupplier readyCheck, Supplier<Object> status,
                                  java.util.Map<String, AdminAction> actions) throws InterruptedException {
        java.util.Map<String, AdminAction> all = new java.util.LinkedHashMap<>(actions);
        all.putIfAbsent("clock", LabClock.adminAction(component)); // cmglab fault skew-clock / expire-tokens
        admin = AdminServer.start(at.socketAddress(), group, component, () -> ready && readyCheck.getAsBoolean(),
                status, events, registry, all);
        return admin;
    }

    /** Closed (in reverse order) when the process stops. */
    public <T extends AutoCloseable> T onClose(T c) {
        synchronized (closeables) {
            closeables.add(c);
        }
        return c;
    }

    /** Marks the component ready and prints the line launchers and people look for. */
    public void ready(String where) {
        ready = true;
        String line = "READY " + component + " " + where + (admin == null ? "" : " admin=http://"
                + AdminServer.hostPort(admin.boundAddress()));
        log.info(line);
        System.out.println(line);
        System.out.flush();
    }

    public boolean isReady() {
        return ready;
    }

    public void awaitShutdown() throws InterruptedException {
        stopped.await();
    }

    @Override
    public void close() {
        if (stopped.getCount() == 0) {
            return;
        }
        ready = false;
        log.info("{} stopping", component);
        List<AutoCloseable> list;
        synchronized (closeables) {
            list = new ArrayList<>(closeables);
            closeables.clear();
        }
        for (int i = list.size() - 1; i >= 0; i--) {
            try {
                list.get(i).close();
            } catch (Exception e) {
                log.warn("while stopping {}: {}", component, e.toString());
            }
        }
        if (admin != null) {
            admin.close();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        log.info("{} stopped", component);
        events.close();
        try {
            logFiles.close();
        } catch (Exception e) {
            log.warn("cannot close the log files: {}", e.toString());
        }
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException ignored) {
                // the JVM is already shutting down
            }
        }
        stopped.countDown();
    }

    /** Parses {@code --config <file>} (the only argument of component processes). */
    public static Path configArg(String[] args, String usage) {
        for (int i = 0; i + 1 < args.length; i++) {
            if ("--config".equals(args[i])) {
                return Path.of(args[i + 1]);
            }
        }
        System.err.println("usage: " + usage + " --config <file.json>");
        System.exit(2);
        return null;
    }
}
