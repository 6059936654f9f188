package org.cmglab.site.sup;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.ssl.SslHandler;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.flow.TraceContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The emulated WSUS's HTTP side: {@code POST /ClientWebService/client.asmx}, {@code POST
 * /SimpleAuthWebService/SimpleAuth.asmx} ({@link WsusSoap}), {@code GET}/{@code HEAD /selfupdate/wuident.cab}; 405
 * with {@code Allow} for other verbs on those paths, 404 elsewhere, 400 with a SOAP fault for bad SOAP. Records flow
 * event F5 (connection point → SUP) per request.
 */
final class WsusHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(WsusHttpHandler.class);
    static final String CLIENT = "/clientwebservice/client.asmx";
    static final String SIMPLE_AUTH = "/simpleauthwebservice/simpleauth.asmx";
    static final String WUIDENT = "/selfupdate/wuident.cab";
    static final String SERVER = "Microsoft-IIS/10.0";

    /** The self-update cab: a fixed stand-in (a CAB header and a marker), the same bytes on every run. */
    static final byte[] WUIDENT_CAB = wuident();

    private final WsusSoap soap;
    private final FlowEventLog events;
    private final String node;

    WsusHttpHandler(WsusSoap soap, FlowEventLog events, String supName) {
        this.soap = soap;
        this.events = events;
        this.node = "site-sim/" + supName;
    }

    private static byte[] wuident() {
        byte[] marker = "cmglab wuident.cab stand-in (WSUS self-update identity)".getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[36 + marker.length];
        b[0] = 'M';
        b[1] = 'S';
        b[2] = 'C';
        b[3] = 'F';
        b[8] = (byte) b.length;
        System.arraycopy(marker, 0, b, 36, marker.length);
        return b;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (req.decoderResult().isFailure()) {
            log.warn("SUP: malformed request from {}: {}", ctx.channel().remoteAddress(), req.decoderResult().cause().toString());
            send(ctx, req, 400, "Bad Request", "text/plain", "malformed request\r\n".getBytes(StandardCharsets.US_ASCII),
                    false, false);
            return;
        }
        String uri = req.uri();
        int q = uri.indexOf('?');
        String path = (q >= 0 ? uri.substring(0, q) : uri).toLowerCase(Locale.ROOT);
        HttpMethod m = req.method();
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (path.equals(WUIDENT)) {
            if (m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD)) {
                send(ctx, req, 200, "OK", "application/vnd.ms-cab-compressed", WUIDENT_CAB, keepAlive,
                        m.equals(HttpMethod.HEAD));
            } else {
                notAllowed(ctx, req, "GET, HEAD", keepAlive);
            }
            return;
        }
        String service = path.equals(CLIENT) ? "client" : path.equals(SIMPLE_AUTH) ? "simpleauth" : null;
        if (service == null) {
            send(ctx, req, 404, "Not Found", "text/plain", ("no WSUS endpoint at " + path + "\r\n")
                    .getBytes(StandardCharsets.UTF_8), keepAlive, m.equals(HttpMethod.HEAD));
            return;
        }
        if (!m.equals(HttpMethod.POST)) {
            notAllowed(ctx, req, "POST", keepAlive);
            return;
        }
        String action = req.headers().get("SOAPAction");
        try {
            String out = soap.handle(service, action, ByteBufUtil.getBytes(req.content()));
            send(ctx, req, 200, "OK", "text/xml; charset=utf-8", out.getBytes(StandardCharsets.UTF_8), keepAlive, false);
        } catch (WsusSoap.SoapFault f) {
            log.warn("SUP: {} {} (SOAPAction {}) from {} refused: {} {}", m, uri, action, ctx.channel().remoteAddress(),
                    f.code(), f.getMessage());
            send(ctx, req, 400, "Bad Request", "text/xml; charset=utf-8",
                    WsusSoap.fault(f).getBytes(StandardCharsets.UTF_8), keepAlive, false);
        }
    }

    private void notAllowed(ChannelHandlerContext ctx, FullHttpRequest req, String allow, boolean keepAlive) {
        FullHttpResponse r = response(req, 405, "Method Not Allowed", "text/plain",
                ("HTTP verb " + req.method() + " is not allowed here (allowed: " + allow + ")\r\n")
                        .getBytes(StandardCharsets.UTF_8), false);
        r.headers().set(HttpHeaderNames.ALLOW, allow);
        write(ctx, req, r, keepAlive);
    }

    private void send(ChannelHandlerContext ctx, FullHttpRequest req, int status, String reason, String type,
                      byte[] body, boolean keepAlive, boolean head) {
        write(ctx, req, response(req, status, reason, type, body, head), keepAlive);
    }

    private static FullHttpResponse response(FullHttpRequest req, int status, String reason, String type, byte[] body,
                                             boolean head) {
        FullHttpResponse r = new DefaultFullHttpResponse(req.protocolVersion(), new HttpResponseStatus(status, reason),
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type).set(HttpHeaderNames.SERVER, SERVER)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return r;
    }

    private void write(ChannelHandlerContext ctx, FullHttpRequest req, FullHttpResponse r, boolean keepAlive) {
        int status = r.status().code();
        boolean tls = ctx.pipeline().get(SslHandler.class) != null;
        events.event("F5", "request").trace(TraceContext.traceId(req.headers().get(TraceContext.HEADER)))
                .from("cmg-connection-point").to(node).protocol(tls ? "HTTPS" : "HTTP")
                .port(((java.net.InetSocketAddress) ctx.channel().localAddress()).getPort())
                .auth(tls ? "server-auth TLS" : "anonymous").status(status)
                .outcome(status < 400 ? "ok" : "http-" + status).detail(req.method() + " " + req.uri()).emit();
        log.info("{} {} {} - {} {}", req.method(), req.uri(), status, ctx.channel().remoteAddress(),
                req.headers().get(HttpHeaderNames.USER_AGENT, "-"));
        HttpUtil.setKeepAlive(r, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(r, ctx.voidPromise());
        } else {
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("SUP connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
