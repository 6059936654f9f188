package org.cmglab.site.mp;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fault for the reliability tests (docs/reliability.md, "Fault matrix"): the MP answers every request
 * {@link #delayMillis()} later, set at run time by site-sim's admin action {@code POST /slow?ms=<0..60000>} (0 turns it
 * off). Requests are held on their connection's event loop with a scheduled task (no thread blocks), in arrival order;
 * a request whose connection closed meanwhile is released on {@code channelInactive}, not answered. Shared by all MP
 * connections.
 */
@ChannelHandler.Sharable
public final class MpSlowdown extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(MpSlowdown.class);
    /** Upper bound of the delay (a request must still end within the lab's deadlines). */
    public static final long MAX_DELAY_MS = 60_000;

    /** Requests of one connection waiting for their delay (touched only on that connection's event loop). */
    private static final AttributeKey<ArrayDeque<Object>> HELD = AttributeKey.valueOf("cmglab.mpSlowdownHeld");

    private volatile long delayMillis;

    public long delayMillis() {
        return delayMillis;
    }

    /** Sets the delay; throws {@link IllegalArgumentException} outside 0..{@value #MAX_DELAY_MS}. */
    public void delayMillis(long ms) {
        if (ms < 0 || ms > MAX_DELAY_MS) {
            throw new IllegalArgumentException("ms must be 0.." + MAX_DELAY_MS + " (got " + ms + ")");
        }
        delayMillis = ms;
        log.info(ms == 0 ? "MP slowdown off" : "MP slowdown: every request answered {} ms later", ms);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        long d = delayMillis;
        ArrayDeque<Object> held = ctx.channel().attr(HELD).get();
        if (d <= 0 && (held == null || held.isEmpty())) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (held == null) {
            held = new ArrayDeque<>();
            ctx.channel().attr(HELD).set(held);
        }
        held.add(msg);
        ArrayDeque<Object> queue = held;
        // one task per request; each passes on the oldest one held, so the order of arrival is kept
        ctx.executor().schedule(() -> {
            Object next = queue.poll();
            if (next != null) {
                ctx.fireChannelRead(next);
            }
        }, Math.max(0, d), TimeUnit.MILLISECONDS);
    }

    /** Requests held for a connection that closed are released, never answered. */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        ArrayDeque<Object> held = ctx.channel().attr(HELD).getAndSet(null);
        if (held != null) {
            for (Object m; (m = held.poll()) != null; ) {
                ReferenceCountUtil.release(m);
            }
        }
        super.channelInactive(ctx);
    }
}
