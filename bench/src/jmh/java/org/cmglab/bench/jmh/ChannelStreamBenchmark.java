package org.cmglab.bench.jmh;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.channel.ChannelPipelines;
import org.cmglab.proto.channel.ChannelSettings;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The channel's frame and stream handling without sockets or TLS: the real pipelines of both ends
 * ({@link ChannelPipelines#installGatewaySide} / {@link ChannelPipelines#installConnectorSide}) on two
 * EmbeddedChannels with the bytes moved between them. One operation = one forwarded request as the CMG sends it
 * (a new stream, HEADERS, 2 KiB DATA) and the connection point's answer (HEADERS, 4 KiB DATA), W1's shape.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ChannelStreamBenchmark {
    static final byte[] REQUEST = new byte[2048];
    static final byte[] REPLY = new byte[4096];

    EmbeddedChannel gw;
    EmbeddedChannel cp;
    int answered;

    /** Connection point side of each stream: answers once the request's last DATA frame arrived. */
    @ChannelHandler.Sharable
    static final class Answer extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            boolean end = msg instanceof Http2DataFrame d && d.isEndStream();
            ReferenceCountUtil.release(msg);
            if (end) {
                ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")
                        .set("content-type", "multipart/mixed")));
                ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(REPLY), true));
            }
        }
    }

    /** Gateway side of each stream: counts complete answers. */
    final class Reader extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            boolean end = (msg instanceof Http2DataFrame d && d.isEndStream())
                    || (msg instanceof Http2HeadersFrame h && h.isEndStream());
            ReferenceCountUtil.release(msg);
            if (end) {
                answered++;
                ctx.close();
            }
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        ChannelSettings s = ChannelSettings.defaults();
        gw = new EmbeddedChannel();
        cp = new EmbeddedChannel();
        ChannelPipelines.installGatewaySide(gw, s, "cmg", new ChannelInboundHandlerAdapter());
        ChannelPipelines.installConnectorSide(cp, s, "cp", new Answer(), new ChannelInboundHandlerAdapter());
        pump();
        if (!gw.isActive() || !cp.isActive()) {
            throw new IllegalStateException("the channel did not come up");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        gw.finishAndReleaseAll();
        cp.finishAndReleaseAll();
    }

    @Benchmark
    public int forwardOneRequest() {
        int before = answered;
        Http2StreamChannelBootstrap b = new Http2StreamChannelBootstrap(gw).handler(new Reader());
        io.netty.util.concurrent.Future<Http2StreamChannel> f = b.open();
        gw.runPendingTasks();
        Http2StreamChannel stream = f.getNow();
        if (stream == null) {
            throw new IllegalStateException("no stream: " + f.cause());
        }
        stream.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().method("CCM_POST")
                .path("/CCM_Proxy_MutualAuth/72057594037927939/ccm_system/request").scheme("https")
                .authority("GraniteFalls.contoso.com").set("content-type", "multipart/mixed")));
        stream.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(REQUEST), true));
        pump();
        if (answered != before + 1) {
            throw new IllegalStateException("no answer on the stream");
        }
        return answered;
    }

    private void pump() {
        for (int round = 0; round < 100; round++) {
            gw.runPendingTasks();
            cp.runPendingTasks();
            boolean moved = move(gw, cp) | move(cp, gw);
            if (!moved) {
                return;
            }
        }
    }

    private static boolean move(EmbeddedChannel from, EmbeddedChannel to) {
        boolean moved = false;
        for (Object o; (o = from.readOutbound()) != null; ) {
            moved = true;
            to.writeInbound(o);
        }
        return moved;
    }
}
