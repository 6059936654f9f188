package org.cmglab.site.ccm;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.cmglab.site.mp.MpRequestRecord;

/**
 * Takes the MP's messaging and policy requests ({@link MpMessaging#handles}) off the pipeline and answers them;
 * everything else goes on to the {@code .sms_aut} handler. Stateless, shared by all connections.
 */
@ChannelHandler.Sharable
public final class CcmMessagingHandler extends ChannelInboundHandlerAdapter {
    static final String SERVER = "Microsoft-IIS/10.0";
    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US);

    private final MpMessaging messaging;
    private final Consumer<MpRequestRecord> observer;

    public CcmMessagingHandler(MpMessaging messaging, Consumer<MpRequestRecord> observer) {
        this.messaging = Objects.requireNonNull(messaging, "messaging");
        this.observer = observer == null ? r -> { } : observer;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest req) || req.decoderResult().isFailure()) {
            ctx.fireChannelRead(msg);
            return;
        }
        String uri = req.uri();
        int q = uri.indexOf('?');
        String rawPath = q >= 0 ? uri.substring(0, q) : uri;
        String path;
        try {
            path = URLDecoder.decode(rawPath.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            ctx.fireChannelRead(msg); // the .sms_aut handler answers bad escapes with its 404
            return;
        }
        if (!MpMessaging.handles(path.toLowerCase(Locale.ROOT))) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            String query = q >= 0 ? uri.substring(q + 1) : null;
            if (query != null) {
                try {
                    query = URLDecoder.decode(query.replace("+", "%2B"), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException ignored) {
                    // keep it raw; the lookup then fails with 404
                }
            }
            var headers = req.headers();
            MpMessaging.Request r = new MpMessaging.Request(req.method().name(), path, query, headers::get,
                    headers.get(HttpHeaderNames.CONTENT_TYPE), ByteBufUtil.getBytes(req.content()), uri);
            HttpAnswer a = messaging.handle(r);
            boolean head = HttpMethod.HEAD.equals(req.method());
            FullHttpResponse resp = new DefaultFullHttpResponse(req.protocolVersion(),
                    new HttpResponseStatus(a.status(), a.reason()),
                    head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(a.body()));
            resp.headers().set(HttpHeaderNames.CONTENT_TYPE, a.contentType())
                    .set(HttpHeaderNames.SERVER, SERVER)
                    .set(HttpHeaderNames.DATE, HTTP_DATE.format(ZonedDateTime.now(ZoneOffset.UTC)))
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, a.body().length);
            for (Map.Entry<String, List<String>> e : a.headers().entrySet()) {
                for (String v : e.getValue()) {
                    resp.headers().add(e.getKey(), v);
                }
            }
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            HttpUtil.setKeepAlive(resp, keepAlive);
            notifyObserver(ctx, req, a.status(), a.body().length);
            if (keepAlive) {
                ctx.writeAndFlush(resp, ctx.voidPromise());
            } else {
                ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
            }
        } finally {
            ReferenceCountUtil.release(req);
        }
    }

    private void notifyObserver(ChannelHandlerContext ctx, FullHttpRequest req, int status, long bodyBytes) {
        Map<String, String> headers = new LinkedHashMap<>();
        req.headers().forEach(e -> headers.merge(e.getKey(), e.getValue(), (a, b) -> a + ", " + b));
        String remote = ctx.channel().remoteAddress() instanceof InetSocketAddress isa && isa.getAddress() != null
                ? isa.getAddress().getHostAddress() + ":" + isa.getPort() : "unknown";
        try {
            observer.accept(new MpRequestRecord(req.method().name(), req.uri(), headers, status, bodyBytes, remote,
                    ctx.pipeline().get(SslHandler.class) != null));
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(CcmMessagingHandler.class)
                    .warn("MP request observer failed for {} {}: {}", req.method(), req.uri(), e.toString());
        }
    }
}
