package org.cmglab.cmg.frontdoor;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.cmglab.cmg.route.EndpointLimits;
import org.cmglab.proto.flow.TraceContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks each request's body against the limit of the published endpoint it targets ({@link EndpointLimits}),
 * before it is aggregated: a declared {@code Content-Length} over the limit is refused at once, a chunked body as
 * soon as it grows past it. The refusal is {@code 413 CMGService_RequestEntityTooLarge} with {@code Connection: close};
 * the rest of the body is read and discarded (up to {@link #DISCARD_BUDGET} bytes or {@link #DISCARD_TIMEOUT_MS}) before
 * the connection closes, so the client is not reset while it is still sending and reads the 413. Sits right after the
 * HTTP codec, before the keep-alive handler (which never sees a refused request, so it cannot close the connection
 * before the body is drained) and the aggregator; one per connection.
 */
final class ContentLimitHandler extends ChannelInboundHandlerAdapter {
    static final String NAME = "content-limit";
    static final String REASON = "CMGService_RequestEntityTooLarge";
    private static final Logger log = LoggerFactory.getLogger(ContentLimitHandler.class);

    private final EndpointLimits limits;
    private final FrontDoorContext fd;
    private EndpointLimits.Limit limit;
    private String what;
    private long seen;
    private boolean discarding;
    private long discarded;
    private io.netty.util.concurrent.ScheduledFuture<?> discardTimeout;
    private io.netty.channel.ChannelFuture response;

    /** How much of a refused body is read and dropped before the connection is closed anyway. */
    static final long DISCARD_BUDGET = 4L * 1024 * 1024;
    static final long DISCARD_TIMEOUT_MS = 10_000;

    ContentLimitHandler(EndpointLimits limits, FrontDoorContext fdOrNull) {
        this.limits = limits;
        this.fd = fdOrNull;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (discarding) {
            if (msg instanceof HttpContent c) {
                discarded += c.content().readableBytes();
            }
            boolean last = msg instanceof LastHttpContent;
            ReferenceCountUtil.release(msg);
            if (last || discarded > DISCARD_BUDGET) {
                discarding = false;
                closeAfterResponse(ctx);
            }
            return;
        }
        if (msg instanceof HttpRequest req) {
            limit = limits.limitFor(req.uri());
            what = req.method().name() + " " + req.uri();
            seen = 0;
            long declared = HttpUtil.getContentLength(req, -1L);
            if (declared > limit.maxBytes()) {
                refuse(ctx, msg, declared, req.headers().get(TraceContext.HEADER));
                return;
            }
        }
        if (msg instanceof HttpContent c && limit != null) {
            seen += c.content().readableBytes();
            if (seen > limit.maxBytes()) {
                refuse(ctx, msg, seen, null);
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    private void refuse(ChannelHandlerContext ctx, Object msg, long bytes, String traceparent) {
        discarding = !(msg instanceof LastHttpContent);
        ReferenceCountUtil.release(msg);
        String detail = limit.endpoint() + " accepts at most " + limit.maxBytes() + " bytes, the request has "
                + (bytes == seen ? "at least " : "") + bytes;
        log.warn("{} from {} refused: 413 {} ({})", what, ctx.channel().remoteAddress(), REASON, detail);
        if (fd != null) {
            String trace = TraceContext.traceId(traceparent);
            fd.events().event("F3", "request").trace(trace == null ? TraceContext.newTraceId() : trace)
                    .from("client-sim").to(fd.instance()).protocol("HTTPS").port(fd.frontDoorPort()).status(413)
                    .outcome("too-large").detail(what + " → 413 " + REASON + ": " + detail).emit();
        }
        response = Responses.send(ctx, 413, REASON, detail, false, false);
        if (discarding) {
            discarded = 0;
            discardTimeout = ctx.executor().schedule(() -> {
                if (discarding) {
                    log.info("{} from {}: the refused body was not finished within {} ms; closing",
                            what, ctx.channel().remoteAddress(), DISCARD_TIMEOUT_MS);
                    discarding = false;
                    ctx.close();
                }
            }, DISCARD_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        } else {
            closeAfterResponse(ctx);
        }
    }

    private void closeAfterResponse(ChannelHandlerContext ctx) {
        if (discardTimeout != null) {
            discardTimeout.cancel(false);
            discardTimeout = null;
        }
        response.addListener(io.netty.channel.ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (discardTimeout != null) {
            discardTimeout.cancel(false);
        }
        ctx.fireChannelInactive();
    }
}
