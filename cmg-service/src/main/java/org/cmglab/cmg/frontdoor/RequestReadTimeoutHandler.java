package org.cmglab.cmg.frontdoor;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Slow-client guard of the front door (slowloris): a request head must arrive within {@code headTimeoutMs} of the
 * connection opening or of the previous response's end, and a request body may not pause longer than
 * {@code bodyIdleMs} between two chunks. Otherwise the client gets {@code 408 Request Timeout} with
 * {@code Connection: close} and a log line with the reason. While a request is being answered (the front door pauses
 * reading) no deadline runs. Sits right after the HTTP codec; removed with the HTTP handlers when the socket becomes
 * a connection point channel. One per connection, all on its event loop.
 */
final class RequestReadTimeoutHandler extends ChannelDuplexHandler {
    static final String NAME = "request-timeout";
    static final String REASON = "Request Timeout";
    private static final Logger log = LoggerFactory.getLogger(RequestReadTimeoutHandler.class);

    /** System property (milliseconds) for the head deadline; default {@value #DEFAULT_HEAD_TIMEOUT_MS}. */
    static final String HEAD_TIMEOUT_PROPERTY = "cmglab.frontDoor.headTimeoutMs";
    /** System property (milliseconds) for the longest pause inside a body; default {@value #DEFAULT_BODY_IDLE_MS}. */
    static final String BODY_IDLE_PROPERTY = "cmglab.frontDoor.bodyIdleMs";
    static final long DEFAULT_HEAD_TIMEOUT_MS = 20_000;
    static final long DEFAULT_BODY_IDLE_MS = 30_000;

    private final long headTimeoutMs;
    private final long bodyIdleMs;
    private ScheduledFuture<?> deadline;
    private String what;
    private boolean fired;

    RequestReadTimeoutHandler(long headTimeoutMs, long bodyIdleMs) {
        if (headTimeoutMs <= 0 || bodyIdleMs <= 0) {
            throw new IllegalArgumentException("timeouts: " + headTimeoutMs + "/" + bodyIdleMs + " ms (expected: > 0)");
        }
        this.headTimeoutMs = headTimeoutMs;
        this.bodyIdleMs = bodyIdleMs;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            armHead(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        armHead(ctx);
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof HttpRequest req) {
            what = req.method().name() + " " + abbreviate(req.uri());
            arm(ctx, bodyIdleMs, "the request body paused longer than " + bodyIdleMs + " ms");
        }
        if (msg instanceof LastHttpContent) {
            cancel(); // the whole request is in; the front door answers it before reading more
        } else if (msg instanceof HttpContent) {
            arm(ctx, bodyIdleMs, "the request body paused longer than " + bodyIdleMs + " ms");
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof LastHttpContent) {
            // the response is complete once written: the next request head is due from then on
            promise = promise.unvoid();
            promise.addListener(f -> {
                if (ctx.channel().isActive() && !ctx.isRemoved() && !fired) {
                    what = null;
                    armHead(ctx);
                }
            });
        }
        super.write(ctx, msg, promise);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    private void armHead(ChannelHandlerContext ctx) {
        arm(ctx, headTimeoutMs, "no complete request head within " + headTimeoutMs + " ms");
    }

    private void arm(ChannelHandlerContext ctx, long ms, String why) {
        cancel();
        deadline = ctx.executor().schedule(() -> expire(ctx, why), ms, TimeUnit.MILLISECONDS);
    }

    private void cancel() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    private void expire(ChannelHandlerContext ctx, String why) {
        deadline = null;
        if (!ctx.channel().isActive() || ctx.isRemoved()) {
            return;
        }
        fired = true;
        log.warn("{}from {} timed out: 408 {} ({})", what == null ? "" : what + " ", ctx.channel().remoteAddress(),
                REASON, why);
        ctx.channel().config().setAutoRead(false);
        Responses.send(ctx, 408, REASON, why, false);
    }

    private static String abbreviate(String s) {
        return s == null || s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }
}
