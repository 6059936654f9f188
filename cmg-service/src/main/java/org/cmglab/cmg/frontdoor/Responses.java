package org.cmglab.cmg.frontdoor;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** Error answers of the CMG front door: the status line carries the product-style reason, the body says why. */
final class Responses {
    private Responses() {}

    static void send(ChannelHandlerContext ctx, int status, String reason, String detail, boolean keepAlive) {
        send(ctx, status, reason, detail, keepAlive, !keepAlive);
    }

    /** As above; {@code closeAfterWrite} false leaves closing to the caller (e.g. after draining a refused body). */
    static io.netty.channel.ChannelFuture send(ChannelHandlerContext ctx, int status, String reason, String detail,
                                               boolean keepAlive, boolean closeAfterWrite) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, new HttpResponseStatus(status, reason),
                Unpooled.copiedBuffer(detail + "\r\n", StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        HttpUtil.setContentLength(res, res.content().readableBytes());
        HttpUtil.setKeepAlive(res, keepAlive);
        var f = ctx.writeAndFlush(res);
        if (closeAfterWrite) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
        return f;
    }
}
