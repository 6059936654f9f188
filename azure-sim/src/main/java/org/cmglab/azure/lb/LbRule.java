package org.cmglab.azure.lb;

import io.netty.channel.Channel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.cmglab.proto.config.Endpoint;

/**
 * One frontend of the load balancer: a load-balancing rule (VIP:443 → pool) or an inbound NAT rule
 * (VIP:10124+i → instance i's channel port). Counters are for the status page.
 */
public final class LbRule {
    /** Kind of rule, as Azure names them. */
    public enum Kind { LOAD_BALANCING, INBOUND_NAT }

    private final String name;
    private final Kind kind;
    private final Endpoint frontend;
    private final Supplier<Endpoint> target;
    private final String targetDescription;
    volatile Channel server;
    /** The client-side connections open through this rule (reset by a network security rule or a restart). */
    final io.netty.channel.group.ChannelGroup open = new io.netty.channel.group.DefaultChannelGroup(
            io.netty.util.concurrent.GlobalEventExecutor.INSTANCE);
    final AtomicLong resetOpen = new AtomicLong();
    final AtomicLong connections = new AtomicLong();
    final AtomicLong active = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    final AtomicLong denied = new AtomicLong();
    final AtomicLong backendFailures = new AtomicLong();
    final AtomicLong bytesIn = new AtomicLong();
    final AtomicLong bytesOut = new AtomicLong();

    LbRule(String name, Kind kind, Endpoint frontend, Supplier<Endpoint> target, String targetDescription) {
        this.name = name;
        this.kind = kind;
        this.frontend = frontend;
        this.target = target;
        this.targetDescription = targetDescription;
    }

    public String name() { return name; }
    public Kind kind() { return kind; }
    public Endpoint frontend() { return frontend; }
    public long connections() { return connections.get(); }
    public long activeConnections() { return active.get(); }
    public long refused() { return refused.get(); }
    /** Connections reset because a network security rule denies the frontend port. */
    public long denied() { return denied.get(); }
    /** Open connections reset by a deny with {@code existing=reset} or a load balancer restart. */
    public long resetOpen() { return resetOpen.get(); }
    /** Whether the frontend listens now (false while the load balancer restarts). */
    public boolean listening() {
        Channel s = server;
        return s != null && s.isActive();
    }
    /** Bytes client → instance. */
    public long bytesIn() { return bytesIn.get(); }
    /** Bytes instance → client. */
    public long bytesOut() { return bytesOut.get(); }

    /** Where the next connection goes, or null when no backend can take it. */
    Endpoint pickTarget() {
        return target.get();
    }

    public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("kind", kind.name());
        m.put("frontend", frontend.toString());
        m.put("target", targetDescription);
        m.put("connections", connections.get());
        m.put("active", active.get());
        m.put("refused", refused.get());
        m.put("denied", denied.get());
        m.put("resetOpen", resetOpen.get());
        m.put("listening", listening());
        m.put("backendConnectFailures", backendFailures.get());
        m.put("bytesIn", bytesIn.get());
        m.put("bytesOut", bytesOut.get());
        return m;
    }
}
