package org.cmglab.lab.dashboard;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.cmglab.proto.runtime.Json;

/**
 * Calls the whole-lab status supplier off the event loop (it may ask the supervisor or the components over HTTP):
 * on one {@code dashboard-status} thread, one call at a time shared by every request that comes while it runs, its
 * answer reused for {@code maxAgeMillis}, each call bounded by a timeout.
 */
final class StatusSource implements AutoCloseable {
    private final Supplier<String> supplier;
    private final long maxAgeNanos;
    private final long timeoutMillis;
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "dashboard-status");
        t.setDaemon(true);
        return t;
    });
    private CompletableFuture<String> current;
    private long currentAt;

    StatusSource(Supplier<String> supplier, long maxAgeMillis, long timeoutMillis) {
        this.supplier = supplier;
        this.maxAgeNanos = TimeUnit.MILLISECONDS.toNanos(maxAgeMillis);
        this.timeoutMillis = timeoutMillis;
    }

    /** The status JSON; fails with the supplier's exception, a timeout, or when it did not return a JSON object. */
    synchronized CompletableFuture<String> get() {
        long now = System.nanoTime();
        if (current != null && (!current.isDone() || now - currentAt < maxAgeNanos)) {
            return current;
        }
        currentAt = now;
        current = CompletableFuture.supplyAsync(() -> {
            String s = supplier.get();
            if (s == null) {
                throw new IllegalStateException("the status supplier returned nothing");
            }
            try {
                if (!Json.MAPPER.readTree(s).isObject()) {
                    throw new IllegalStateException("the status supplier did not return a JSON object");
                }
            } catch (java.io.IOException e) {
                throw new IllegalStateException("the status supplier returned invalid JSON: " + e.getMessage());
            }
            return s;
        }, executor).orTimeout(timeoutMillis, TimeUnit.MILLISECONDS);
        return current;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
