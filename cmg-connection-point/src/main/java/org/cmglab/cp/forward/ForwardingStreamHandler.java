package org.cmglab.cp.forward;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cmglab.proto.channel.ChannelProtocol;
import org.cmglab.proto.channel.HeaderNames;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.runtime.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stream the CMG opened on the channel (flow F4), forwarded to the MP/SUP (flow F5): the request is collected,
 * its URL rewritten to the role's internal URL, sent over a pooled HTTP/1.1 connection, and the response streamed
 * back with backpressure (the backend is read only while the stream is writable).
 */
final class ForwardingStreamHandler extends ChannelInboundHandlerAdapter implements BackendClient.Relay {
    private static final Logger log = LoggerFactory.getLogger(ForwardingStreamHandler.class);

    private final StreamContext sc;
    private Http2Headers headers;
    private CompositeByteBuf body;
    private ChannelHandlerContext ctx;
    private Channel backend;
    private RouteTable.Target target;
    private String traceId;
    private String messageId;
    private long start;
    private boolean responseStarted;
    private boolean done;
    private boolean keepAlive;
    private boolean headRequest;
    private long responseBytes;

    ForwardingStreamHandler(StreamContext sc) {
        this.sc = sc;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (done || responseStarted) {
                return;
            }
            boolean end = false;
            if (msg instanceof Http2HeadersFrame h) {
                if (headers == null) {
                    headers = h.headers();
                }
                end = h.isEndStream();
            } else if (msg instanceof Http2DataFrame d) {
                if (headers == null) {
                    reset(ctx, "DATA before HEADERS");
                    return;
                }
                ByteBuf c = d.content();
                if (body == null) {
                    body = ctx.alloc().compositeBuffer(1024);
                }
                if (body.readableBytes() + c.readableBytes() > sc.maxBodyBytes()) {
                    respond(413, "Request Entity Too Large", "request body larger than " + sc.maxBodyBytes() + " bytes");
                    return;
                }
                body.addComponent(true, c.retain());
                end = d.isEndStream();
            }
            if (end) {
                dispatch();
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void dispatch() {
        start = System.nanoTime();
        String path = String.valueOf(headers.path());
        String method = String.valueOf(headers.method());
        if (ChannelProtocol.HELLO_PATH.equals(path)) {
            byte[] json = Json.writeCompact(sc.hello()).getBytes(StandardCharsets.UTF_8);
            ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")
                    .set(HttpHeaderNames.CONTENT_TYPE, "application/json")));
            ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(json), true));
            done = true;
            if (sc.onHello() != null) {
                sc.onHello().run();
            }
            log.info("Channel {}: told CMG {} who we are (roles {})", sc.hello().connectionId(), sc.instance(),
                    sc.hello().roles());
            return;
        }
        traceId = TraceContext.traceId(str(headers.get(TraceContext.HEADER)));
        messageId = str(headers.get(ChannelProtocol.H2_MESSAGE_ID));
        headRequest = "HEAD".equalsIgnoreCase(method);
        target = sc.routes().resolve(path);
        sc.events().event("F4", "request").trace(traceId).from(sc.instance()).to("cmg-connection-point")
                .protocol("HTTP/2 stream on HTTPS channel (opened by the CP)").port(sc.channelPort())
                .auth("channel: mutual TLS, opened outbound by the CP").outcome(target == null ? "no-route" : "ok")
                .status(target == null ? 404 : 0).detail(method + " " + path).emit();
        if (target == null) {
            respond(404, "CMGConnector_NotFound", "no URL mapping on this connection point for " + path);
            return;
        }
        log.info("Forwarding proxy message {} to URL: {}", messageId, target.internalUrl());
        sc.backends().acquire(ctx.channel().eventLoop(), target.backend()).addListener(f -> {
            if (!f.isSuccess()) {
                String why = "cannot reach " + target.backend().key() + ": " + f.cause().getMessage();
                sc.events().event("F5", "response").trace(traceId).from(backendNode())
                        .to("cmg-connection-point").protocol(target.backend().https() ? "HTTPS" : "HTTP")
                        .port(target.backend().port()).status(500).outcome("backend-unreachable").detail(why).emit();
                respond(500, "CMGConnector_InternalServerError", why);
                return;
            }
            send((Channel) f.getNow(), method);
        });
    }

    private void send(Channel b, String method) {
        if (!ctx.channel().isActive()) {
            sc.backends().release(b, target.backend(), true);
            return;
        }
        backend = b;
        b.attr(BackendClient.RELAY).set(this);
        ByteBuf content = body == null ? Unpooled.EMPTY_BUFFER : body;
        body = null;
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method),
                target.path(), content);
        Map<String, String> names = HeaderNames.decode(headers.get(ChannelProtocol.H2_HEADER_NAMES));
        for (Map.Entry<CharSequence, CharSequence> e : headers) {
            String n = e.getKey().toString();
            if (n.startsWith(":") || n.startsWith("cmg-") || HeaderNames.isHopByHop(n)) {
                continue;
            }
            req.headers().add(names.getOrDefault(n, n), e.getValue());
        }
        req.headers().set(HttpHeaderNames.HOST, target.backend().hostHeader());
        if (content.readableBytes() > 0 || !req.headers().contains(HttpHeaderNames.CONTENT_LENGTH)
                && !"GET".equals(method) && !"HEAD".equals(method)) {
            HttpUtil.setContentLength(req, content.readableBytes());
        }
        b.writeAndFlush(req).addListener(w -> {
            if (!w.isSuccess()) {
                b.close();
            }
        });
    }

    @Override
    public void onBackendRead(Channel b, HttpObject msg) {
        if (done) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse r) {
            responseStarted = true;
            keepAlive = HttpUtil.isKeepAlive(r);
            Http2Headers h = new DefaultHttp2Headers().status(String.valueOf(r.status().code()));
            h.set(ChannelProtocol.H2_REASON, r.status().reasonPhrase());
            List<String> names = new ArrayList<>();
            for (Map.Entry<String, String> e : r.headers()) {
                String lower = e.getKey().toLowerCase(Locale.ROOT);
                if (HeaderNames.isHopByHop(lower)) {
                    continue;
                }
                names.add(e.getKey());
                h.add(lower, e.getValue());
            }
            h.set(ChannelProtocol.H2_HEADER_NAMES, HeaderNames.encode(names));
            ctx.write(new DefaultHttp2HeadersFrame(h, false));
            sc.events().event("F5", "response").trace(traceId).from(backendNode()).to("cmg-connection-point")
                    .protocol(target.backend().https() ? "HTTPS" : "HTTP").port(target.backend().port())
                    .auth(target.backend().https() ? "server-auth TLS, CP client certificate offered" : "none")
                    .status(r.status().code()).outcome("ok").latencyNanos(System.nanoTime() - start)
                    .detail(r.status().code() + " " + r.status().reasonPhrase() + " from " + target.internalUrl()).emit();
            log.info("Received response {} for message {}: HTTP/1.1 {} {}", target.internalUrl(), messageId,
                    r.status().code(), r.status().reasonPhrase());
        }
        if (msg instanceof HttpContent c) {
            boolean last = c instanceof LastHttpContent;
            responseBytes += c.content().readableBytes();
            ctx.write(new DefaultHttp2DataFrame(c.content(), last));
            if (last) {
                ctx.flush();
                done = true;
                log.info("MessageID: {} RequestURI: {} ResponseBodySize: {} ElapsedTime: {} ms", messageId,
                        target.internalUrl(), responseBytes, (System.nanoTime() - start) / 1_000_000);
                Channel bk = backend;
                backend = null;
                sc.backends().release(bk, target.backend(), keepAlive);
            } else if (!ctx.channel().isWritable()) {
                // pause first: the flush can drain the stream at once and fire channelWritabilityChanged (which
                // resumes the backend) before it returns; pausing after it would stall the response for good
                b.config().setAutoRead(false);
                ctx.flush();
                if (ctx.channel().isWritable()) {
                    b.config().setAutoRead(true);
                }
            }
        } else if (!(msg instanceof HttpResponse)) {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && backend != null) {
            backend.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void onBackendInactive(Channel b) {
        backend = null;
        if (done) {
            return;
        }
        if (!responseStarted) {
            respond(500, "CMGConnector_InternalServerError", "the management point closed the connection without answering");
        } else {
            done = true;
            ctx.flush();
            reset(ctx, "the management point closed the connection mid-response");
        }
    }

    private void respond(int status, String reason, String detail) {
        if (done) {
            return;
        }
        done = true;
        log.warn("MessageID: {} answered {} {}: {}", messageId, status, reason, detail);
        Http2Headers h = new DefaultHttp2Headers().status(String.valueOf(status))
                .set(ChannelProtocol.H2_REASON, reason).set("content-type", "text/plain; charset=utf-8");
        ctx.write(new DefaultHttp2HeadersFrame(h, false));
        ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(detail + "\r\n", StandardCharsets.UTF_8), true));
    }

    private void reset(ChannelHandlerContext ctx, String why) {
        done = true;
        log.warn("MessageID: {} stream reset: {}", messageId, why);
        ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.INTERNAL_ERROR));
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (body != null) {
            body.release();
            body = null;
        }
        if (backend != null && !done) {
            log.info("MessageID: {} cancelled by the CMG; closing the backend connection", messageId);
            backend.attr(BackendClient.RELAY).set(null);
            backend.close();
            backend = null;
        }
        done = true;
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("MessageID: {} stream failed: {}", messageId, cause.toString());
        ctx.close();
    }

    /** The lab node of the backend: site-sim plus the NetBIOS name (first label of the FQDN), e.g. site-sim/MP01. */
    private String backendNode() {
        String h = target.backend().host();
        int dot = h.indexOf('.');
        return "site-sim/" + (dot > 0 ? h.substring(0, dot) : h).toUpperCase(Locale.ROOT);
    }

    private static String str(CharSequence cs) {
        return cs == null ? null : cs.toString();
    }
}
