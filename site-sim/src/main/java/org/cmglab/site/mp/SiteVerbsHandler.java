package org.cmglab.site.mp;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The site's non-{@code .sms_aut} verbs, in front of the lab DP content and the MP: {@code BITS_POST
 * /CCM_Incoming/<file>} ({@link BitsUploadHandler}), {@code PROPFIND /SMS_DP_SMSPKG$/<pkg>} ({@link WebDavListing})
 * and {@code HEAD} / ranged {@code GET} of lab content ({@link RangedContent}). Anything else goes on unchanged.
 */
final class SiteVerbsHandler extends ChannelInboundHandlerAdapter {
    private final BitsUploadHandler bits;
    private final Consumer<MpRequestRecord> observer;

    SiteVerbsHandler(BitsUploadHandler bits, Consumer<MpRequestRecord> observer) {
        this.bits = bits;
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
        String path = SmsAutResponder.percentDecode(q >= 0 ? uri.substring(0, q) : uri).toLowerCase(Locale.ROOT);
        String method = req.method().name();
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        try {
            if ("BITS_POST".equals(method) && path.startsWith(BitsUploadHandler.PREFIX)) {
                send(ctx, req, bits.handle(req, path), keepAlive);
            } else if ("PROPFIND".equals(method) && path.startsWith(WebDavListing.PREFIX)) {
                send(ctx, req, WebDavListing.handle(req, path), keepAlive);
            } else if (RangedContent.wants(req, path)) {
                RangedContent.serve(ctx, req, path, keepAlive, r -> notify(ctx, req, r, 0));
                return;
            } else {
                ctx.fireChannelRead(msg);
                return;
            }
        } catch (IllegalArgumentException e) {
            send(ctx, req, text(HttpResponseStatus.BAD_REQUEST, e.getMessage()), keepAlive);
        }
        req.release();
    }

    private void send(ChannelHandlerContext ctx, FullHttpRequest req, FullHttpResponse r, boolean keepAlive) {
        r.headers().set(HttpHeaderNames.SERVER, MpHttpHandler.SERVER);
        HttpUtil.setKeepAlive(r, keepAlive);
        notify(ctx, req, r.status().code(), r.content().readableBytes());
        if (keepAlive) {
            ctx.writeAndFlush(r, ctx.voidPromise());
        } else {
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private void notify(ChannelHandlerContext ctx, FullHttpRequest req, int status, long bytes) {
        java.util.Map<String, String> h = new java.util.LinkedHashMap<>();
        req.headers().forEach(e -> h.merge(e.getKey(), e.getValue(), (a, b) -> a + ", " + b));
        observer.accept(new MpRequestRecord(req.method().name(), req.uri(), h, status, bytes,
                String.valueOf(ctx.channel().remoteAddress()),
                ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class) != null));
    }

    static FullHttpResponse text(HttpResponseStatus status, String text) {
        byte[] b = (text + "\r\n").getBytes(StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(io.netty.handler.codec.http.HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(b));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8").setInt(HttpHeaderNames.CONTENT_LENGTH,
                b.length);
        return r;
    }
}
