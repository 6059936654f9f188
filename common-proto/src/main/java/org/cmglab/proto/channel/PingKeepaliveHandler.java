package org.cmglab.proto.channel;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Half-open channel detection. An {@code IdleStateHandler} placed first in the parent pipeline (so it sees every
 * byte, including stream frames that the multiplexer hands to child channels) fires {@code READER_IDLE} after
 * {@code pingInterval} of silence; this handler, placed after the multiplexer, then sends an HTTP/2 PING and closes
 * the channel if no ACK arrives within {@code pingTimeout}. Detection therefore takes at most interval + timeout.
 * HTTP/2 ACKs PINGs by itself, so the peer needs no code for it.
 */
public final class PingKeepaliveHandler extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(PingKeepaliveHandler.class);

    private final long timeoutNanos;
    private final String label;
    private long outstanding = -1;
    private long sentAt;
    private ScheduledFuture<?> timeout;
    private volatile long lastRttNanos = -1;
    private volatile boolean timedOut;

    public PingKeepaliveHandler(long timeoutNanos, String label) {
        this.timeoutNanos = timeoutNanos;
        this.label = label;
    }

    /** Round-trip time of the last answered PING in nanoseconds, or -1. */
    public long lastRttNanos() {
        return lastRttNanos;
    }

    /** True once this handler closed the channel because a PING went unanswered. */
    public boolean timedOut() {
        return timedOut;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent e && e.state() == IdleState.READER_IDLE) {
            if (outstanding < 0) {
                sendPing(ctx);
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    private void sendPing(ChannelHandlerContext ctx) {
        sentAt = System.nanoTime();
        outstanding = sentAt;
        ctx.writeAndFlush(new DefaultHttp2PingFrame(outstanding));
        timeout = ctx.executor().schedule(() -> {
            if (outstanding >= 0 && ctx.channel().isActive()) {
                timedOut = true;
                log.warn("{}: no PING ACK within {} ms: the peer is silent (half-open channel), closing it",
                        label, TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
                ctx.close();
            }
        }, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2PingFrame ping && ping.ack()) {
            if (ping.content() == outstanding) {
                lastRttNanos = System.nanoTime() - sentAt;
                outstanding = -1;
                if (timeout != null) {
                    timeout.cancel(false);
                }
            }
            ReferenceCountUtil.release(msg);
            return;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (timeout != null) {
            timeout.cancel(false);
        }
        super.channelInactive(ctx);
    }
}
