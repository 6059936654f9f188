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
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.cmglab.cp.forward.ConnectorStreams;
import org.cmglab.cp.forward.StreamContext;
import org.cmglab.proto.channel.ChannelDrain;
import org.cmglab.proto.channel.ChannelHello;
import org.cmglab.proto.channel.ChannelPipelines;
import org.cmglab.proto.channel.ChannelProtocol;
import org.cmglab.proto.channel.ChannelSettings;
import org.cmglab.proto.channel.ConnectorTlsHandler;
import org.cmglab.proto.channel.ConnectorUpgradeHandler;
import org.cmglab.proto.channel.PingKeepaliveHandler;
import org.cmglab.proto.config.ConnectionPointConfig.ChannelTarget;
import org.cmglab.proto.config.ConnectionPointConfig.WebProxy;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.runtime.EventLoops;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one channel open to one CMG VM instance (flow F2), and re-dials with exponential backoff and jitter (1 s
 * doubling to 30 s, ±20 %) whenever the channel fails or closes.
 *
 * <ul>
 *   <li>HTTPS target (scale set): TLS with the connection point's client certificate, then the channel upgrade.</li>
 *   <li>TCP-TLS target (classic, 10140+i): TLS, then HTTP/2 directly — never through a proxy. When TCP-TLS cannot
 *       connect, the dialer falls back to HTTPS on {@link ChannelTarget#httpsFallbackPort()} (status shows
 *       {@code fallbackFrom}/{@code fallbackReason}) and retries TCP-TLS every {@code tcpTlsRetry}; once TCP-TLS
 *       connects, the new channel takes over and the HTTPS one is drained (GOAWAY, streams in flight finish).</li>
 * </ul>
 */
