package org.cmglab.lab;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.cmglab.lab.dashboard.DashboardServer;
import org.cmglab.lab.dashboard.LabStatusProbe;
import org.cmglab.proto.config.Endpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cmglab dashboard}: serves the live data-flow page for a lab's log folder until Ctrl-C, without starting the
 * lab. Its status panels come from the {@code cmglab up} supervisor when one runs for the state folder, else from
 * the components' own admin endpoints ({@link LabStatusProbe}).
 */
@Command(name = "dashboard", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Serves the live data-flow page (the article's basic and content flow diagrams lit by the lab's "
                + "flow events, instances, channels, recent requests, ports) for the lab of the state folder, until "
                + "Ctrl-C. Starts no component: run it beside `cmglab demo --keep` or any lab writing to the same logs/.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped by Ctrl-C", "2:usage error", "3:the page could not be served (address in use …)"})
final class DashboardCommand implements Callable<Integer> {
    @Mixin
    CmgLabMain.LabOptions lab = new CmgLabMain.LabOptions();

    @Option(names = "--listen", paramLabel = "ADDRESS:PORT",
            description = "where to serve the page (default: the lab's 127.N.0.1:8080, plus the port offset); "
                    + "a 127.0.0.0/8 address only")
    String listen;

    @Override
    public Integer call() throws InterruptedException {
        return run(System.out, new CountDownLatch(1));
    }

    /** Serves until {@code stop} opens (Ctrl-C opens it through a shutdown hook). */
    int run(PrintStream out, CountDownLatch stop) throws InterruptedException {
        LabPlan plan;
        Endpoint at;
        try {
            plan = lab.toPlan();
            at = listen == null ? plan.dashboard() : parse(listen);
        } catch (IllegalArgumentException | IllegalStateException e) {
            out.println("cmglab: " + e.getMessage());
            return CmgLabMain.EXIT_USAGE;
        }
        DashboardServer server = new DashboardServer(plan, at, LabStatusProbe.forPlan(plan));
        try {
            server.start();
        } catch (RuntimeException e) {
            out.println("cmglab: " + e.getMessage());
            return CmgLabMain.EXIT_START_FAILED;
        }
        CountDownLatch closed = new CountDownLatch(1);
        // Ctrl-C: let the serving thread close the server (bounded), and wait for it a little
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                closed.await(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "dashboard-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        out.println("CMG Lab live data-flow page: " + server.url());
        out.println("  flow events from " + plan.logDir() + "/flow-*.jsonl; status from "
                + (RunningLab.find(plan.stateDir()).isPresent() ? "the cmglab up supervisor" : "the components' admin endpoints"));
        out.println("  Ctrl-C to stop");
        try {
            stop.await();
        } finally {
            server.close();
            closed.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down
            }
        }
        return CmgLabMain.EXIT_OK;
    }

    static Endpoint parse(String s) {
        int i = s.lastIndexOf(':');
        if (i <= 0 || i == s.length() - 1) {
            throw new IllegalArgumentException("--listen: " + s + " (expected: ADDRESS:PORT, e.g. 127.77.0.1:8080)");
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(i + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--listen: " + s + " (expected: a port number after the colon)");
        }
        return new Endpoint(s.substring(0, i), port);
    }
}
