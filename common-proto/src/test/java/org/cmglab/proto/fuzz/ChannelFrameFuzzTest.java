package org.cmglab.proto.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import org.cmglab.proto.channel.ChannelHello;
import org.cmglab.proto.channel.ChannelPipelines;
import org.cmglab.proto.channel.ChannelSettings;
import org.cmglab.proto.runtime.Json;

/**
 * Fuzz targets of the channel: the CMG side's HTTP/2 frame decoding (what a connection point sends after the
 * upgrade or the TCP-TLS handshake) and the hello JSON. The pipeline must refuse garbage by closing the channel;
 * an exception escaping the pipeline or a leaked buffer (paranoid leak detection) is a finding. Seeds in
 * {@code src/test/resources/org/cmglab/proto/fuzz/ChannelFrameFuzzTestInputs/<method>/}.
 */
class ChannelFrameFuzzTest {
    /** The server connection preface (an empty SETTINGS frame) the connection point sends first. */
    static final byte[] SETTINGS = {0, 0, 0, 4, 0, 0, 0, 0, 0};

    /** Bytes after the server preface, into the CMG side's channel pipeline (codec, mux, flood guard, ping). */
    @FuzzTest(maxDuration = "1m")
    void gatewaySideFrames(byte[] data) {
        EmbeddedChannel ch = new EmbeddedChannel();
        try {
            ChannelPipelines.installGatewaySide(ch, ChannelSettings.defaults(), "fuzz", new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ReferenceCountUtil.release(msg);
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    // what GatewayChannelHandler does with a protocol error the codec already answered (GOAWAY)
                    ctx.close();
                }
            });
            drain(ch);
            ch.writeInbound(Unpooled.wrappedBuffer(SETTINGS));
            ch.writeInbound(Unpooled.wrappedBuffer(data));
            ch.runPendingTasks();
            ch.checkException();
            drain(ch);
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    /** The hello reply body: parsed or refused with a RuntimeException the CMG logs ("malformed hello"). */
    @FuzzTest(maxDuration = "1m")
    void hello(byte[] data) {
        try {
            ChannelHello h = Json.read(new String(data, StandardCharsets.UTF_8), ChannelHello.class);
            if (h != null) {
                h.toString();
            }
        } catch (RuntimeException expected) {
            // GatewayChannelHandler.onHello catches RuntimeException and closes the channel
        }
    }

    private static void drain(EmbeddedChannel ch) {
        Object o;
        while ((o = ch.readOutbound()) != null) {
            ReferenceCountUtil.release(o);
        }
    }
}
