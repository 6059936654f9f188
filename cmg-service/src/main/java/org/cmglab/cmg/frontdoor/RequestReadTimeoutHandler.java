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
 * Slow-client guard of the front door (slowloris) and its idle-connection timer, as HTTP.sys has them: a kept-alive
 * connection may stay silent for {@code idleTimeoutMs} (HTTP.sys's IdleConnection timer, 120 s) after it opened or
 * after the previous response ended, and is then closed without an answer; once the first byte of a request has come,
 * the request head must be complete within {@code headTimeoutMs}, and a request body may not pause longer than
 * {@code bodyIdleMs} between two chunks. Otherwise the client gets {@code 408 Request Timeout} with
 * {@code Connection: close} and a log line with the reason. While a request is being answered (the front door pauses
 * reading) no deadline runs. Sits right after the HTTP codec, with its {@link #bytesWatcher()} right before it;
 * both are removed with the HTTP handlers when the socket becomes a connection point channel. One per connection,
 * all on its event loop.
 */
final class RequestReadTimeoutHandler extends ChannelDuplexHandler {
    static final String NAME = "request-timeout";
    /** Name of the {@link #bytesWatcher()} in the pipeline (before the HTTP codec). */
    static final String BYTES_NAME = "request-timeout-bytes";
    static final String REASON = "Request Timeout";
    private static final Logger log = LoggerFactory.getLogger(RequestReadTimeoutHandler.class);

    /** System property (milliseconds) for the head deadline; default {@value #DEFAULT_HEAD_TIMEOUT_MS}. */
    static final String HEAD_TIMEOUT_PROPERTY = "cmglab.frontDoor.headTimeoutMs";
    /** System property (milliseconds) for the longest pause inside a body; default {@value #DEFAULT_BODY_IDLE_MS}. */
    static final String BODY_IDLE_PROPERTY = "cmglab.frontDoor.bodyIdleMs";
    /** System property (milliseconds) for a silent kept-alive connection; default {@value #DEFAULT_IDLE_TIMEOUT_MS}. */
    static final String IDLE_TIMEOUT_PROPERTY = "cmglab.frontDoor.idleTimeoutMs";
    static final long DEFAULT_HEAD_TIMEOUT_MS = 20_000;
    static final long DEFAULT_BODY_IDLE_MS = 30_000;
    static final long DEFAULT_IDLE_TIMEOUT_MS = 120_000;

    private final long idleTimeoutMs;
    private final long headTimeoutMs;
    private final long bodyIdleMs;
    private ScheduledFuture<?> deadline;
    private String what;
    private boolean fired;
    /** Waiting for the first byte of the next request (the idle timer runs, not the head deadline). */
    private boolean idle;
    private ChannelHandlerContext ctx;

    RequestReadTimeoutHandler(long headTimeoutMs, long bodyIdleMs) {
        this(DEFAULT_IDLE_TIMEOUT_MS, headTimeoutMs, bodyIdleMs);
    }

    RequestReadTimeoutHandler(long idleTimeoutMs, long headTimeoutMs, long bodyIdleMs) {
        if (idleTimeoutMs <= 0 || headTimeoutMs <= 0 || bodyIdleMs <= 0) {
            throw new IllegalArgumentException("timeouts: " + idleTimeoutMs + "/" + headTimeoutMs + "/" + bodyIdleMs
                    + " ms (expected: > 0)");
        }
        this.idleTimeoutMs = idleTimeoutMs;
        this.headTimeoutMs = headTimeoutMs;
        this.bodyIdleMs = bodyIdleMs;
    }

    /** The handler to put right before the HTTP codec: it tells this one when bytes of a request arrive. */
    io.netty.channel.ChannelHandler bytesWatcher() {
        return new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext c, Object msg) {
                bytesArrived();
                c.fireChannelRead(msg);
            }
        };
    }

    /** Bytes of a request came: a silent connection now owes a complete head within the head deadline. */
    void bytesArrived() {
        if (idle && ctx != null && !fired) {
            idle = false;
            arm(ctx, headTimeoutMs, "no complete request head within " + headTimeoutMs + " ms");
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
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
        idle = false; // a decoded message: bytes came (also when no watcher sits before the codec, as in unit tests)
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

    /** Waiting for the next request: the idle timer runs until its first byte, then the head deadline. */
    private void armHead(ChannelHandlerContext ctx) {
        arm(ctx, idleTimeoutMs, null);
        idle = true;
    }

    private void arm(ChannelHandlerContext ctx, long ms, String why) {
        cancel();
        idle = false;
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
        if (why == null) { // the idle timer: HTTP.sys closes a silent kept-alive connection without an answer
            log.debug("connection from {} idle for {} ms: closed", ctx.channel().remoteAddress(), idleTimeoutMs);
            ctx.close();
            return;
        }
        log.warn("{}from {} timed out: 408 {} ({})", what == null ? "" : what + " ", ctx.channel().remoteAddress(),
                REASON, why);
        ctx.channel().config().setAutoRead(false);
        Responses.send(ctx, 408, REASON, why, false);
    }

    private static String abbreviate(String s) {
        return s == null || s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }
}
