package org.cmglab.netdev;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cmglab.proto.config.NetworkDeviceConfig.VerbBlock;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.runtime.EventLoops;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection through the device, paired 1:1 with one upstream connection (opened when the client
 * connects, on the same event loop, so neither side needs locks). Requests are streamed upstream as the codec
 * decodes them ({@code HttpRequest}, then {@code HttpContent} chunks: bodies are never collected), after the hop's
 * rules: a stripped header is removed, a blocked verb gets the block's action. Responses are streamed back by
 * {@link BackendHandler}. Backpressure both ways: a side stops reading while the other is not writable.
 * Keep-alive follows the two ends: when either closes, the other is closed after what was written is flushed.
 *
 * <p>Until the upstream connection is ready, reading is paused and whatever TLS already decoded waits in
 * {@link #pending} (at most one read's worth).
 */
final class FrontendHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(FrontendHandler.class);
    static final int CONNECT_TIMEOUT_MS = 10_000;

    private final HopContext hop;
    private final ArrayDeque<Object> pending = new ArrayDeque<>();
    /** Requests sent upstream whose response has not completed, oldest first (HTTP/1.1 answers in order). */
    private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
    private Channel backend;
    private boolean backendReady;
    private String upstreamFailure;
    /** After a blocked request: drop its body and anything after it (the connection is closing). */
    private boolean discarding;
    /** The device's own answer waiting for the in-flight responses before it. */
    private FullHttpResponse pendingRefusal;
    private Channel front;

    FrontendHandler(HopContext hop) {
        this.hop = hop;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel front = ctx.channel();
        this.front = front;
        front.config().setAutoRead(false);
        ChannelFuture cf = new Bootstrap().group(front.eventLoop()).channel(EventLoops.socketChannelClass())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false)
                .localAddress(((InetSocketAddress) front.localAddress()).getAddress(), 0)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (hop.upstreamTls() != null) {
                            SslHandler ssl = hop.upstreamTls().newHandler(ch.alloc(), hop.upstreamHost(),
                                    hop.upstream().port());
                            ssl.setHandshakeTimeoutMillis(CONNECT_TIMEOUT_MS);
                            ch.pipeline().addLast("ssl", ssl);
                        }
                        ch.pipeline().addLast("http", new HttpClientCodec(8 * 1024, 64 * 1024, 64 * 1024))
                                .addLast("relay", new BackendHandler(hop, front, inFlight,
                                        FrontendHandler.this::responseDone));
                    }
                })
                .connect(hop.upstream().socketAddress());
        backend = cf.channel();
        cf.addListener(f -> {
            if (!f.isSuccess()) {
                upstreamFailed(ctx, "cannot connect to " + hop.upstreamHost() + " (" + hop.upstream() + "): "
                        + f.cause().getMessage());
                return;
            }
            SslHandler ssl = backend.pipeline().get(SslHandler.class);
            if (ssl == null) {
                upstreamReady(ctx);
            } else {
                ssl.handshakeFuture().addListener(h -> {
                    if (h.isSuccess()) {
                        upstreamReady(ctx);
                    } else {
                        upstreamFailed(ctx, "TLS to " + hop.upstreamHost() + " (" + hop.upstream() + ") failed: "
                                + h.cause().getMessage());
                    }
                });
            }
        });
        // close the upstream side when the client goes away first
        ctx.fireChannelActive();
    }

    private void upstreamReady(ChannelHandlerContext ctx) {
        backendReady = true;
        backend.config().setAutoRead(true);
        drain(ctx);
        if (ctx.channel().isActive()) {
            ctx.channel().config().setAutoRead(true);
            ctx.read();
        }
    }

    private void upstreamFailed(ChannelHandlerContext ctx, String why) {
        log.warn("{} hop {}: {}", hop.device(), hop.name(), why);
        upstreamFailure = why;
        if (backend != null) {
            backend.close();
        }
        drain(ctx);
        if (ctx.channel().isActive()) {
            ctx.channel().config().setAutoRead(true);
            ctx.read();
        }
    }

    private void drain(ChannelHandlerContext ctx) {
        Object m;
        while ((m = pending.poll()) != null) {
            handle(ctx, m);
        }
        if (backend != null && backend.isActive()) {
            backend.flush();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!backendReady && upstreamFailure == null) {
            pending.add(msg);
            return;
        }
        handle(ctx, msg);
    }

    private void handle(ChannelHandlerContext ctx, Object msg) {
        if (discarding || !ctx.channel().isActive()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest req) {
            if (req.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                log.warn("{} hop {}: malformed request from {}: {}", hop.device(), hop.name(),
                        ctx.channel().remoteAddress(), req.decoderResult().cause().toString());
                refuse(ctx, 400, "Bad Request", "malformed request: " + req.decoderResult().cause().getMessage());
                return;
            }
            String method = req.method().name();
            String trace = TraceContext.traceId(req.headers().get(TraceContext.HEADER));
            Optional<VerbBlock> block = hop.rules().blockOf(method);
            if (block.isPresent()) {
                ReferenceCountUtil.release(msg);
                block(ctx, req, trace, block.get());
                return;
            }
            if (upstreamFailure != null) {
                ReferenceCountUtil.release(msg);
                event(trace, "request", 502, "upstream-unreachable", method + " " + req.uri() + ": " + upstreamFailure);
                refuse(ctx, 502, "Bad Gateway", "network device " + hop.device() + ": " + upstreamFailure);
                return;
            }
            List<String> removed = new ArrayList<>();
            for (String h : hop.rules().stripHeaders()) {
                // remember the spelling the client sent, for the event
                for (String name : req.headers().names()) {
                    if (name.equalsIgnoreCase(h)) {
                        removed.add(name);
                    }
                }
                if (req.headers().contains(h)) {
                    req.headers().remove(h);
                    hop.rules().countStripped(h);
                }
            }
            hop.rules().countForwarded();
            inFlight.add(new InFlight(trace, method, req.uri(), System.nanoTime()));
            event(trace, "request", 0, "ok", method + " " + req.uri()
                    + (removed.isEmpty() ? "" : "; stripped " + String.join(", ", removed)));
            if (!removed.isEmpty()) {
                log.info("{} hop {}: {} {} stripped {}", hop.device(), hop.name(), method, req.uri(), removed);
            }
        } else if (upstreamFailure != null) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpContent || msg instanceof HttpRequest) {
            backend.write(msg).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
            if (!backend.isWritable()) {
                backend.flush();
                if (!backend.isWritable()) {
                    ctx.channel().config().setAutoRead(false);
                }
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void block(ChannelHandlerContext ctx, HttpRequest req, String trace, VerbBlock b) {
        String method = req.method().name();
        hop.rules().countBlocked(method);
        discarding = true;
        if (VerbBlock.RESET.equals(b.action())) {
            log.warn("{} hop {}: blocked {} {} from {}: verb {} is denied (reset)", hop.device(), hop.name(), method,
                    req.uri(), ctx.channel().remoteAddress(), method);
            event(trace, "request", 0, "blocked-reset", method + " " + req.uri() + ": verb " + method
                    + " denied by rule, connection reset");
            // SO_LINGER 0: close() sends a TCP RST, as a firewall's "reset-both" action does. The close starts at the
            // TLS handler's own context so it goes straight to the socket: SslHandler.close would first send a TLS
            // close_notify, an orderly end the client would not see as a reset
            ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
            ChannelHandlerContext tls = ctx.pipeline().context(SslHandler.class);
            (tls != null ? tls : ctx).close();
            if (backend != null) {
                backend.close();
            }
            return;
        }
        log.warn("{} hop {}: blocked {} {} from {}: verb {} is denied (405)", hop.device(), hop.name(), method,
                req.uri(), ctx.channel().remoteAddress(), method);
        event(trace, "request", 405, "blocked", method + " " + req.uri() + ": verb " + method + " denied by rule");
        refuse(ctx, 405, "Method Not Allowed", "The request was blocked by network device " + hop.device()
                + ": HTTP verb " + method + " is not allowed on this path.");
    }

    /** A response of the device itself; the connection closes after it (requests behind it are not read). */
    private void refuse(ChannelHandlerContext ctx, int status, String reason, String text) {
        discarding = true;
        byte[] body = (text + "\r\n").getBytes(StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, new HttpResponseStatus(status, reason),
                Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        if (inFlight.isEmpty()) {
            // written before the upstream side is closed: its close flushes and closes this side after this response
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
            if (backend != null) {
                backend.close();
            }
        } else {
            // an earlier (pipelined) request's response is still streaming: this answer follows it, then the close
            pendingRefusal = r;
            ctx.channel().config().setAutoRead(false);
        }
    }

    private void event(String trace, String phase, int status, String outcome, String detail) {
        hop.events().event(hop.step(), phase).trace(trace).from(hop.from()).to(hop.node()).protocol(hop.protocol())
                .port(hop.listenPort()).status(status).outcome(outcome).auth("device " + hop.name())
                .detail(detail).emit();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (backendReady && backend.isActive()) {
            backend.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // the client drained what the upstream sent: read the upstream again
        if (ctx.channel().isWritable() && backend != null && backendReady) {
            backend.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** Called by {@link BackendHandler} when a response is complete: send a refusal that waited for it. */
    private void responseDone() {
        if (pendingRefusal != null && inFlight.isEmpty()) {
            FullHttpResponse r = pendingRefusal;
            pendingRefusal = null;
            front.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
            backend.close();
        }
    }

    /** Called by {@link BackendHandler} when the upstream drained: read the client again. */
    static void resumeFront(Channel front) {
        if (front.isActive()) {
            front.config().setAutoRead(true);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (pendingRefusal != null) {
            ReferenceCountUtil.release(pendingRefusal);
            pendingRefusal = null;
        }
        Object m;
        while ((m = pending.poll()) != null) {
            ReferenceCountUtil.release(m);
        }
        if (backend != null) {
            backend.close();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{} hop {}: client connection {} failed: {}", hop.device(), hop.name(),
                ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    /** A request forwarded upstream, for the response's flow event. */
    record InFlight(String trace, String method, String uri, long startNanos) {
        boolean isLast(Object msg) {
            return msg instanceof LastHttpContent;
        }
    }
}
