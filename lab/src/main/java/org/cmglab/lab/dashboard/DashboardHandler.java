package org.cmglab.lab.dashboard;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AttributeKey;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cmglab.proto.runtime.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard's HTTP/1.1 routes (GET and HEAD; one instance shared by every connection, it keeps no per-connection
 * state but the event-stream marker):
 *
 * <ul>
 *   <li>{@code /}, {@code /dashboard.js}, {@code /dashboard.css}: the page (classpath resources, no CDN);</li>
 *   <li>{@code /events}: the flow events as server-sent events, the recent ones first ({@code Last-Event-ID});</li>
 *   <li>{@code /api/status}: the whole-lab status JSON; {@code /api/events?since=N[&limit=M][&trace=ID]}: kept
 *       events as JSON; {@code /api/ports}: the article's port table for this lab; {@code /health}.</li>
 * </ul>
 *
 * A client mistake gets a 4xx with the reason (and a log line); nothing here answers 500 for bad input.
 */
@ChannelHandler.Sharable
final class DashboardHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    static final AttributeKey<SseStream> STREAM = AttributeKey.valueOf("cmglab.dashboard.sse");
    static final int MAX_EVENTS_PER_CALL = 1000;
    private static final Logger log = LoggerFactory.getLogger(DashboardHandler.class);
    private static final String CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; "
            + "script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

    private final FlowEventHub hub;
    private final StatusSource status;
    private final Map<String, StaticResource> resources;
    private final String portsJson;
    private final int replay;
    private final long heartbeatSeconds;

    /** A file of the page. */
    record StaticResource(String contentType, byte[] body) {}

    DashboardHandler(FlowEventHub hub, StatusSource status, Map<String, StaticResource> resources, String portsJson,
                     int replay, long heartbeatSeconds) {
        this.hub = hub;
        this.status = status;
        this.resources = resources;
        this.portsJson = portsJson;
        this.replay = replay;
        this.heartbeatSeconds = heartbeatSeconds;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (ctx.channel().hasAttr(STREAM) && ctx.channel().attr(STREAM).get() != null) {
            log.debug("request {} on an event-stream connection ignored", req.uri());
            return;
        }
        if (!req.decoderResult().isSuccess()) {
            refuse(ctx, req, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request: " + req.decoderResult().cause());
            return;
        }
        boolean head = HttpMethod.HEAD.equals(req.method());
        if (!head && !HttpMethod.GET.equals(req.method())) {
            FullHttpResponse res = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
                    "method " + req.method() + " not allowed (expected: GET or HEAD)\n");
            res.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            log.info("refused {} {} from {}: method not allowed", req.method(), req.uri(), ctx.channel().remoteAddress());
            send(ctx, req, res, head);
            return;
        }
        QueryStringDecoder q;
        try {
            q = new QueryStringDecoder(req.uri());
            q.parameters();
        } catch (IllegalArgumentException e) {
            refuse(ctx, req, HttpResponseStatus.BAD_REQUEST, "bad URI: " + e.getMessage());
            return;
        }
        String path = q.path();
        StaticResource r = resources.get(path.equals("/") ? "/index.html" : path);
        if (r != null) {
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(r.body()));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
            send(ctx, req, res, head);
            return;
        }
        switch (path) {
            case "/events" -> {
                if (head) {
                    refuse(ctx, req, HttpResponseStatus.METHOD_NOT_ALLOWED, "/events is GET only");
                } else {
                    openStream(ctx, req);
                }
            }
            case "/api/status" -> status(ctx, req, head);
            case "/api/events" -> events(ctx, req, q, head);
            case "/api/ports" -> send(ctx, req, text(HttpResponseStatus.OK, "application/json", portsJson), head);
            case "/health" -> send(ctx, req, text(HttpResponseStatus.OK, "application/json",
                    "{\"status\":\"UP\",\"streams\":" + hub.subscriberCount() + ",\"lastEventId\":" + hub.lastId()
                            + "}"), head);
            default -> refuse(ctx, req, HttpResponseStatus.NOT_FOUND, "no such page: " + path
                    + " (expected: /, /events, /api/status, /api/events, /api/ports, /health)");
        }
    }

    private void openStream(ChannelHandlerContext ctx, FullHttpRequest req) {
        Long lastEventId = null;
        String h = req.headers().get("Last-Event-ID");
        if (h != null && !h.isBlank()) {
            try {
                lastEventId = Long.parseLong(h.strip());
            } catch (NumberFormatException e) {
                refuse(ctx, req, HttpResponseStatus.BAD_REQUEST, "Last-Event-ID: " + h + " (expected: an event number)");
                return;
            }
        }
        SseStream stream = new SseStream(ctx.channel());
        HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .set(HttpHeaderNames.CACHE_CONTROL, "no-cache")
                .set("X-Content-Type-Options", "nosniff");
        HttpUtil.setTransferEncodingChunked(res, true);
        ctx.channel().attr(STREAM).set(stream);
        ctx.writeAndFlush(res);
        // retry: how long the browser waits before reconnecting (with Last-Event-ID) after the stream broke
        ctx.writeAndFlush(new io.netty.handler.codec.http.DefaultHttpContent(
                io.netty.buffer.ByteBufUtil.writeUtf8(ctx.alloc(), "retry: 2000\n\n")));
        try {
            hub.subscribe(stream, lastEventId, replay);
        } catch (IllegalStateException e) {
            log.warn("event stream from {} refused: {}", ctx.channel().remoteAddress(), e.getMessage());
            ctx.close();
            return;
        }
        stream.startHeartbeat(heartbeatSeconds);
        ctx.channel().closeFuture().addListener(f -> hub.unsubscribe(stream));
        log.info("event stream opened for {} (Last-Event-ID {})", ctx.channel().remoteAddress(), lastEventId);
    }

    private void status(ChannelHandlerContext ctx, FullHttpRequest req, boolean head) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        HttpVersion version = req.protocolVersion();
        status.get().whenComplete((json, err) -> ctx.executor().execute(() -> {
            FullHttpResponse res;
            if (err == null) {
                res = text(HttpResponseStatus.OK, "application/json", json);
            } else {
                Throwable c = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                boolean timeout = c instanceof TimeoutException;
                String why = timeout ? "the lab status did not answer in time" : String.valueOf(c.getMessage());
                log.warn("lab status unavailable: {}", why);
                res = text(timeout ? HttpResponseStatus.GATEWAY_TIMEOUT : HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "application/json", Json.writeCompact(Map.of("error", why)));
            }
            send(ctx, version, keepAlive, res, head);
        }));
    }

    private void events(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder q, boolean head) {
        long since;
        int limit;
        try {
            since = longParam(q, "since", 0, 0, Long.MAX_VALUE);
            limit = (int) longParam(q, "limit", 200, 1, MAX_EVENTS_PER_CALL);
        } catch (IllegalArgumentException e) {
            refuse(ctx, req, HttpResponseStatus.BAD_REQUEST, e.getMessage());
            return;
        }
        List<String> traces = q.parameters().get("trace");
        String trace = traces == null ? null : traces.get(0);
        List<FlowEventHub.Entry> entries = new ArrayList<>();
        for (FlowEventHub.Entry e : hub.since(since, Integer.MAX_VALUE)) {
            if (trace == null || trace.equals(e.event().traceId())) {
                entries.add(e);
            }
        }
        if (entries.size() > limit) {
            entries = entries.subList(0, limit);
        }
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("last", hub.lastId());
        ArrayNode arr = root.putArray("events");
        for (FlowEventHub.Entry e : entries) {
            ObjectNode n = arr.addObject();
            n.put("id", e.id());
            n.setAll((ObjectNode) Json.MAPPER.valueToTree(e.event()));
        }
        send(ctx, req, text(HttpResponseStatus.OK, "application/json", Json.writeCompact(root)), head);
    }

    private static long longParam(QueryStringDecoder q, String name, long dflt, long min, long max) {
        List<String> v = q.parameters().get(name);
        if (v == null || v.isEmpty()) {
            return dflt;
        }
        if (v.size() > 1) {
            throw new IllegalArgumentException(name + ": given " + v.size() + " times (expected: once)");
        }
        long n;
        try {
            n = Long.parseLong(v.get(0));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": " + v.get(0) + " (expected: a number " + min + ".." + max + ")");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(name + ": " + n + " (expected: " + min + ".." + max + ")");
        }
        return n;
    }

    private void refuse(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus st, String why) {
        log.info("refused {} {} from {}: {} {}", req.method(), req.uri(), ctx.channel().remoteAddress(), st.code(), why);
        send(ctx, req, text(st, "text/plain; charset=utf-8", why + "\n"), HttpMethod.HEAD.equals(req.method()));
    }

    private static FullHttpResponse text(HttpResponseStatus st, String type, String body) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, st,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        return res;
    }

    private static void send(ChannelHandlerContext ctx, FullHttpRequest req, FullHttpResponse res, boolean head) {
        boolean decoded = req.decoderResult().isSuccess();
        send(ctx, decoded ? req.protocolVersion() : HttpVersion.HTTP_1_1, decoded && HttpUtil.isKeepAlive(req), res,
                head);
    }

    private static void send(ChannelHandlerContext ctx, HttpVersion version, boolean keepAlive, FullHttpResponse res,
                             boolean head) {
        res.setProtocolVersion(version);
        HttpUtil.setContentLength(res, res.content().readableBytes());
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache")
                .set("X-Content-Type-Options", "nosniff")
                .set("Content-Security-Policy", CSP);
        if (head) {
            res.content().clear();
        }
        if (keepAlive) {
            if (version.equals(HttpVersion.HTTP_1_0)) {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
            ctx.writeAndFlush(res);
        } else {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent && ctx.channel().attr(STREAM).get() == null) {
            ctx.close(); // an idle page connection; event streams stay (their heartbeat finds dead ones)
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("dashboard connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
