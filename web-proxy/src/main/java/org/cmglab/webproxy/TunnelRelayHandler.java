package org.cmglab.webproxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One direction of an established CONNECT tunnel: bytes read on this channel are written to the peer. Backpressure:
 * when the peer stops being writable this side stops reading, and reading resumes when the peer drains (the peer's
 * handler calls back through {@link #channelWritabilityChanged}). While the proxy is blackholed, bytes are dropped and
 * a close is not passed on (no FIN, no RST): both ends see a silent, half-open path.
 *
 * <p>Both channels of a tunnel run on the same event loop (the upstream is connected from the client channel's loop),
 * so no state here needs synchronisation.
 */
final class TunnelRelayHandler extends ChannelInboundHandlerAdapter {
    private final Channel peer;
    private final ProxyState state;
    private final AtomicLong bytes;

    TunnelRelayHandler(Channel peer, ProxyState state, AtomicLong bytes) {
        this.peer = peer;
        this.state = state;
        this.bytes = bytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state.blackhole() || !peer.isActive()) {
            if (msg instanceof ByteBuf b) {
                state.swallowedBytes.addAndGet(b.readableBytes());
            }
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof ByteBuf b) {
            bytes.addAndGet(b.readableBytes());
        }
        peer.write(msg);
        if (!peer.isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            peer.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!state.blackhole()) {
            closeOnFlush(peer);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    /** Closes {@code ch} after what was written to it is flushed. */
    static void closeOnFlush(Channel ch) {
        if (ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
