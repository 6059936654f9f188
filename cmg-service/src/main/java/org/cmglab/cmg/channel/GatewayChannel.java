package org.cmglab.cmg.channel;

import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.concurrent.Future;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.cmglab.proto.channel.ChannelHello;
import org.cmglab.proto.channel.ChannelPipelines;

/** One channel a connection point opened to this CMG instance, once its hello has been received. */
public final class GatewayChannel {
    private final Channel parent;
    private final ChannelHello hello;
    private final String transport;
    private final int localPort;
    private final String peerCertificate;
    private final Instant since = Instant.now();
    final AtomicLong requests = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    private volatile boolean draining;
    /** The channel that replaced this one, or null. */
    private volatile GatewayChannel replacement;

    GatewayChannel(Channel parent, ChannelHello hello, String transport, int localPort, String peerCertificate) {
        this.parent = parent;
        this.hello = hello;
        this.transport = transport;
        this.localPort = localPort;
        this.peerCertificate = peerCertificate;
    }

    public ChannelHello hello() { return hello; }
    public String transport() { return transport; }
    public int localPort() { return localPort; }
    public Channel parent() { return parent; }

    public boolean serves(String roleId) {
        if (draining || superseded() || !parent.isActive()) {
            return false;
        }
        if (closing()) {
            return false;
        }
        return hello.roles().stream().anyMatch(r -> r.roleId().equals(roleId));
    }

    /**
     * Replaced by a newer channel that can itself take requests. When the replacement dies or is being closed first
     * (e.g. a misbehaving clone with the same name and certificate that the CMG refuses after its hello), this channel
     * takes requests again instead of leaving the instance without one while its connection point sees nothing wrong.
     */
    private boolean superseded() {
        GatewayChannel r = replacement;
        return r != null && r.parent.isActive() && !r.draining && !r.closing();
    }

    /**
     * True once either side sent GOAWAY: the connection point is draining this channel, or this CMG is closing it
     * (a refusal, a flood, a PING left unanswered), which can take the codec's graceful close (up to 30 s for the
     * streams still open) — no new request may be sent on it meanwhile.
     */
    private boolean closing() {
        var codec = ChannelPipelines.codec(parent);
        return codec == null || codec.connection().goAwayReceived() || codec.connection().goAwaySent();
    }

    /**
     * Opens a request stream; {@code handler} is the stream's only handler. A bootstrap per stream: requests from
     * client connections on other event loops open streams concurrently, and a shared bootstrap's handler would be
     * overwritten between {@code handler(…)} and the (deferred) open on the channel's event loop.
     */
    public Future<Http2StreamChannel> openStream(io.netty.channel.ChannelHandler handler) {
        requests.incrementAndGet();
        // responses are read on demand, following the client's writability (backpressure)
        return new Http2StreamChannelBootstrap(parent).option(io.netty.channel.ChannelOption.AUTO_READ, false)
                .handler(handler).open();
    }

    public void markDraining() {
        draining = true;
    }

    /**
     * The same connection point's slot on this instance: the connection point keeps one channel per CMG instance and
     * transport port (docs/channel-protocol.md, "Superseded channels"), so a newer channel with the same connector
     * name, connector certificate, transport and port replaces this one.
     */
    boolean sameSlot(GatewayChannel other) {
        return other != this && hello.connector() != null && hello.connector().equalsIgnoreCase(other.hello.connector())
                && java.util.Objects.equals(peerCertificate, other.peerCertificate)
                && transport.equals(other.transport) && localPort == other.localPort;
    }

    /**
     * Takes this channel out of the rotation for new requests because {@code newer} replaced it; streams in flight
     * carry on (they finish, or fail with 502 when the channel dies). The channel stays open until its connection
     * point closes it or its PING deadline does. Returns false when it was already superseded.
     */
    boolean supersede(GatewayChannel newer) {
        if (superseded()) {
            return false;
        }
        replacement = newer;
        return true;
    }

    /** The connection id of the channel that replaced this one, or null. */
    public String supersededBy() {
        return superseded() ? replacement.hello.connectionId() : null;
    }

    /** Streams open on this channel now (requests in flight). */
    int activeStreams() {
        var codec = ChannelPipelines.codec(parent);
        return codec == null ? 0 : codec.connection().numActiveStreams();
    }

    /** The status page's view of this channel. */
    public Status status() {
        return new Status(hello.connector(), hello.connectionId(), hello.siteCode(), transport, localPort,
                parent.isActive() && !draining && !superseded() && !closing(), draining,
                since.toString(), activeStreams(),
                requests.get(), failures.get(), hello.roles(), peerCertificate, String.valueOf(parent.remoteAddress()),
                supersededBy());
    }

    /** {@code supersededBy}: the connection id of the newer channel that replaced this one (null while it serves). */
    public record Status(String connector, String connectionId, String siteCode, String transport, int port,
                         boolean ready, boolean draining, String since, int activeStreams, long requests,
                         long failures, List<ChannelHello.Role> roles, String certificate, String remote,
                         String supersededBy) {}
}
