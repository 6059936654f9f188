package org.cmglab.cp.dial;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.cmglab.cp.forward.ConnectorStreams;
import org.cmglab.cp.forward.StreamContext;
import org.cmglab.proto.channel.ChannelHello;
import org.cmglab.proto.channel.ChannelPipelines;
import org.cmglab.proto.channel.ChannelProtocol;
import org.cmglab.proto.channel.ChannelSettings;
import org.cmglab.proto.channel.ConnectorUpgradeHandler;
import org.cmglab.proto.channel.PingKeepaliveHandler;
import org.cmglab.proto.config.ConnectionPointConfig.ChannelTarget;
import org.cmglab.proto.config.ConnectionPointConfig.WebProxy;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.runtime.EventLoops;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one channel open to one CMG VM instance (flow F2): dials out over TLS with the connection point's client
 * certificate, upgrades to the channel protocol, and re-dials with exponential backoff and jitter (1 s doubling to
 * 30 s, ±20 %) whenever the channel fails or closes.
 */
public final class ChannelDialer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChannelDialer.class);
    private static final long MIN_BACKOFF_MS = 1_000;
    private static final long MAX_BACKOFF_MS = 30_000;

    /** What the status page shows of this channel. */
    public record Status(int instanceIndex, String host, int port, String transport, String proxy, String state,
                         String connectionId, String since, String lastError, int activeStreams, long connects,
                         long failures, Long lastPingRttMicros) {}

    private final String connectorName;
    private final String siteCode;
    private final String sourceAddress;
    private final ChannelTarget target;
    private final SslContext tls;
    private final AddressResolverGroup<InetSocketAddress> hosts;
    private final EventLoopGroup group;
    private final ChannelSettings settings;
    private final StreamFactory streams;
    private final FlowEventLog events;
    /** Set only when this channel goes through the web proxy (HTTPS and a proxy configured). */
    private final WebProxy proxy;
    private volatile Channel channel;
    private volatile String state = "Connecting";
    private volatile String connectionId;
    private volatile Instant since = Instant.now();
    private volatile String lastError;
    private volatile boolean stopped;
    private long backoffMs = MIN_BACKOFF_MS;
    private long connects;
    private long failures;

    /** Builds the stream context of a new channel. */
    public interface StreamFactory {
        StreamContext forChannel(ChannelHello hello, ChannelTarget target);

        List<ChannelHello.Role> roles();
    }

    public ChannelDialer(String connectorName, String siteCode, String sourceAddress, ChannelTarget target,
                         SslContext tls, AddressResolverGroup<InetSocketAddress> hosts, EventLoopGroup group, ChannelSettings settings,
                         StreamFactory streams, FlowEventLog events, WebProxy proxy) {
        this.connectorName = connectorName;
        this.siteCode = siteCode;
        this.sourceAddress = sourceAddress;
        this.target = target;
        this.tls = tls;
        this.proxy = WebProxyDial.usesProxy(target, proxy) ? proxy : null;
        // through the proxy: resolve in the lab and CONNECT to 127.x.y.z:port (see WebProxyDial)
        this.hosts = this.proxy == null ? hosts : WebProxyDial.literalAddresses(hosts);
        this.group = group;
        this.settings = settings;
        this.streams = streams;
        this.events = events;
    }

    public void start() {
        dial();
    }

    public boolean connected() {
        Channel c = channel;
        return c != null && c.isActive() && "Connected".equals(state);
    }

    private void dial() {
        if (stopped) {
            return;
        }
        String id = UUID.randomUUID().toString();
        connectionId = id;
        state = "Connecting";
        long t0 = System.nanoTime();
        ChannelHello hello = new ChannelHello(ChannelProtocol.UPGRADE_TOKEN, id, connectorName, siteCode, "HTTPS",
                streams.roles());
        StreamContext sc = streams.forChannel(hello, target);
        Promise<Void> upgraded = group.next().newPromise();
        Bootstrap b = new Bootstrap().group(group).channel(EventLoops.socketChannelClass()).resolver(hosts)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.handshakeTimeout().toMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .localAddress(sourceAddress, 0)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (proxy != null) {
                            var ph = WebProxyDial.newHandler(proxy, settings.handshakeTimeout());
                            ch.pipeline().addFirst("proxy", ph);
                            ph.connectFuture().addListener(f -> {
                                if (!f.isSuccess()) {
                                    upgraded.tryFailure(f.cause());
                                }
                            });
                        }
                        ch.pipeline().addLast("ssl", tls.newHandler(ch.alloc(), target.host(), target.port()))
                                .addLast("http", new HttpClientCodec())
                                .addLast("upgrade", new ConnectorUpgradeHandler(target.host(), id, connectorName,
                                        siteCode, upgraded, ctx -> ChannelPipelines.installConnectorSide(ctx.channel(),
                                        settings, "connection " + id, new ConnectorStreams(sc), new Tail(id))));
                    }
                });
        Channel ch;
        try {
            ch = b.connect(InetSocketAddress.createUnresolved(target.host(), target.port())).addListener(f -> {
                if (!f.isSuccess()) {
                    upgraded.tryFailure(f.cause());
                }
            }).channel();
        } catch (RuntimeException e) {
            upgraded.tryFailure(e);
            ch = null;
        }
        Channel dialled = ch;
        group.schedule(() -> {
            if (upgraded.tryFailure(new java.util.concurrent.TimeoutException("no channel within "
                    + settings.handshakeTimeout().toMillis() + " ms")) && dialled != null) {
                dialled.close();
            }
        }, settings.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        upgraded.addListener(f -> {
            if (f.isSuccess()) {
                onConnected(dialled, id, t0);
            } else {
                onFailed(id, f.cause(), dialled);
            }
        });
    }

    private synchronized void onConnected(Channel ch, String id, long t0) {
        channel = ch;
        state = "Connected";
        since = Instant.now();
        lastError = null;
        backoffMs = MIN_BACKOFF_MS;
        connects++;
        log.info("Connection {} established with server {}:{} (HTTPS channel, instance {}{})", id,
                target.host().toUpperCase(java.util.Locale.ROOT), target.port(), target.instanceIndex(),
                proxy == null ? "" : ", through proxy " + proxy.describe());
        events.event("F2", "event").from("cmg-connection-point").to("cmg-service/" + target.instanceIndex())
                .protocol("HTTPS (channel upgrade to HTTP/2)").port(target.port())
                .auth("connection point client certificate (mutual TLS)").outcome("ok")
                .latencyNanos(System.nanoTime() - t0).detail("channel " + id + " to " + target.host()).emit();
        ch.closeFuture().addListener(f -> {
            if (stopped) {
                return;
            }
            PingKeepaliveHandler ping = ch.pipeline().get(PingKeepaliveHandler.class);
            String why = ping != null && ping.timedOut() ? "no PING answer (half-open channel)" : "closed by the peer";
            log.warn("Connection {} with server {}:{} is lost ({}); reconnecting", id, target.host(), target.port(), why);
            lostOrFailed(why);
        });
    }

    private synchronized void onFailed(String id, Throwable cause, Channel ch) {
        if (ch != null) {
            ch.close();
        }
        failures++;
        String viaProxy = proxy == null ? null : WebProxyDial.describeFailure(cause, proxy);
        String msg = viaProxy != null ? viaProxy : cause.getMessage() == null ? cause.toString() : cause.getMessage();
        log.error("ERROR: Failed to build Http connection {} with server {}:{}. Exception: {}", id,
                target.host().toUpperCase(java.util.Locale.ROOT), target.port(), msg);
        events.event("F2", "event").from("cmg-connection-point").to("cmg-service/" + target.instanceIndex())
                .protocol("HTTPS").port(target.port()).outcome("failed").detail(msg).emit();
        lostOrFailed(msg);
    }

    private synchronized void lostOrFailed(String why) {
        channel = null;
        state = "Disconnected";
        lastError = why;
        since = Instant.now();
        if (stopped) {
            return;
        }
        long jittered = (long) (backoffMs * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
        backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        group.schedule(this::dial, jittered, TimeUnit.MILLISECONDS);
    }

    public Status status() {
        Channel c = channel;
        int active = 0;
        Long rtt = null;
        if (c != null) {
            var codec = ChannelPipelines.codec(c);
            active = codec == null ? 0 : codec.connection().numActiveStreams();
            PingKeepaliveHandler p = c.pipeline().get(PingKeepaliveHandler.class);
            rtt = p == null || p.lastRttNanos() < 0 ? null : p.lastRttNanos() / 1000;
        }
        synchronized (this) {
            return new Status(target.instanceIndex(), target.host(), target.port(), target.transport(),
                    proxy == null ? null : proxy.describe(), state,
                    connectionId, since.toString(), lastError, active, connects, failures, rtt);
        }
    }

    @Override
    public void close() {
        stopped = true;
        Channel c = channel;
        if (c != null) {
            // GOAWAY first: the CMG stops sending new requests here, those in flight finish
            org.cmglab.proto.channel.ChannelDrain.drain(c, java.time.Duration.ofSeconds(5))
                    .awaitUninterruptibly(6, TimeUnit.SECONDS);
        }
    }

    /** Last handler of the channel: logs protocol errors and closes only this channel. */
    private static final class Tail extends ChannelInboundHandlerAdapter {
        private final String id;

        Tail(String id) {
            this.id = id;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.warn("Connection {}: closing after a protocol error: {}", id, cause.toString());
            ctx.close();
        }
    }
}
