package org.cmglab.netdev;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream side of a {@link FrontendHandler} pair: streams each response object to the client as it is decoded,
 * stops reading the upstream while the client is not writable (the client side resumes it), and records the
 * response's flow event when it completes. Runs on the client connection's event loop.
 */
final class BackendHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(BackendHandler.class);

    private final HopContext hop;
    private final Channel front;
    private final ArrayDeque<FrontendHandler.InFlight> inFlight;
    private int status;
    private boolean informational;

    private final Runnable responseDone;

    BackendHandler(HopContext hop, Channel front, ArrayDeque<FrontendHandler.InFlight> inFlight, Runnable responseDone) {
        this.hop = hop;
        this.front = front;
        this.inFlight = inFlight;
        this.responseDone = responseDone;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!front.isActive() || !(msg instanceof HttpObject)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse r) {
            status = r.status().code();
            informational = status >= 100 && status < 200 && status != 101;
        }
        boolean last = msg instanceof LastHttpContent;
        front.write(msg).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
        if (last && !informational) {
            FrontendHandler.InFlight req = inFlight.poll();
            if (req != null) {
                hop.events().event(hop.step(), "response").trace(req.trace()).from(hop.to()).to(hop.node())
                        .protocol(hop.upstreamTls() != null ? "HTTPS" : "HTTP").port(hop.upstream().port())
                        .auth("device " + hop.name()).status(status).outcome("ok")
                        .latencyNanos(System.nanoTime() - req.startNanos())
                        .detail(status + " for " + req.method() + " " + req.uri()).emit();
            }
            responseDone.run();
        } else if (last) {
            informational = false; // 100 Continue done; the real response follows
        }
        if (msg instanceof HttpContent && !front.isWritable()) {
            front.flush();
            if (!front.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        front.flush();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            FrontendHandler.resumeFront(front);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // the upstream closed (Connection: close, or it failed): the client gets what was written, then the close
        if (front.isActive()) {
            front.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("{} hop {}: upstream connection to {} failed: {}", hop.device(), hop.name(), hop.upstream(),
                cause.toString());
        ctx.close();
    }
}
