package org.cmglab.azure.lb;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** The backend pool of a load-balancing rule: round-robin over the healthy backends. Thread-safe. */
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

    /** The next healthy backend in round-robin order, or null when none is healthy. */
    public Backend pick() {
        Object[] all = backends.toArray();
        if (all.length == 0) {
            return null;
        }
        int start = Math.floorMod(next.getAndIncrement(), all.length);
        for (int k = 0; k < all.length; k++) {
            Backend b = (Backend) all[(start + k) % all.length];
            if (b.healthy()) {
                return b;
            }
        }
        return null;
    }
}
