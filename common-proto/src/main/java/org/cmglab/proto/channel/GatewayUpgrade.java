package org.cmglab.proto.channel;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;

/**
 * CMG side of the HTTPS transport: recognises the connection point's upgrade request on the front door and turns
 * the socket into a channel (HTTP/2 client role).
 */
public final class GatewayUpgrade {
    private GatewayUpgrade() {}

    /** True when {@code req} asks for the channel upgrade (path and Upgrade token). */
    public static boolean isUpgradeRequest(HttpRequest req) {
        String path = req.uri();
        int q = path.indexOf('?');
        if (q >= 0) {
            path = path.substring(0, q);
        }
        return ChannelProtocol.UPGRADE_PATH.equalsIgnoreCase(path)
                && ChannelProtocol.UPGRADE_TOKEN.equalsIgnoreCase(req.headers().get(HttpHeaderNames.UPGRADE, ""));
    }

    /**
     * Answers 101, removes the HTTP/1.1 handlers named in {@code httpHandlers} (their encoder has already
     * serialised the 101 when it is written) and installs the HTTP/2 client side with {@code tail} last.
     * Must run on the channel's event loop, from a handler of that pipeline.
     */
    public static void accept(ChannelHandlerContext ctx, List<String> httpHandlers, ChannelSettings settings,
                              String label, ChannelHandler tail) {
        DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.SWITCHING_PROTOCOLS);
        res.headers().set(HttpHeaderNames.UPGRADE, ChannelProtocol.UPGRADE_TOKEN)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        ctx.writeAndFlush(res);
        ChannelPipeline p = ctx.pipeline();
        for (String name : httpHandlers) {
            if (p.get(name) != null && p.context(name) != ctx) {
                p.remove(name);
            }
        }
        ChannelPipelines.installGatewaySide(ctx.channel(), settings, label, tail);
        if (p.context(ctx.handler()) != null) {
            p.remove(ctx.handler());
        }
    }
}
