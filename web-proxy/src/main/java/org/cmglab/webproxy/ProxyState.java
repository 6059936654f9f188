package org.cmglab.webproxy;

import io.netty.channel.Channel;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the proxy's handlers share: the allowed ports, the blackhole switch and the counters. Handlers read it from
 * any event loop (atomics and a concurrent map, no locks).
 */
final class ProxyState {
    private final Set<Integer> allowedPorts;
    private volatile boolean blackhole;
    final AtomicLong accepted = new AtomicLong();
    final AtomicLong tunnels = new AtomicLong();
    final AtomicLong denied = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong bytesUp = new AtomicLong();
    final AtomicLong bytesDown = new AtomicLong();
    final AtomicLong swallowedBytes = new AtomicLong();
    /** Open tunnels: client side → upstream side. */
    final Map<Channel, Channel> open = new ConcurrentHashMap<>();

    ProxyState(List<Integer> allowedPorts) {
        this.allowedPorts = Set.copyOf(allowedPorts);
    }

    boolean allowed(int port) {
        return allowedPorts.contains(port);
    }

    boolean blackhole() {
        return blackhole;
    }

    void blackhole(boolean on) {
        blackhole = on;
    }

    String mode() {
        return blackhole ? "blackhole" : "forwarding";
    }
}
