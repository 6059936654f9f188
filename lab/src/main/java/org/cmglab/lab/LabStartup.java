package org.cmglab.lab;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Starts the processes of a lab in the order their dependencies need, independent ones together:
 * <ol>
 *   <li>Azurite and azure-sim at once (neither needs the other to start);</li>
 *   <li>as soon as azure-sim (Entra ID, Resource Manager, the lab DNS) and Azurite (the CMG's storage) are ready: the
 *       service connection point, which deploys the CMG when it starts (F1), site-sim (which reads the Entra tenant's
 *       keys from azure-sim when it starts) and the connection point, which waits for the site (the service connection
 *       point's status) to report the CMG deployed before its first dial;</li>
 *   <li>then it waits for site-sim, the service connection point, F1 (the deployment Ready: azure-sim has started
 *       every VM instance) and the connection point (ready once a channel is up).</li>
 * </ol>
 * On a 2-core machine the start is CPU-bound: azure-sim, the service connection point and the CMG instance are the
 * path to Ready, so only Azurite starts alongside azure-sim, and site-sim and the connection point alongside the rest.
 * With a {@link BeforeConnectionPoint} step (tests that change something between F1 and F2), the connection point
 * starts after F1 and that step instead. Each process is still awaited on its admin {@code /ready}; each line printed
 * says how long that process took from its own start.
 */
public final class LabStartup {
    /** What runs once the CMG is deployed (F1), before the connection point starts. */
    public interface BeforeConnectionPoint {
        void run() throws Exception;
    }

    /**
     * How long the start took, from the call (milliseconds).
     *
     * @param totalMillis      until the connection point was ready (a channel up)
     * @param azuriteMillis    until Azurite was ready (it starts with azure-sim)
     * @param readyMillis      per component: from its own start until its /ready answered
     * @param deploymentMillis until the service connection point reported the CMG Ready (F1)
     */
    public record Times(long totalMillis, long azuriteMillis, Map<String, Long> readyMillis, long deploymentMillis) {}

    private final LabProcesses lab;
    private final PrintStream out;

    LabStartup(LabProcesses lab, PrintStream out) {
        this.lab = lab;
        this.out = out;
    }

    /**
     * Starts everything; throws {@link IllegalStateException} naming the process (and its log) that failed. On a
     * failure every process started so far is still running: the caller closes the lab.
     */
    Times start(Duration readyTimeout, Duration deployTimeout, BeforeConnectionPoint before)
            throws InterruptedException {
        long t0 = System.nanoTime();
        ExecutorService waits = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "cmglab-start");
            t.setDaemon(true);
            return t;
        });
        CompletableFuture<Long> azurite = null;
        try {
            azurite = CompletableFuture.supplyAsync(() -> {
                lab.startAzurite();
                return System.nanoTime();
            }, waits);
            ComponentProcess azure = null;
            ComponentProcess scp = null;
            ComponentProcess cp = null;
            List<ComponentProcess> others = new ArrayList<>(); // site-sim
            for (ComponentProcess c : lab.components()) {
                switch (c.name()) {
                    case LabPlan.AZURE_SIM -> azure = c;
                    case LabPlan.SCP -> scp = c;
                    case LabPlan.CONNECTION_POINT -> cp = c;
                    default -> others.add(c);
                }
            }
            if (azure == null || scp == null || cp == null) {
                throw new IllegalStateException("the lab has no " + (azure == null ? LabPlan.AZURE_SIM
                        : scp == null ? LabPlan.SCP : LabPlan.CONNECTION_POINT));
            }
            List<String> second = new ArrayList<>(List.of(scp.name()));
            others.forEach(c -> second.add(c.name()));
            out.printf("  starting Azurite and %s together; then %s and %s (%s)%n", azure.name(),
                    String.join(", ", second), cp.name(), before == null
                            ? "which waits for the CMG deployment before it dials" : "after the CMG deployment");
            Map<String, CompletableFuture<Long>> ready = new LinkedHashMap<>();
            Map<String, Long> startedAt = new LinkedHashMap<>();
            startedAt.put(azure.name(), System.nanoTime());
            azure.start();
            ready.put(azure.name(), readyAsync(azure, readyTimeout, waits));

            // the service connection point deploys through azure-sim, whose storage accounts live in Azurite
            long azureReady = await(ready.get(azure.name()));
            long azuriteReady = await(azurite);
            startedAt.put(scp.name(), System.nanoTime());
            scp.start();
            ready.put(scp.name(), readyAsync(scp, readyTimeout, waits));
            for (ComponentProcess c : others) {
                startedAt.put(c.name(), System.nanoTime());
                c.start();
                ready.put(c.name(), readyAsync(c, readyTimeout, waits));
            }
            if (before == null) {
                startedAt.put(cp.name(), System.nanoTime());
                cp.start();
            }

            Map<String, Long> readyMillis = new LinkedHashMap<>();
            printStarted(azure, azureReady - startedAt.get(azure.name()), "");
            readyMillis.put(azure.name(), (azureReady - startedAt.get(azure.name())) / 1_000_000);
            for (ComponentProcess c : others) {
                long at = await(ready.get(c.name()));
                printStarted(c, at - startedAt.get(c.name()), "");
                readyMillis.put(c.name(), (at - startedAt.get(c.name())) / 1_000_000);
            }
            long scpReady = await(ready.get(scp.name()));
            printStarted(scp, scpReady - startedAt.get(scp.name()), "");
            readyMillis.put(scp.name(), (scpReady - startedAt.get(scp.name())) / 1_000_000);

            JsonNode st = lab.awaitDeployment(deployTimeout);
            long deployed = System.nanoTime();
            out.printf("F1  service-connection-point → Azure (Entra ID token, Resource Manager) :%d   %s %s, "
                    + "%d instance(s), %s (%d ms)%n", lab.plan().port(443), st.path("deployment")
                    .path("deploymentMethod").asText(), st.path("deployment").path("deploymentName").asText(),
                    lab.plan().instances(), st.path("state").asText(), (deployed - startedAt.get(scp.name())) / 1_000_000);

            if (before != null) {
                try {
                    before.run();
                } catch (InterruptedException | RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException("before the connection point: " + e, e);
                }
                startedAt.put(cp.name(), System.nanoTime());
                cp.start();
            }
            cp.awaitReady(readyTimeout);
            long cpReady = System.nanoTime();
            printStarted(cp, cpReady - startedAt.get(cp.name()), before == null ? ", of which it waited for F1" : "");
            readyMillis.put(cp.name(), (cpReady - startedAt.get(cp.name())) / 1_000_000);
            return new Times((cpReady - t0) / 1_000_000, (azuriteReady - t0) / 1_000_000, Map.copyOf(readyMillis),
                    (deployed - t0) / 1_000_000);
        } finally {
            // on a failure, Azurite's start (bounded by its own ready timeout) is let finish, so that the caller's
            // close() stops it too; the /ready polls still running end when interrupted
            if (azurite != null) {
                try {
                    azurite.get(2, TimeUnit.MINUTES);
                } catch (ExecutionException | TimeoutException | java.util.concurrent.CancellationException e) {
                    // reported by the await that failed, or the lab is being closed anyway
                }
            }
            waits.shutdownNow();
        }
    }

    private void printStarted(ComponentProcess c, long nanos, String note) {
        out.printf("  started %-26s pid %-7d admin http://%s  (%d ms%s)%n", c.name(), c.pid(), c.admin(),
                nanos / 1_000_000, note);
    }

    private static CompletableFuture<Long> readyAsync(ComponentProcess c, Duration timeout, ExecutorService on) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                c.awaitReady(timeout);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + c.name(), e);
            }
            return System.nanoTime();
        }, on);
    }

    /** The future's value; its failure rethrown as it was thrown ({@link IllegalStateException} mostly). */
    private static long await(CompletableFuture<Long> f) throws InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }
}
