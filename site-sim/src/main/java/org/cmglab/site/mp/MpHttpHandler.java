package org.cmglab.site.mp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code GET}/{@code HEAD /SMS_MP/.sms_aut?<query>} from a {@link SmsAutResponder}; answers 405 for other
 * verbs on that path, 404 elsewhere and 400 (http.sys style, then close) for requests the decoder rejected.
 */
final class MpHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(MpHttpHandler.class);

    static final String SMS_AUT_PATH = "/sms_mp/.sms_aut";
    static final String SERVER = "Microsoft-IIS/10.0";
    /** http.sys answers malformed requests itself, before IIS sees them. */
    static final String HTTPAPI_SERVER = "Microsoft-HTTPAPI/2.0";
    static final String ALLOW = "GET, HEAD";

    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US);

    private final SmsAutResponder responder;
    private final Consumer<MpRequestRecord> observer;

    MpHttpHandler(SmsAutResponder responder, Consumer<MpRequestRecord> observer) {
        super(true);
        this.responder = Objects.requireNonNull(responder, "responder");
        this.observer = observer == null ? r -> { } : observer;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        DecoderResult dr = req.decoderResult();
        if (dr.isFailure()) {
            String reason = dr.cause() == null ? "unknown" : dr.cause().toString();
            log.warn("Malformed HTTP request from {} rejected with 400: {}", remote(ctx), reason);
            FullHttpResponse resp = badRequest();
            notifyObserver(ctx, req, resp.status().code(), resp.content().readableBytes());
            ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
            return;
        }

        String uri = req.uri();
        int q = uri.indexOf('?');
        String rawPath = q >= 0 ? uri.substring(0, q) : uri;
        String rawQuery = q >= 0 ? uri.substring(q + 1) : "";
        int frag = rawQuery.indexOf('#');
        if (frag >= 0) {
            rawQuery = rawQuery.substring(0, frag);
        }
        String path = SmsAutResponder.percentDecode(rawPath).toLowerCase(Locale.ROOT);

        HttpMethod method = req.method();
        boolean head = HttpMethod.HEAD.equals(method);
        MpReply reply;
        boolean methodNotAllowed = false;
        if (!SMS_AUT_PATH.equals(path)) {
            reply = SmsAutResponder.notFound();
        } else if (HttpMethod.GET.equals(method) || head) {
            reply = responder.reply(rawQuery);
        } else {
            methodNotAllowed = true;
            reply = methodNotAllowed();
        }

        FullHttpResponse resp = toResponse(req.protocolVersion(), reply, head);
        if (methodNotAllowed) {
            resp.headers().set(HttpHeaderNames.ALLOW, ALLOW);
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        HttpUtil.setKeepAlive(resp, keepAlive);
        notifyObserver(ctx, req, reply.status(), reply.bodyLength());
        if (keepAlive) {
            ctx.writeAndFlush(resp, ctx.voidPromise());
        } else {
            ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("MP connection {} failed: {}", remote(ctx), cause.toString());
        ctx.close();
    }

    private static FullHttpResponse toResponse(HttpVersion version, MpReply reply, boolean head) {
        ByteBuf content = head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(reply.body());
        FullHttpResponse resp = new DefaultFullHttpResponse(
                version, new HttpResponseStatus(reply.status(), reply.reasonPhrase()), content);
        resp.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, reply.contentType())
                .set(HttpHeaderNames.SERVER, SERVER)
                .set(HttpHeaderNames.DATE, HTTP_DATE.format(ZonedDateTime.now(ZoneOffset.UTC)))
                .setInt(HttpHeaderNames.CONTENT_LENGTH, reply.bodyLength());
        return resp;
    }

    static MpReply methodNotAllowed() {
        String html = "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" "
                + "\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\r\n"
                + "<html xmlns=\"http://www.w3.org/1999/xhtml\">\r\n"
                + "<head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"/>\r\n"
                + "<title>405 - HTTP verb used to access this page is not allowed.</title>\r\n</head>\r\n"
                + "<body>\r\n<div id=\"header\"><h1>Server Error</h1></div>\r\n<div id=\"content\">\r\n"
                + " <div class=\"content-container\"><fieldset>\r\n"
                + "  <h2>405 - HTTP verb used to access this page is not allowed.</h2>\r\n"
                + "  <h3>The page you are looking for cannot be displayed because an invalid method "
                + "(HTTP verb) was used to attempt access.</h3>\r\n"
                + " </fieldset></div>\r\n</div>\r\n</body>\r\n</html>\r\n";
        return new MpReply(405, "Method Not Allowed", "text/html", html.getBytes(StandardCharsets.ISO_8859_1));
    }

    static FullHttpResponse badRequest() {
        String html = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n"
                + "<HTML><HEAD><TITLE>Bad Request</TITLE>\r\n"
                + "<META HTTP-EQUIV=\"Content-Type\" Content=\"text/html; charset=us-ascii\"></HEAD>\r\n"
                + "<BODY><h2>Bad Request</h2>\r\n"
                + "<hr><p>HTTP Error 400. The request is badly formed.</p>\r\n"
                + "</BODY></HTML>\r\n";
        byte[] body = html.getBytes(StandardCharsets.US_ASCII);
        FullHttpResponse resp = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST, Unpooled.wrappedBuffer(body));
        resp.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/html; charset=us-ascii")
                .set(HttpHeaderNames.SERVER, HTTPAPI_SERVER)
                .set(HttpHeaderNames.DATE, HTTP_DATE.format(ZonedDateTime.now(ZoneOffset.UTC)))
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return resp;
    }

    private void notifyObserver(ChannelHandlerContext ctx, FullHttpRequest req, int status, long bodyBytes) {
        Map<String, String> headers = new LinkedHashMap<>();
        req.headers().forEach(e -> headers.merge(e.getKey(), e.getValue(), (a, b) -> a + ", " + b));
        MpRequestRecord rec = new MpRequestRecord(
                req.method().name(), req.uri(), headers, status, bodyBytes, remote(ctx),
                ctx.pipeline().get(SslHandler.class) != null);
        try {
            observer.accept(rec);
        } catch (RuntimeException e) {
            log.warn("MP request observer failed for {} {}: {}", rec.method(), rec.uri(), e.toString());
        }
    }

    private static String remote(ChannelHandlerContext ctx) {
        SocketAddress a = ctx.channel().remoteAddress();
        if (a instanceof InetSocketAddress isa) {
            String host = isa.getAddress() != null ? isa.getAddress().getHostAddress() : isa.getHostString();
            return host + ":" + isa.getPort();
        }
        return a == null ? "unknown" : a.toString();
    }
}
