package org.cmglab.azure.lb;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The backend pool of a load-balancing rule: round-robin over the healthy backends, preferring those with a ready
 * connection point channel. Thread-safe.
 */
public final class BackendPool {
    private final CopyOnWriteArrayList<Backend> backends = new CopyOnWriteArrayList<>();
    private final AtomicInteger next = new AtomicInteger();

    public void add(Backend b) {
        backends.removeIf(x -> x.index() == b.index());
        backends.add(b);
        backends.sort(java.util.Comparator.comparingInt(Backend::index));
    }

    public void remove(int index) {
        backends.removeIf(x -> x.index() == index);
    }

    public List<Backend> backends() {
        return List.copyOf(backends);
    }

    public Backend backend(int index) {
        for (Backend b : backends) {
            if (b.index() == index) {
                return b;
            }
        }
        return null;
    }

    /**
     * The next healthy backend in round-robin order, or null when none is healthy. While at least one healthy backend
     * has a ready connection point channel, only those are picked (an instance without one could only answer 503);
     * when none has one, every healthy backend is (the instance answers 503 with its reason instead of the load
     * balancer refusing the connection).
     */
    public Backend pick() {
        Object[] all = backends.toArray();
        if (all.length == 0) {
            return null;
        }
        int start = Math.floorMod(next.getAndIncrement(), all.length);
        Backend anyHealthy = null;
        for (int k = 0; k < all.length; k++) {
            Backend b = (Backend) all[(start + k) % all.length];
            if (b.healthy()) {
                if (b.channelReady()) {
                    return b;
                }
                if (anyHealthy == null) {
                    anyHealthy = b;
                }
            }
        }
        return anyHealthy;
    }
}
