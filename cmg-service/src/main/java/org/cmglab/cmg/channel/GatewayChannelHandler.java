package org.cmglab.cmg.channel;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.channel.ChannelDrain;
import org.cmglab.proto.channel.ChannelHello;
import org.cmglab.proto.channel.ChannelPipelines;
import org.cmglab.proto.channel.ChannelProtocol;
import org.cmglab.proto.runtime.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Last handler of an upgraded channel on the CMG side: asks the connection point who it is (hello stream), registers
 * the channel, and takes it out of the registry when it closes. A protocol error closes only this channel. A channel
 * refused before its registration is closed at once (no client stream can be on it); a GOAWAY from the connection
 * point makes the CMG close the channel as soon as its streams in flight have finished.
 */
public final class GatewayChannelHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(GatewayChannelHandler.class);
    private static final int MAX_HELLO = 64 * 1024;
    /** How long the streams in flight on a channel the connection point sent GOAWAY on may still take. */
    static final Duration GOAWAY_GRACE = Duration.ofSeconds(25);

    private final ChannelRegistry registry;
    private final String transport;
    private final int localPort;
    private final String connectorCertificate;
    private final String expectedSite;
    private String connectionId; // ours until the hello names the connection point's own
    private final Duration helloTimeout;
    private GatewayChannel registered;
    private ScheduledFuture<?> deadline;

    public GatewayChannelHandler(ChannelRegistry registry, String transport, int localPort, String connectorCertificate,
                                 String expectedSite, String connectionId, Duration helloTimeout) {
        this.registry = registry;
        this.transport = transport;
        this.localPort = localPort;
        this.connectorCertificate = connectorCertificate;
        this.expectedSite = expectedSite;
        this.connectionId = connectionId;
        this.helloTimeout = helloTimeout;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        deadline = ctx.executor().schedule(() -> {
            if (registered == null && ctx.channel().isActive()) {
                log.warn("Channel {}: no hello from the connection point within {} ms, closing", connectionId,
                        helloTimeout.toMillis());
                closeUnregistered(ctx);
            }
        }, helloTimeout.toMillis(), TimeUnit.MILLISECONDS);
        ctx.executor().execute(() -> sendHello(ctx));
    }

    private void sendHello(ChannelHandlerContext ctx) {
        new Http2StreamChannelBootstrap(ctx.channel()).handler(new HelloReader(ctx)).open().addListener(f -> {
            if (!f.isSuccess()) {
                log.warn("Channel {}: cannot open the hello stream: {}", connectionId, f.cause().toString());
                closeUnregistered(ctx);
                return;
            }
            Http2StreamChannel s = (Http2StreamChannel) f.getNow();
            s.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().method("GET")
                    .path(ChannelProtocol.HELLO_PATH).scheme("https").authority("cmg"), true));
        });
    }

    private void onHello(ChannelHandlerContext ctx, int status, String body) {
        if (status != 200) {
            log.warn("Channel {}: hello refused by the connection point with status {}, closing", connectionId, status);
            closeUnregistered(ctx);
            return;
        }
        ChannelHello hello;
        try {
            hello = Json.read(body, ChannelHello.class);
        } catch (RuntimeException e) {
            log.warn("Channel {}: malformed hello ({}), closing", connectionId, e.getMessage());
            closeUnregistered(ctx);
            return;
        }
        if (!ChannelProtocol.UPGRADE_TOKEN.equals(hello.protocol()) || hello.roles() == null) {
            log.warn("Channel {}: unsupported channel protocol {} in hello, closing", connectionId, hello.protocol());
            closeUnregistered(ctx);
            return;
        }
        if (expectedSite != null && !expectedSite.equalsIgnoreCase(hello.siteCode())) {
            log.warn("Channel {}: connection point {} claims site {} but this CMG belongs to site {}, closing",
                    connectionId, hello.connector(), hello.siteCode(), expectedSite);
            closeUnregistered(ctx);
            return;
        }
        if (deadline != null) {
            deadline.cancel(false);
        }
        GatewayChannel candidate = new GatewayChannel(ctx.channel(), hello, transport, localPort, connectorCertificate);
        String refusal = registry.tryAdd(candidate);
        if (refusal != null) {
            log.warn("Channel {} from connection point {} refused: {}, closing", connectionId, hello.connector(),
                    refusal);
            closeUnregistered(ctx);
            return;
        }
        if (hello.connectionId() != null && !hello.connectionId().equals(connectionId)) {
            log.info("Channel {} is connection {} of connection point {}", connectionId, hello.connectionId(),
                    hello.connector());
            connectionId = hello.connectionId();
        }
        registered = candidate;
    }

    /**
     * Closes a channel that was never registered. No client request can be on it, so the HTTP/2 codec's graceful
     * close does not wait for the streams still open on it (at most the hello stream).
     */
    private static void closeUnregistered(ChannelHandlerContext ctx) {
        Http2FrameCodec codec = ChannelPipelines.codec(ctx.channel());
        if (codec != null) {
            codec.gracefulShutdownTimeoutMillis(0);
        }
        ctx.close();
    }

    /**
     * The connection point sent GOAWAY: it takes no new request on this channel ({@link GatewayChannel#serves} is
     * false from now on). The CMG answers with its own GOAWAY and closes the channel once the streams in flight
     * have finished (at most {@link #GOAWAY_GRACE}), so a connection point that keeps the socket open after its
     * GOAWAY leaves no idle channel behind.
     */
    private void onGoAway(ChannelHandlerContext ctx, Http2GoAwayFrame g) {
        Http2FrameCodec codec = ChannelPipelines.codec(ctx.channel());
        if (codec != null && codec.connection().goAwaySent()) {
            return; // this side is closing the channel already
        }
        Http2Error error = Http2Error.valueOf(g.errorCode());
        log.info("Channel {}: the connection point sent GOAWAY ({}); no new requests on it, closing it once its {} "
                + "stream(s) in flight finish", connectionId, error == null ? "error " + g.errorCode() : error,
                ChannelDrain.activeStreams(ctx.channel()));
        ChannelDrain.drain(ctx.channel(), GOAWAY_GRACE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (deadline != null) {
            deadline.cancel(false);
        }
        if (registered != null) {
            registry.remove(registered);
        } else {
            log.warn("Channel {} closed before its hello completed", connectionId);
        }
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof Http2GoAwayFrame g) {
                onGoAway(ctx, g);
            }
        } finally {
            ReferenceCountUtil.release(msg); // connection-level frames nobody else consumed (SETTINGS, GOAWAY…)
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("Channel {}: closing after a protocol error: {}", connectionId, cause.toString());
        // Not at once: the HTTP/2 codec reports a connection error here first and only then sends its GOAWAY with
        // the error code (PROTOCOL_ERROR, FRAME_SIZE_ERROR…) and closes; closing now would send GOAWAY NO_ERROR
        // first and the connection point would never learn what was wrong. On the next turn of the event loop the
        // channel is closed in any case (a no-op when the codec closed it already).
        ctx.executor().execute(() -> ctx.close());
    }

    /** Reads the hello reply (status + JSON body). */
    private final class HelloReader extends ChannelInboundHandlerAdapter {
        private final ChannelHandlerContext parentCtx;
        private int status;
        private CompositeByteBuf body;

        HelloReader(ChannelHandlerContext parentCtx) {
            this.parentCtx = parentCtx;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                boolean end = false;
                if (msg instanceof Http2HeadersFrame h) {
                    if (h.headers().status() != null) {
                        status = Integer.parseInt(h.headers().status().toString());
                    }
                    end = h.isEndStream();
                } else if (msg instanceof Http2DataFrame d) {
                    if (body == null) {
                        body = ctx.alloc().compositeBuffer();
                    }
                    if (body.readableBytes() + d.content().readableBytes() > MAX_HELLO) {
                        log.warn("Channel {}: hello larger than {} bytes, closing", connectionId, MAX_HELLO);
                        closeUnregistered(parentCtx);
                        return;
                    }
                    ByteBuf c = d.content();
                    body.addComponent(true, c.retain());
                    end = d.isEndStream();
                }
                if (end) {
                    String json = body == null ? "" : body.toString(StandardCharsets.UTF_8);
                    onHello(parentCtx, status, json);
                    ctx.close();
                }
            } catch (NumberFormatException e) {
                log.warn("Channel {}: bad hello status, closing", connectionId);
                closeUnregistered(parentCtx);
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (body != null) {
                body.release();
                body = null;
            }
            ctx.fireChannelInactive();
        }
    }
}
