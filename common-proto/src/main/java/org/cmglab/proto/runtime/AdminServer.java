package org.cmglab.proto.runtime;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.cmglab.proto.flow.FlowEventLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin endpoint every component serves on loopback: {@code GET /health}, {@code /ready} (503 until the
 * component says it is ready), {@code /metrics} (Prometheus text), {@code /status} (component JSON) and
 * {@code /events[?trace=ID]} (recorded flow events as a JSON array).
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    private final Channel serverChannel;

    private AdminServer(Channel serverChannel) {
        this.serverChannel = serverChannel;
    }

    /** The registry components add their meters to. */
    /**
     * A registry with the JVM memory gauges ({@code jvm_memory_used_bytes{area="heap"}} …) and Netty's own direct
     * memory counter ({@code netty_direct_memory_used_bytes}; Netty's no-cleaner direct buffers are not in the JVM's
     * buffer pools), so memory growth under load is visible per process.
     */
    public static PrometheusMeterRegistry newRegistry() {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(r);
        io.micrometer.core.instrument.Gauge.builder("netty.direct.memory.used",
                        io.netty.util.internal.PlatformDependent::usedDirectMemory)
                .baseUnit("bytes").description("direct memory Netty allocated (-1 when not counted)").register(r);
        return r;
    }

    public static AdminServer start(InetSocketAddress bind, EventLoopGroup group, String component,
                                    BooleanSupplier ready, Supplier<Object> status, FlowEventLog events,
                                    PrometheusMeterRegistry registry) throws InterruptedException {
        return start(bind, group, component, ready, status, events, registry, Map.of());
    }

    /**
     * As above, with {@code POST /<name>} operations; when this process has an admin token ({@link AdminToken#ENV}),
     * every mutating request must carry it.
     */
    public static AdminServer start(InetSocketAddress bind, EventLoopGroup group, String component,
                                    BooleanSupplier ready, Supplier<Object> status, FlowEventLog events,
                                    PrometheusMeterRegistry registry, Map<String, AdminAction> actions)
            throws InterruptedException {
        return start(bind, group, component, ready, status, events, registry, actions, AdminToken.fromEnvironment());
    }

    /**
     * As above with an explicit admin token: when present, POST/PUT/DELETE (anything but GET and HEAD) need
     * {@code Authorization: Bearer <token>} and get 401 otherwise; GETs stay open (the endpoint binds loopback only).
     */
    public static AdminServer start(InetSocketAddress bind, EventLoopGroup group, String component,
                                    BooleanSupplier ready, Supplier<Object> status, FlowEventLog events,
                                    PrometheusMeterRegistry registry, Map<String, AdminAction> actions,
                                    java.util.Optional<String> adminToken) throws InterruptedException {
        Handler handler = new Handler(component, ready, status, events, registry, actions, adminToken.orElse(null));
        Channel ch = new ServerBootstrap()
                .group(group)
                .channel(EventLoops.serverChannelClass())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(new HttpServerCodec(4096, 8192, 8192),
                                new HttpServerKeepAliveHandler(),
                                new HttpObjectAggregator(64 * 1024),
                                handler);
                    }
                })
                .bind(bind).sync().channel();
        log.info("admin endpoint of {} on http://{} ({})", component, hostPort((InetSocketAddress) ch.localAddress()),
                adminToken.isPresent() ? "admin token required for POST/PUT/DELETE" : "no admin token");
        return new AdminServer(ch);
    }

    public InetSocketAddress boundAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
    }

    static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    @io.netty.channel.ChannelHandler.Sharable
    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final String component;
        private final BooleanSupplier ready;
        private final Supplier<Object> status;
        private final FlowEventLog events;
        private final PrometheusMeterRegistry registry;
        private final Map<String, AdminAction> actions;
        private final String token;

        Handler(String component, BooleanSupplier ready, Supplier<Object> status, FlowEventLog events,
                PrometheusMeterRegistry registry, Map<String, AdminAction> actions, String token) {
            this.actions = actions;
            this.token = token;
            this.component = component;
            this.ready = ready;
            this.status = status;
            this.events = events;
            this.registry = registry;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            if (!req.decoderResult().isSuccess()) {
                send(ctx, req, HttpResponseStatus.BAD_REQUEST, "text/plain", "bad request\n", false);
                return;
            }
            QueryStringDecoder q = new QueryStringDecoder(req.uri());
            if (token != null && !HttpMethod.GET.equals(req.method()) && !HttpMethod.HEAD.equals(req.method())) {
                String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION);
                if (!AdminToken.matches(token, auth)) {
                    String why = auth == null ? "no Authorization header" : "wrong admin token";
                    log.warn("admin {} {} from {} refused (401): {} (expected: Authorization: Bearer <{}>)",
                            req.method(), q.path(), ctx.channel().remoteAddress(), why, AdminToken.FILE);
                    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                            HttpResponseStatus.UNAUTHORIZED, Unpooled.copiedBuffer(Json.writeCompact(Map.of("error",
                            why + " (expected: Authorization: Bearer <the lab's pki/" + AdminToken.FILE + ">)")),
                            StandardCharsets.UTF_8));
                    res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"cmglab-admin\"");
                    res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
                    HttpUtil.setContentLength(res, res.content().readableBytes());
                    HttpUtil.setKeepAlive(res, HttpUtil.isKeepAlive(req));
                    ctx.writeAndFlush(res);
                    return;
                }
            }
            if (HttpMethod.POST.equals(req.method())) {
                AdminAction a = actions.get(q.path().startsWith("/") ? q.path().substring(1) : q.path());
                if (a == null) {
                    send(ctx, req, HttpResponseStatus.NOT_FOUND, "text/plain", "no such admin operation: " + q.path()
                            + " (expected one of " + actions.keySet() + ")\n", true);
                    return;
                }
                try {
                    Object out = a.run(q.parameters(), req.content().toString(StandardCharsets.UTF_8));
                    send(ctx, req, HttpResponseStatus.OK, "application/json", Json.write(out), true);
                } catch (IllegalArgumentException e) {
                    send(ctx, req, HttpResponseStatus.BAD_REQUEST, "application/json",
                            Json.writeCompact(Map.of("error", String.valueOf(e.getMessage()))), true);
                } catch (IllegalStateException e) {
                    send(ctx, req, HttpResponseStatus.CONFLICT, "application/json",
                            Json.writeCompact(Map.of("error", String.valueOf(e.getMessage()))), true);
                } catch (Exception e) {
                    log.warn("admin operation {} failed: {}", q.path(), e.toString());
                    send(ctx, req, HttpResponseStatus.INTERNAL_SERVER_ERROR, "application/json",
                            Json.writeCompact(Map.of("error", e.toString())), true);
                }
                return;
            }
            if (!HttpMethod.GET.equals(req.method())) {
                send(ctx, req, HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain", "only GET and POST\n", true);
                return;
            }
            switch (q.path()) {
                case "/health" -> send(ctx, req, HttpResponseStatus.OK, "application/json",
                        Json.writeCompact(Map.of("component", component, "status", "UP")), true);
                case "/ready" -> {
                    boolean r = ready.getAsBoolean();
                    send(ctx, req, r ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                            "application/json", Json.writeCompact(Map.of("component", component, "ready", r)), true);
                }
                case "/metrics" -> send(ctx, req, HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8",
                        registry.scrape(), true);
                case "/status" -> send(ctx, req, HttpResponseStatus.OK, "application/json", Json.write(status.get()), true);
                case "/events" -> {
                    List<String> trace = q.parameters().get("trace");
                    send(ctx, req, HttpResponseStatus.OK, "application/json",
                            Json.write(events.snapshot(trace == null ? null : trace.get(0))), true);
                }
                default -> send(ctx, req, HttpResponseStatus.NOT_FOUND, "text/plain",
                        "no such admin path: " + q.path() + " (expected: /health, /ready, /metrics, /status, /events)\n", true);
            }
        }

        private static void send(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus st,
                                 String type, String body, boolean keepAlive) {
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, st,
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
            HttpUtil.setContentLength(res, res.content().readableBytes());
            HttpUtil.setKeepAlive(res, keepAlive && HttpUtil.isKeepAlive(req));
            var f = ctx.writeAndFlush(res);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("admin connection failed: {}", cause.toString());
            ctx.close();
        }
    }
}
