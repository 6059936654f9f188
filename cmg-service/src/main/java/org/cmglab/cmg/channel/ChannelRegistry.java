package org.cmglab.cmg.channel;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.cmglab.proto.channel.ChannelHello;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The channels connection points opened to this instance; requests are spread over them round-robin. A new channel
 * from the same connection point on the same transport port supersedes the older one at once (the connection point
 * only opens it when it gave the old one up, e.g. after its own PING deadline on a silent channel): no new request goes
 * to the old channel, the streams in flight on it finish or fail, and nothing is sent twice.
 */
public final class ChannelRegistry {
    private static final Logger log = LoggerFactory.getLogger(ChannelRegistry.class);

    private final List<GatewayChannel> channels = new CopyOnWriteArrayList<>();
    private final AtomicInteger next = new AtomicInteger();
    private final Set<String> publishedRoles;

    /** A registry that admits any hello (no published roles to check against). */
    public ChannelRegistry() {
        this(Set.of());
    }

    /** {@code publishedRoles}: the role ids this CMG publishes; a hello serving none is refused (empty: no check). */
    public ChannelRegistry(Set<String> publishedRoles) {
        this.publishedRoles = Set.copyOf(publishedRoles);
    }

    /**
     * Registers {@code c}, or returns why not: its hello serves none of the roles this CMG publishes (not a
     * connection point of this CMG), or its connection id names a channel that is already registered and open (a
     * connection id names one channel; the connection point makes a new one for every dial).
     */
    synchronized String tryAdd(GatewayChannel c) {
        ChannelHello h = c.hello();
        if (!publishedRoles.isEmpty()
                && h.roles().stream().noneMatch(r -> r != null && publishedRoles.contains(r.roleId()))) {
            return "its hello serves none of the roles this CMG publishes (hello: " + h.roles() + ", published: "
                    + publishedRoles + ")";
        }
        for (GatewayChannel other : channels) {
            if (other.parent().isActive() && other.hello().connectionId() != null
                    && other.hello().connectionId().equals(h.connectionId())) {
                return "connection id " + h.connectionId() + " is already in use by the channel from "
                        + other.parent().remoteAddress();
            }
        }
        add(c);
        return null;
    }

    void add(GatewayChannel c) {
        channels.add(c);
        log.info("Channel {} from connection point {} (site {}) is connected over {} port {}, serving roles {}",
                c.hello().connectionId(), c.hello().connector(), c.hello().siteCode(), c.transport(), c.localPort(),
                c.hello().roles());
        for (GatewayChannel old : channels) {
            if (old.sameSlot(c) && old.supersede(c)) {
                log.warn("Channel {} from connection point {} is superseded by its new channel {} ({} port {}): no new "
                        + "requests go to it; {} request(s) in flight on it finish or fail", old.hello().connectionId(),
                        old.hello().connector(), c.hello().connectionId(), c.transport(), c.localPort(),
                        old.activeStreams());
            }
        }
    }

    void remove(GatewayChannel c) {
        if (channels.remove(c)) {
            log.warn("Channel {} from connection point {} is disconnected", c.hello().connectionId(), c.hello().connector());
        }
    }

    /** A channel serving {@code roleId}, round-robin over the ready ones, or null. */
    public GatewayChannel pick(String roleId) {
        return pick(roleId, null);
    }

    /** Like {@link #pick(String)}, but never {@code except} (the channel a request just failed on), or null. */
    public GatewayChannel pick(String roleId, GatewayChannel except) {
        List<GatewayChannel> ok = new ArrayList<>();
        for (GatewayChannel c : channels) {
            if (c != except && c.serves(roleId)) {
                ok.add(c);
            }
        }
        if (ok.isEmpty()) {
            return null;
        }
        // a retry (except != null) does not move the round-robin, so a broken channel is not picked first every time
        return ok.get(Math.floorMod(except == null ? next.getAndIncrement() : next.get(), ok.size()));
    }

    public List<GatewayChannel.Status> status() {
        return channels.stream().map(GatewayChannel::status).toList();
    }

    public boolean anyReady() {
        return channels.stream().anyMatch(c -> c.status().ready());
    }

    public List<GatewayChannel> all() {
        return List.copyOf(channels);
    }
}
