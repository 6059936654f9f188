package org.cmglab.proto.channel;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Connection point side of the HTTPS transport: once TLS is up, sends the upgrade request of
 * {@link ChannelProtocol}; on {@code 101} hands the socket to {@code installer} (which installs the HTTP/2 server
 * side) and leaves the pipeline together with the HTTP/1.1 codec; on anything else fails {@code result} with a
 * {@link ChannelRefusedException} carrying the CMG's status and reason, and closes.
 *
 * <p>Pipeline while upgrading: {@code [proxy] → ssl → http → upgrade}.
 */
public final class ConnectorUpgradeHandler extends ChannelInboundHandlerAdapter {
    private static final int MAX_REFUSAL_BODY = 2048;

    private final String host;
    private final String connectionId;
    private final String connector;
    private final String site;
    private final Promise<Void> result;
    private final Consumer<ChannelHandlerContext> installer;
    private HttpResponse response;
    private final StringBuilder refusalBody = new StringBuilder();

    public ConnectorUpgradeHandler(String host, String connectionId, String connector, String site,
                                   Promise<Void> result, Consumer<ChannelHandlerContext> installer) {
        this.host = host;
        this.connectionId = connectionId;
        this.connector = connector;
        this.site = site;
        this.result = result;
        this.installer = installer;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (ctx.pipeline().get(SslHandler.class) == null) {
            sendUpgrade(ctx); // plain socket: only in unit tests
        }
        super.channelActive(ctx);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive() && ctx.pipeline().get(SslHandler.class) == null) {
            sendUpgrade(ctx);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent e) {
            if (e.isSuccess()) {
                sendUpgrade(ctx);
            } else {
                result.tryFailure(e.cause());
                ctx.close();
            }
        }
        super.userEventTriggered(ctx, evt);
    }

    private void sendUpgrade(ChannelHandlerContext ctx) {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, ChannelProtocol.UPGRADE_PATH);
        req.headers().set(HttpHeaderNames.HOST, host)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE)
                .set(HttpHeaderNames.UPGRADE, ChannelProtocol.UPGRADE_TOKEN)
                .set(ChannelProtocol.HDR_CONNECTION_ID, connectionId)
                .set(ChannelProtocol.HDR_CONNECTOR, connector)
                .set(ChannelProtocol.HDR_SITE, site)
                .set(HttpHeaderNames.CONTENT_LENGTH, 0);
        ctx.writeAndFlush(req).addListener(f -> {
            if (!f.isSuccess()) {
                result.tryFailure(f.cause());
                ctx.close();
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf) {
            ctx.fireChannelRead(msg); // raw bytes behind the 101, already HTTP/2
            return;
        }
        try {
            if (msg instanceof HttpResponse r) {
                response = r;
            }
            if (msg instanceof HttpContent c && response != null
                    && response.status().code() != HttpResponseStatus.SWITCHING_PROTOCOLS.code()
                    && refusalBody.length() < MAX_REFUSAL_BODY) {
                refusalBody.append(c.content().toString(StandardCharsets.UTF_8));
            }
            if (msg instanceof LastHttpContent && response != null) {
                finish(ctx);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void finish(ChannelHandlerContext ctx) {
        HttpResponse r = response;
        boolean upgraded = r.status().code() == 101
                && ChannelProtocol.UPGRADE_TOKEN.equalsIgnoreCase(r.headers().get(HttpHeaderNames.UPGRADE, ""));
        if (!upgraded) {
            String body = refusalBody.toString().strip();
            result.tryFailure(new ChannelRefusedException(r.status().code(), "CMG refused the channel: "
                    + r.status().code() + " " + r.status().reasonPhrase() + (body.isEmpty() ? "" : " — " + body)));
            ctx.close();
            return;
        }
        // let the HTTP/1.1 encoder pass raw bytes (the HTTP/2 preface) before the decoder leaves
        HttpClientCodec http = ctx.pipeline().get(HttpClientCodec.class);
        http.prepareUpgradeFrom(ctx);
        installer.accept(ctx);
        ctx.pipeline().remove(http);
        ctx.pipeline().remove(this);
        result.trySuccess(null);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        result.tryFailure(new ChannelRefusedException(0, "channel closed by the CMG during the upgrade"));
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        result.tryFailure(cause);
        ctx.close();
    }
}