public final class ChannelDialer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChannelDialer.class);
    private static final long MIN_BACKOFF_MS = 1_000;
    private static final long MAX_BACKOFF_MS = 30_000;
    private static final Duration DRAIN_GRACE = Duration.ofSeconds(30);

    /**
     * What the status page shows of this channel: {@code transport}/{@code port} are what the channel uses (or is
     * being dialled on), {@code proxy} is null (TCP-TLS never uses one), {@code fallbackFrom}/{@code fallbackReason}
     * are set while a TCP-TLS target runs on its HTTPS fallback.
     */
    public record Status(int instanceIndex, String host, int port, String transport, String proxy, String state,
                         String connectionId, String since, String lastError, int activeStreams, long connects,
                         long failures, Long lastPingRttMicros, long bytesIn, long bytesOut, String fallbackFrom,
                         String fallbackReason) {}

    /** Why a dial happens: a normal (re)dial, the HTTPS fallback after TCP-TLS failed, or a TCP-TLS retry. */
    private enum Mode { DIAL, FALLBACK, RETRY }

    private final String connectorName;
    private final String siteCode;
    private final String sourceAddress;
    private final ChannelTarget target;
    private final SslContext httpsTls;
    private final SslContext tcpTls;
    private final AddressResolverGroup<InetSocketAddress> hosts;
    /** Resolver for HTTPS dials through the web proxy: CONNECT goes to the lab-resolved 127.x.y.z (see WebProxyDial). */
    private final AddressResolverGroup<InetSocketAddress> proxiedHosts;
    /** The site-system web proxy for HTTPS channels, or null; TCP-TLS never uses it. */
    private final WebProxy proxy;
    private final EventLoopGroup group;
    private final ChannelSettings settings;
    private final Duration tcpTlsRetry;
    private final StreamFactory streams;
    private final FlowEventLog events;
    private volatile Channel channel;
    private volatile String transport;
    private volatile int port;
    private volatile String state = "Connecting";
    private volatile String connectionId;
    private volatile Instant since = Instant.now();
    private volatile String lastError;
    private volatile String fallbackFrom;
    private volatile String fallbackReason;
    private volatile boolean stopped;
    private ScheduledFuture<?> retryTask;
    private long backoffMs = MIN_BACKOFF_MS;
    private long connects;
    private long failures;

    /** Builds the stream context of a new channel. */
    public interface StreamFactory {
        StreamContext forChannel(ChannelHello hello, ChannelTarget target);

        List<ChannelHello.Role> roles();
    }

    /**
     * @param httpsTls    client context for the HTTPS transport (ALPN http/1.1)
     * @param tcpTls      client context for the TCP-TLS transport
     * @param tcpTlsRetry how often TCP-TLS is retried while on the HTTPS fallback
     */
    public ChannelDialer(String connectorName, String siteCode, String sourceAddress, ChannelTarget target,
                         SslContext httpsTls, SslContext tcpTls, AddressResolverGroup<InetSocketAddress> hosts,
                         EventLoopGroup group, ChannelSettings settings, Duration tcpTlsRetry, StreamFactory streams,
                         FlowEventLog events, WebProxy proxy) {
        this.connectorName = connectorName;
        this.siteCode = siteCode;
        this.sourceAddress = sourceAddress;
        this.target = target;
        this.httpsTls = httpsTls;
        this.tcpTls = tcpTls;
        this.hosts = hosts;
        this.proxy = proxy;
        this.proxiedHosts = proxy == null ? hosts : WebProxyDial.literalAddresses(hosts);
        this.group = group;
        this.settings = settings;
        this.tcpTlsRetry = tcpTlsRetry;
        this.streams = streams;
        this.events = events;
        this.transport = target.transport();
        this.port = target.port();
    }

    public void start() {
        dial();
    }

    /** The proxy an attempt over {@code tr} goes through: only HTTPS channels use the web proxy. */
    private WebProxy viaProxy(String tr) {
        return WebProxyDial.usesProxy(new ChannelTarget(target.instanceIndex(), target.host(), port, tr, null), proxy)
                ? proxy : null;
    }

    public boolean connected() {
        Channel c = channel;
        return c != null && c.isActive() && "Connected".equals(state);
    }

    /** A (re)dial: TCP-TLS first for a TCP-TLS target, else HTTPS. */
    private synchronized void dial() {
        if (stopped || (channel != null && channel.isActive())) {
            return;
        }
        attempt(target.transport(), target.port(), Mode.DIAL);
    }

    private synchronized void attempt(String tr, int p, Mode mode) {
        String id = UUID.randomUUID().toString();
        if (mode != Mode.RETRY) {
            connectionId = id;
            state = "Connecting";
            transport = tr;
            port = p;
        }
        long t0 = System.nanoTime();
        ChannelHello hello = new ChannelHello(ChannelProtocol.UPGRADE_TOKEN, id, connectorName, siteCode, tr,
                streams.roles());
        // the channel counts as connected once the CMG has asked for and received our hello: only then does it route
        // requests to it (a channel the CMG refuses after TLS never gets that far)
        Promise<Void> ready = group.next().newPromise();
        Promise<Void> helloServed = group.next().newPromise();
        StreamContext sc = streams.forChannel(hello, new ChannelTarget(target.instanceIndex(), target.host(), p, tr, null))
                .withOnHello(() -> helloServed.trySuccess(null));
        Consumer<ChannelHandlerContext> installer = ctx -> ChannelPipelines.installConnectorSide(ctx.channel(),
                settings, "connection " + id, new ConnectorStreams(sc), new Tail(id));
        WebProxy via = viaProxy(tr);
        Bootstrap b = new Bootstrap().group(group).channel(EventLoops.socketChannelClass())
                .resolver(via == null ? hosts : proxiedHosts)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.handshakeTimeout().toMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .localAddress(sourceAddress, 0)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(ByteCounter.NAME, new ByteCounter());
                        if (ChannelTarget.TCP_TLS.equals(tr)) {
                            // TCP-TLS: TLS straight to the instance, HTTP/2 right after; never through a proxy
                            ch.pipeline().addLast("ssl", tcpTls.newHandler(ch.alloc(), target.host(), p))
                                    .addLast("tcp-tls", new ConnectorTlsHandler(ready, installer));
                        } else {
                            if (via != null) {
                                var ph = WebProxyDial.newHandler(via, settings.handshakeTimeout());
                                ch.pipeline().addFirst("proxy", ph);
                                ph.connectFuture().addListener(f -> {
                                    if (!f.isSuccess()) {
                                        ready.tryFailure(f.cause());
                                    }
                                });
                            }
                            ch.pipeline().addLast("ssl", httpsTls.newHandler(ch.alloc(), target.host(), p))
                                    .addLast("http", new HttpClientCodec())
                                    .addLast("upgrade", new ConnectorUpgradeHandler(target.host(), id, connectorName,
                                            siteCode, ready, installer));
                        }
                    }
                });
        Channel ch;
        try {
            ch = b.connect(InetSocketAddress.createUnresolved(target.host(), p)).addListener(f -> {
                if (!f.isSuccess()) {
                    ready.tryFailure(f.cause());
                }
            }).channel();
        } catch (RuntimeException e) {
            ready.tryFailure(e);
            ch = null;
        }
        Channel dialled = ch;
        group.schedule(() -> {
            var timeout = new java.util.concurrent.TimeoutException("no channel within "
                    + settings.handshakeTimeout().toMillis() + " ms");
            boolean upgradeTimedOut = ready.tryFailure(timeout);
            boolean helloTimedOut = helloServed.tryFailure(new java.util.concurrent.TimeoutException(
                    "the CMG did not ask for the hello within " + settings.handshakeTimeout().toMillis() + " ms"));
            if ((upgradeTimedOut || helloTimedOut) && dialled != null) {
                dialled.close();
            }
        }, settings.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        ready.addListener(f -> {
            if (!f.isSuccess()) {
                helloServed.tryFailure(f.cause());
                onFailed(id, tr, p, mode, f.cause(), dialled);
                return;
            }
            if (dialled != null) {
                dialled.closeFuture().addListener(c -> helloServed.tryFailure(
                        new java.io.IOException("the CMG closed the channel before the hello")));
            }
            helloServed.addListener(h -> {
                if (h.isSuccess()) {
                    onConnected(dialled, id, tr, p, mode, t0);
                } else {
                    onFailed(id, tr, p, mode, h.cause(), dialled);
                }
            });
        });
    }

    private synchronized void onConnected(Channel ch, String id, String tr, int p, Mode mode, long t0) {
        if (stopped) {
            ch.close();
            return;
        }
        Channel old = channel;
        channel = ch;
        transport = tr;
        port = p;
        connectionId = id;
        state = "Connected";
        since = Instant.now();
        lastError = null;
        backoffMs = MIN_BACKOFF_MS;
        connects++;
        String server = target.host().toUpperCase(Locale.ROOT) + ":" + p;
        WebProxy via = viaProxy(tr);
        log.info("Connection {} established with server {} ({} channel, instance {}{})", id, server, tr,
                target.instanceIndex(), via == null ? "" : ", through proxy " + via.describe());
        if (ChannelTarget.TCP_TLS.equals(tr)) {
            fallbackFrom = null;
            fallbackReason = null;
            cancelRetry();
        } else if (fallbackFrom != null) {
            scheduleRetry();
        }
        boolean tcp = ChannelTarget.TCP_TLS.equals(tr);
        events.event("F2", "event").from("cmg-connection-point").to("cmg-service/" + target.instanceIndex())
                .protocol(tcp ? "TCP-TLS (HTTP/2 after TLS)" : "HTTPS (channel upgrade to HTTP/2)").port(p)
                .auth("connection point client certificate (mutual TLS)").outcome("ok")
                .latencyNanos(System.nanoTime() - t0).detail("channel " + id + " to " + target.host()
                        + (fallbackFrom != null ? " (fallback from " + fallbackFrom + ")" : "")).emit();
        ch.closeFuture().addListener(f -> onClosed(ch, id, p));
        if (mode == Mode.RETRY && old != null && old != ch) {
            log.info("Connection {} over TCP-TLS replaces the HTTPS channel to server {}; draining the HTTPS channel",
                    id, target.host().toUpperCase(Locale.ROOT));
            ChannelDrain.drain(old, DRAIN_GRACE);
        }
    }

    private synchronized void onClosed(Channel ch, String id, int p) {
        if (stopped || ch != channel) {
            return; // shut down, or a channel that was replaced and drained
        }
        PingKeepaliveHandler ping = ch.pipeline().get(PingKeepaliveHandler.class);
        String why = ping != null && ping.timedOut() ? "no PING answer (half-open channel)" : "closed by the peer";
        log.warn("Connection {} with server {}:{} is lost ({}); reconnecting", id, target.host(), p, why);
        lostOrFailed(why);
    }

    private synchronized void onFailed(String id, String tr, int p, Mode mode, Throwable cause, Channel ch) {
        if (ch != null) {
            ch.close();
        }
        failures++;
        WebProxy via = viaProxy(tr);
        String viaMsg = via == null ? null : WebProxyDial.describeFailure(cause, via);
        String msg = viaMsg != null ? viaMsg : cause.getMessage() == null ? cause.toString() : cause.getMessage();
        String server = target.host().toUpperCase(Locale.ROOT) + ":" + p;
        boolean tcp = ChannelTarget.TCP_TLS.equals(tr);
        log.error("ERROR: Failed to build {} connection {} with server {}. Exception: {}", tcp ? "Tcp" : "Http", id,
                server, msg);
        events.event("F2", "event").from("cmg-connection-point").to("cmg-service/" + target.instanceIndex())
                .protocol(tr).port(p).outcome("failed").detail(msg).emit();
        if (stopped) {
            return;
        }
        if (mode == Mode.RETRY) {
            fallbackReason = msg;
            log.info("TCP-TLS to server {} still fails; staying on HTTPS, next try in {} s", server,
                    tcpTlsRetry.toSeconds());
            scheduleRetry();
            return;
        }
        if (tcp && target.httpsFallbackPort() != null) {
            fallbackFrom = ChannelTarget.TCP_TLS;
            fallbackReason = msg;
            log.warn("Connection {} falls back to HTTPS: server {}:{} (TCP-TLS {} failed; retried every {} s)", id,
                    target.host().toUpperCase(Locale.ROOT), target.httpsFallbackPort(), server, tcpTlsRetry.toSeconds());
            attempt(ChannelTarget.HTTPS, target.httpsFallbackPort(), Mode.FALLBACK);
            return;
        }
        lostOrFailed(msg);
    }

    private synchronized void lostOrFailed(String why) {
        channel = null;
        state = "Disconnected";
        lastError = why;
        since = Instant.now();
        cancelRetry();
        if (stopped) {
            return;
        }
        long jittered = (long) (backoffMs * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
        backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        group.schedule(this::dial, jittered, TimeUnit.MILLISECONDS);
    }

    /** While on the HTTPS fallback: try TCP-TLS again after {@code tcpTlsRetry}. */
    private synchronized void scheduleRetry() {
        if (retryTask != null && !retryTask.isDone()) {
            return;
        }
        retryTask = group.schedule(() -> {
            synchronized (this) {
                Channel c = channel;
                if (stopped || fallbackFrom == null || c == null || !c.isActive()) {
                    return;
                }
                retryTask = null;
                attempt(ChannelTarget.TCP_TLS, target.port(), Mode.RETRY);
            }
        }, tcpTlsRetry.toMillis(), TimeUnit.MILLISECONDS);
    }

    private synchronized void cancelRetry() {
        if (retryTask != null) {
            retryTask.cancel(false);
            retryTask = null;
        }
    }

    public Status status() {
        Channel c = channel;
        int active = 0;
        Long rtt = null;
        long in = 0;
        long out = 0;
        if (c != null) {
            var codec = ChannelPipelines.codec(c);
            active = codec == null ? 0 : codec.connection().numActiveStreams();
            PingKeepaliveHandler p = c.pipeline().get(PingKeepaliveHandler.class);
            rtt = p == null || p.lastRttNanos() < 0 ? null : p.lastRttNanos() / 1000;
            ByteCounter bytes = c.pipeline().get(ByteCounter.class);
            if (bytes != null) {
                in = bytes.bytesIn();
                out = bytes.bytesOut();
            }
        }
        synchronized (this) {
            WebProxy via = viaProxy(transport);
            return new Status(target.instanceIndex(), target.host(), port, transport,
                    via == null ? null : via.describe(), state, connectionId,
                    since.toString(), lastError, active, connects, failures, rtt, in, out, fallbackFrom, fallbackReason);
        }
    }

    @Override
    public void close() {
        Channel c;
        synchronized (this) {
            stopped = true;
            cancelRetry();
            c = channel;
        }
        if (c != null) {
            // GOAWAY first: the CMG stops sending new requests here, those in flight finish
            ChannelDrain.drain(c, Duration.ofSeconds(5)).awaitUninterruptibly(6, TimeUnit.SECONDS);
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
