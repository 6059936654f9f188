package org.cmglab.cmg.frontdoor;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2StreamChannel;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.cmglab.cmg.channel.GatewayChannel;
import org.cmglab.cmg.channel.GatewayChannelHandler;
import org.cmglab.cmg.route.ProxyPath;
import org.cmglab.proto.channel.ChannelProtocol;
import org.cmglab.proto.channel.GatewayUpgrade;
import org.cmglab.proto.channel.HeaderNames;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.pki.ClientCertValidator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CMG's HTTPS front door for one client connection: recognises a connection point's channel upgrade,
 * authenticates client requests (PKI client certificate on {@code CCM_Proxy_MutualAuth} paths), filters them
 * against the published roles and forwards each one as a stream over a channel that serves its role. One request
 * is in flight per connection (reading pauses until its response is complete), which also bounds memory.
 */
public final class FrontDoorHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(FrontDoorHandler.class);
    public static final String NAME = "front-door";

    private final FrontDoorContext fd;
    private final boolean channelOnly;
    private final List<String> httpHandlerNames;
    // written from the stream's event loop when the response completes, read on the client connection's loop
    private volatile ChannelStreamHandler inFlight;

    /**
     * @param channelOnly      true on the 10124+i channel listener, which serves nothing but channel upgrades
     * @param httpHandlerNames names of the HTTP/1.1 handlers to remove when the socket becomes a channel
     */
    public FrontDoorHandler(FrontDoorContext fd, boolean channelOnly, List<String> httpHandlerNames) {
        this.fd = fd;
        this.channelOnly = channelOnly;
        this.httpHandlerNames = List.copyOf(httpHandlerNames);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (!req.decoderResult().isSuccess()) {
            Throwable cause = req.decoderResult().cause();
            // an over-long request line or header block gets the status that names it (RFC 9110 414, RFC 6585 431)
            int status = cause instanceof io.netty.handler.codec.http.TooLongHttpLineException ? 414
                    : cause instanceof io.netty.handler.codec.http.TooLongHttpHeaderException ? 431 : 400;
            String reason = status == 414 ? "URI Too Long" : status == 431 ? "Request Header Fields Too Large"
                    : "Bad Request";
            log.warn("Bad request from {}: {} {} ({})", ctx.channel().remoteAddress(), status, reason, cause.toString());
            Responses.send(ctx, status, reason, "malformed request: " + cause.getMessage(), false);
            return;
        }
        if (req.protocolVersion().majorVersion() != 1) {
            log.warn("Bad request from {}: 505 HTTP Version Not Supported ({})", ctx.channel().remoteAddress(),
                    req.protocolVersion().text());
            Responses.send(ctx, 505, "HTTP Version Not Supported", req.protocolVersion().text()
                    + " (expected: HTTP/1.1 or HTTP/1.0)", false);
            return;
        }
        if (GatewayUpgrade.isUpgradeRequest(req)) {
            acceptChannel(ctx, req);
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        String traceId = TraceContext.traceId(req.headers().get(TraceContext.HEADER));
        if (traceId == null) {
            traceId = TraceContext.newTraceId();
            req.headers().set(TraceContext.HEADER, TraceContext.traceparent(traceId));
        }
        String what = req.method().name() + " " + req.uri();
        if (channelOnly) {
            refuse(ctx, traceId, 404, "Not Found", "this port serves only connection point channels", "not-found",
                    "none", what, keepAlive);
            return;
        }
        if (fd.ownEndpoints() != null && CmgOwnEndpoints.matches(req.uri())) {
            CmgOwnEndpoints.Answer a = fd.ownEndpoints().answer(ctx, req, fd.serverAuth(), keepAlive);
            fd.events().event("F3", "request").trace(traceId).from("client-sim").to(fd.instance()).protocol("HTTPS")
                    .port(fd.frontDoorPort()).auth("CMG endpoint").outcome(a.ok() ? "ok" : "refused").status(a.status())
                    .detail(what + (a.ok() ? "" : " → " + a.status() + ": " + a.detail())).emit();
            if (!a.ok()) {
                log.warn("{} from {} refused: {} ({})", what, ctx.channel().remoteAddress(), a.status(), a.detail());
            }
            return;
        }
        if (org.cmglab.cmg.content.ContentService.matches(req.uri())) {
            ContentAnswers.answer(ctx, req, fd, traceId, what, keepAlive);
            return;
        }
        ProxyPath pp = ProxyPath.parse(req.uri());
        if (pp == null) {
            refuse(ctx, traceId, 404, "Not Found", "not a CMG endpoint: " + req.uri(), "not-found", "none", what, keepAlive);
            return;
        }
        String traversal = pp.traversalReason();
        if (traversal != null) {
            refuse(ctx, traceId, 400, "Bad Request", traversal, "bad-path", "none", what, keepAlive);
            return;
        }
        if (!fd.publishedRoles().contains(pp.roleId())) {
            refuse(ctx, traceId, 404, "CMGService_UnknownEndpoint", "role id " + pp.roleId()
                    + " is not published to this CMG (published: " + fd.publishedRoles() + ")", "not-published",
                    pp.authName(), what, keepAlive);
            return;
        }
        String auth;
        if (pp.mutualAuth()) {
            ClientCertValidator.Result r = fd.clientValidator().validate(peerChain(ctx), fd.clock().instant());
            if (!r.ok()) {
                String reason = r.failure() == ClientCertValidator.Failure.MISSING
                        ? "CMGConnector_Clientcertificaterequired" : "CMGConnector_Forbidden";
                refuse(ctx, traceId, 403, reason, r.detail(), "forbidden", "PKI client certificate", what, keepAlive);
                return;
            }
            auth = "PKI client certificate";
        } else {
            org.cmglab.cmg.auth.ServerAuthGate.Decision d = fd.serverAuth() == null
                    ? new org.cmglab.cmg.auth.ServerAuthGate.Decision(false, "token",
                            "token authentication (CCM_Proxy_ServerAuth) is not enabled on this CMG")
                    : fd.serverAuth().check(req, org.cmglab.cmg.auth.ServerAuthGate.useFor(pp.rest(), req.content()));
            if (!d.ok()) {
                refuse(ctx, traceId, 401, "CMGService_Invalid_Token", d.detail(), "unauthorized", d.auth(), what,
                        keepAlive);
                return;
            }
            auth = d.auth();
        }
        fd.events().event("F3", "request").trace(traceId).from("client-sim").to(fd.instance()).protocol("HTTPS")
                .port(fd.frontDoorPort()).auth(auth).outcome("ok").detail(what).emit();
        GatewayChannel gc = fd.registry().pick(pp.roleId());
        if (gc == null) {
            String why = "no connection point channel serves role " + pp.roleId();
            fd.events().event("F4", "request").trace(traceId).from(fd.instance()).to("cmg-connection-point")
                    .protocol("channel").status(503).outcome("no-channel").detail(why).emit();
            log.warn("{} {}: {}", req.method(), req.uri(), why);
            Responses.send(ctx, 503, "CMGService_NoConnectionPoint", why, keepAlive);
            return;
        }
        forward(ctx, req, gc, traceId, auth, keepAlive, pp.roleId());
    }

    /** Methods retried once on another channel when the first one fails before any response byte was sent. */
    static final java.util.Set<String> IDEMPOTENT = java.util.Set.of("GET", "HEAD", "PROPFIND", "OPTIONS");

    private void forward(ChannelHandlerContext ctx, FullHttpRequest req, GatewayChannel gc, String traceId,
                         String auth, boolean keepAlive, String roleId) {
        String messageId = UUID.randomUUID().toString();
        Http2Headers h = new DefaultHttp2Headers().method(req.method().name()).path(req.uri()).scheme("https")
                .authority(req.headers().get(HttpHeaderNames.HOST, ""));
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, String> e : req.headers()) {
            String lower = e.getKey().toLowerCase(Locale.ROOT);
            if (HeaderNames.isHopByHop(lower) || lower.startsWith("cmg-")) {
                continue;
            }
            names.add(e.getKey());
            h.add(lower, e.getValue());
        }
        h.set(ChannelProtocol.H2_HEADER_NAMES, HeaderNames.encode(names));
        h.set(ChannelProtocol.H2_MESSAGE_ID, messageId);
        h.set(ChannelProtocol.H2_CLIENT_AUTH, auth + subject(ctx));
        String method = req.method().name();
        boolean idempotent = IDEMPOTENT.contains(method);
        ByteBuf body = req.content().readableBytes() > 0 ? req.content().retainedDuplicate() : null;
        // a retained copy of the body while a retry is possible (idempotent methods only), released on completion
        ByteBuf spare = idempotent && body != null ? req.content().retainedDuplicate() : null;
        ctx.channel().config().setAutoRead(false);
        new Forward(ctx, messageId, traceId, method, req.uri(), roleId, h, keepAlive, idempotent, spare).send(gc, body);
    }

    /**
     * One client request and its attempts: the first on the picked channel, at most one more on another ready
     * channel of the role when the first fails before any response byte was sent and the method is idempotent.
     * {@code CCM_POST}, {@code BITS_POST}, {@code POST}… are never sent twice: the client gets 502.
     */
    private final class Forward {
        private final ChannelHandlerContext ctx;
        private final String messageId;
        private final String traceId;
        private final String method;
        private final String uri;
        private final String roleId;
        private final Http2Headers headers;
        private final boolean keepAlive;
        private final boolean idempotent;
        private final java.util.concurrent.atomic.AtomicReference<ByteBuf> spare;
        private final java.util.concurrent.atomic.AtomicBoolean retried = new java.util.concurrent.atomic.AtomicBoolean();

        Forward(ChannelHandlerContext ctx, String messageId, String traceId, String method, String uri, String roleId,
                Http2Headers headers, boolean keepAlive, boolean idempotent, ByteBuf spare) {
            this.ctx = ctx;
            this.messageId = messageId;
            this.traceId = traceId;
            this.method = method;
            this.uri = uri;
            this.roleId = roleId;
            this.headers = headers;
            this.keepAlive = keepAlive;
            this.idempotent = idempotent;
            this.spare = new java.util.concurrent.atomic.AtomicReference<>(spare);
        }

        void send(GatewayChannel gc, ByteBuf body) {
            String protocol = "HTTP/2 stream on " + gc.transport() + " channel (opened by the CP)";
            ForwardedRequest fr = new ForwardedRequest(ctx, fd.events(), messageId, traceId, method, uri,
                    fd.instance(), "cmg-connection-point", protocol, gc.localPort(), fd.requestTimeoutMs(), keepAlive);
            ChannelStreamHandler sh = new ChannelStreamHandler(ctx.channel(), fr, this::done, why -> tryAgain(gc, why));
            inFlight = sh;
            log.info("MessageID: {} forwarding {} {} to connection point {} (channel {})", messageId, method, uri,
                    gc.hello().connector(), gc.hello().connectionId());
            gc.openStream(sh).addListener(f -> {
                if (!f.isSuccess()) {
                    if (body != null) {
                        body.release();
                    }
                    String why = "cannot open a stream on channel " + gc.hello().connectionId() + ": " + f.cause();
                    if (tryAgain(gc, why)) {
                        return;
                    }
                    int code = idempotent ? 503 : 502;
                    String reason = idempotent ? "CMGService_NoConnectionPoint" : "CMGService_BadGateway";
                    fr.failure(code, reason, "F4", "stream-refused", why);
                    fr.sendError(code, reason, why);
                    done();
                    return;
                }
                Http2StreamChannel s = (Http2StreamChannel) f.getNow();
                Http2Headers h = new DefaultHttp2Headers().add(headers);
                if (body == null) {
                    s.writeAndFlush(new DefaultHttp2HeadersFrame(h, true));
                } else {
                    s.write(new DefaultHttp2HeadersFrame(h, false));
                    s.writeAndFlush(new DefaultHttp2DataFrame(body, true));
                }
            });
        }

        /** Called (on the failed channel's event loop) when an attempt failed before any response byte was sent. */
        boolean tryAgain(GatewayChannel failed, String why) {
            if (!idempotent || retried.get()) {
                return false;
            }
            GatewayChannel other = fd.registry().pick(roleId, failed);
            if (other == null || !retried.compareAndSet(false, true)) {
                return false;
            }
            ByteBuf body = spare.getAndSet(null);
            log.warn("MessageID: {} {} {} failed on channel {} ({}); nothing was sent to the client yet, retrying once"
                    + " on channel {} from connection point {}", messageId, method, uri, failed.hello().connectionId(),
                    why, other.hello().connectionId(), other.hello().connector());
            fd.events().event("F4", "request").trace(traceId).from(fd.instance()).to("cmg-connection-point")
                    .protocol("channel").outcome("retry").detail(method + " " + uri + ": " + why + "; retrying on channel "
                            + other.hello().connectionId()).emit();
            ctx.channel().eventLoop().execute(() -> {
                if (ctx.channel().isActive()) {
                    send(other, body);
                } else {
                    if (body != null) {
                        body.release();
                    }
                    done();
                }
            });
            return true;
        }

        void done() {
            ByteBuf b = spare.getAndSet(null);
            if (b != null) {
                b.release();
            }
            inFlight = null;
            ctx.channel().config().setAutoRead(true);
        }
    }

    private void acceptChannel(ChannelHandlerContext ctx, FullHttpRequest req) {
        String connectionId = req.headers().get(ChannelProtocol.HDR_CONNECTION_ID, "unknown");
        ClientCertValidator.Result r = ConnectorCertificateCheck.validate(ctx, fd);
        if (!r.ok()) {
            log.warn("Refused channel {} from {}: {}", connectionId, ctx.channel().remoteAddress(), r.detail());
            Responses.send(ctx, 403, "CMGService_ConnectorCertificateRejected", r.detail(), false);
            return;
        }
        int localPort = ((java.net.InetSocketAddress) ctx.channel().localAddress()).getPort();
        log.info("Accepting channel {} from connection point {} (site {}), certificate {}", connectionId,
                req.headers().get(ChannelProtocol.HDR_CONNECTOR), req.headers().get(ChannelProtocol.HDR_SITE),
                ConnectorCertificateCheck.subject(r));
        GatewayUpgrade.accept(ctx, httpHandlerNames, fd.settings(), "channel " + connectionId,
                new GatewayChannelHandler(fd.registry(), "HTTPS", localPort, ConnectorCertificateCheck.subject(r),
                        fd.siteCode(), connectionId, fd.settings().handshakeTimeout()));
    }

    private void refuse(ChannelHandlerContext ctx, String traceId, int status, String reason, String detail,
                        String outcome, String auth, String what, boolean keepAlive) {
        fd.events().event("F3", "request").trace(traceId).from("client-sim").to(fd.instance()).protocol("HTTPS")
                .port(fd.frontDoorPort()).auth(auth).status(status).outcome(outcome).detail(what + " → " + status
                        + " " + reason + ": " + detail).emit();
        log.warn("{} from {} refused: {} {} ({})", what, ctx.channel().remoteAddress(), status, reason, detail);
        Responses.send(ctx, status, reason, detail, keepAlive);
    }

    private static List<X509Certificate> peerChain(ChannelHandlerContext ctx) {
        return ConnectorCertificateCheck.peerChain(ctx);
    }

    private static String subject(ChannelHandlerContext ctx) {
        List<X509Certificate> chain = peerChain(ctx);
        return chain.isEmpty() ? "" : "; subject=" + chain.get(0).getSubjectX500Principal().getName();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (inFlight != null) {
            inFlight.clientWritabilityChanged();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof io.netty.handler.ssl.SslHandshakeCompletionEvent e && !e.isSuccess()) {
            log.warn("TLS handshake with {} failed: {}", ctx.channel().remoteAddress(), e.cause().toString());
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
