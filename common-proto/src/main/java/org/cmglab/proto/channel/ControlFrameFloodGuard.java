package org.cmglab.proto.channel;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a channel whose peer floods it with control frames the HTTP/2 codec answers by itself (PING and SETTINGS,
 * each costing an ACK): more than {@link #MAX_PER_WINDOW} within {@link #WINDOW_NANOS} is not keepalive or tuning
 * but abuse (CVE-2019-9512/9515 style), and the channel is closed with a log line naming it. Netty already bounds
 * RST_STREAM floods and queued control-frame answers; this bounds the work. One per channel, on its event loop.
 */
public final class ControlFrameFloodGuard extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ControlFrameFloodGuard.class);
    /** PING + SETTINGS frames (not ACKs) allowed per window: the channel sends a PING every few seconds at most. */
    public static final int MAX_PER_WINDOW = 100;
    public static final long WINDOW_NANOS = 10_000_000_000L;

    private final String label;
    private long windowStart = System.nanoTime();
    private int count;
    private boolean closed;

    public ControlFrameFloodGuard(String label) {
        this.label = label;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        boolean control = msg instanceof Http2PingFrame p && !p.ack() || msg instanceof Http2SettingsFrame;
        if (control) {
            long now = System.nanoTime();
            if (now - windowStart > WINDOW_NANOS) {
                windowStart = now;
                count = 0;
            }
            if (++count > MAX_PER_WINDOW) {
                ReferenceCountUtil.release(msg);
                if (!closed) {
                    closed = true;
                    log.warn("{}: control-frame flood from {} (more than {} PING/SETTINGS frames in {} s), closing",
                            label, ctx.channel().remoteAddress(), MAX_PER_WINDOW, WINDOW_NANOS / 1_000_000_000L);
                    ctx.close();
                }
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }
}
