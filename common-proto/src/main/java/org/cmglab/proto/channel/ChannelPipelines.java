package org.cmglab.proto.channel;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

/**
 * Installs the HTTP/2 layer of the channel on an already-secured socket, in the roles of the lab's design:
 * the CMG side is the HTTP/2 client (it opens a stream per forwarded request), the connection point side the
 * HTTP/2 server. Install only once TLS (and, on the HTTPS transport, the upgrade) is complete: a codec with a
 * tuned window writes at once (channel-notes.md pitfall 2).
 *
 * <p>Resulting pipeline: {@code idle → [ssl …] → h2 → mux → flood-guard → ping → window → tail}.
 */
public final class ChannelPipelines {
    public static final String IDLE = "channel-idle";
    public static final String H2 = "channel-h2";
    public static final String MUX = "channel-mux";
    public static final String PING = "channel-ping";
    public static final String WINDOW = "channel-window";
    public static final String FLOOD = "channel-flood-guard";

    private ChannelPipelines() {}

    /** CMG side: HTTP/2 client; the connection point may not open streams. */
    public static void installGatewaySide(Channel ch, ChannelSettings s, String label, ChannelHandler tail) {
        Http2FrameCodec codec = Http2FrameCodecBuilder.forClient()
                .initialSettings(settings(s).pushEnabled(false))
                .encoderEnforceMaxConcurrentStreams(true)
                .build();
        install(ch.pipeline(), s, label, codec, new Http2MultiplexHandler(RefusePeerStreams.INSTANCE), tail);
    }

    /** Connection point side: HTTP/2 server; each stream the CMG opens is initialised by {@code streams}. */
    public static void installConnectorSide(Channel ch, ChannelSettings s, String label,
                                            ChannelHandler streams, ChannelHandler tail) {
        Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
                .initialSettings(settings(s).maxConcurrentStreams(s.maxConcurrentStreams()))
                .build();
        install(ch.pipeline(), s, label, codec, new Http2MultiplexHandler(streams), tail);
    }

    private static Http2Settings settings(ChannelSettings s) {
        return Http2Settings.defaultSettings()
                .initialWindowSize(s.streamWindowBytes())
                .maxFrameSize(s.maxFrameSize())
                .maxHeaderListSize(s.maxHeaderListSize());
    }

    private static void install(ChannelPipeline p, ChannelSettings s, String label, Http2FrameCodec codec,
                                Http2MultiplexHandler mux, ChannelHandler tail) {
        p.addFirst(IDLE, new IdleStateHandler(s.pingInterval().toNanos(), 0, 0, TimeUnit.NANOSECONDS));
        p.addLast(H2, codec);
        p.addLast(MUX, mux);
        p.addLast(FLOOD, new ControlFrameFloodGuard(label));
        p.addLast(PING, new PingKeepaliveHandler(s.pingTimeout().toNanos(), label));
        p.addLast(WINDOW, new ConnectionWindowOpener());
        p.addLast(tail);
    }

    /** The codec of an installed channel (for stream counts and GOAWAY state). */
    public static Http2FrameCodec codec(Channel parent) {
        return parent.pipeline().get(Http2FrameCodec.class);
    }

    /**
     * Opens the connection-level receive window to its maximum once the codec is in place. Memory stays bounded by
     * the stream windows (a stream's unread bytes are never credited back), while no paused stream can exhaust a
     * shared connection window and stall the others (channel-notes.md §4).
     */
    static final class ConnectionWindowOpener extends ChannelInboundHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
            int current = codec.connection().local().flowController().windowSize(codec.connection().connectionStream());
            int delta = Integer.MAX_VALUE - current;
            if (delta > 0 && ctx.channel().isActive()) {
                ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(delta));
            }
            ctx.pipeline().remove(this);
        }
    }

    /**
     * The connection point never opens streams towards the CMG. If it tries, the stream is refused and the channel
     * closed with GOAWAY PROTOCOL_ERROR and a log line: a peer that breaks the channel's roles is broken or hostile,
     * and refusing its streams one by one would let it make the CMG build and reset a stream per HEADERS frame.
     */
    @ChannelHandler.Sharable
    static final class RefusePeerStreams extends ChannelInboundHandlerAdapter {
        static final RefusePeerStreams INSTANCE = new RefusePeerStreams();
        private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ChannelPipelines.class);

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Http2StreamChannel stream = (Http2StreamChannel) ctx.channel();
            stream.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM));
            ctx.close();
            Channel parent = stream.parent();
            if (parent.isActive()) {
                LOG.warn("Channel from {}: the peer opened stream {}, but only the CMG opens streams on a channel; "
                        + "closing it (GOAWAY PROTOCOL_ERROR)", parent.remoteAddress(), stream.stream().id());
                parent.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.PROTOCOL_ERROR));
                parent.close();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }
}
