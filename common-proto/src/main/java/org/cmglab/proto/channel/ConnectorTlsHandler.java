package org.cmglab.proto.channel;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.Promise;
import java.util.function.Consumer;

/**
 * Connection point side of the TCP-TLS transport (classic CMG, 10140+i): the socket carries the channel's HTTP/2
 * directly after TLS, with no upgrade. On a successful handshake hands the socket to {@code installer} (which installs
 * the HTTP/2 server side), leaves the pipeline and completes {@code result}; a failed handshake or a socket closed
 * before it fails {@code result} — the same contract as {@link ConnectorUpgradeHandler}.
 *
 * <p>Pipeline while connecting: {@code ssl → tcp-tls} (never a proxy: TCP-TLS does not support one).
 */
public final class ConnectorTlsHandler extends ChannelInboundHandlerAdapter {
    private final Promise<Void> result;
    private final Consumer<ChannelHandlerContext> installer;

    public ConnectorTlsHandler(Promise<Void> result, Consumer<ChannelHandlerContext> installer) {
        this.result = result;
        this.installer = installer;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent e) {
            if (e.isSuccess()) {
                installer.accept(ctx);
                ctx.pipeline().remove(this);
                result.trySuccess(null);
            } else {
                result.tryFailure(e.cause());
                ctx.close();
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        result.tryFailure(new ChannelRefusedException(0, "connection closed by the CMG during the TLS handshake"));
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        result.tryFailure(cause);
        ctx.close();
    }
}
