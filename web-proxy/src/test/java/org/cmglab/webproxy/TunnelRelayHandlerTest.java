package org.cmglab.webproxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TunnelRelayHandlerTest {
    private final ProxyState state = new ProxyState(List.of(443));

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    @Test
    void forwardsBytesToThePeerAndCountsThem() {
        EmbeddedChannel peer = new EmbeddedChannel();
        EmbeddedChannel ch = new EmbeddedChannel(new TunnelRelayHandler(peer, state, state.bytesUp));
        ch.writeInbound(bytes("hello"));
        ByteBuf out = peer.readOutbound();
        assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
        out.release();
        assertThat(state.bytesUp.get()).isEqualTo(5);
        assertThat(ch.finishAndReleaseAll()).isFalse();
        peer.finishAndReleaseAll(); // holds the empty buffer of the close-on-flush
        assertThat(peer.isOpen()).as("closing one side closes the other").isFalse();
    }

    @Test
    void closingOneSideClosesThePeer() {
        EmbeddedChannel peer = new EmbeddedChannel();
        EmbeddedChannel ch = new EmbeddedChannel(new TunnelRelayHandler(peer, state, state.bytesUp));
        ch.close();
        peer.runPendingTasks();
        assertThat(peer.isOpen()).isFalse();
    }

    @Test
    void blackholeDropsBytesAndDoesNotPassTheClose() {
        EmbeddedChannel peer = new EmbeddedChannel();
        EmbeddedChannel ch = new EmbeddedChannel(new TunnelRelayHandler(peer, state, state.bytesUp));
        state.blackhole(true);
        ByteBuf b = bytes("lost");
        ch.writeInbound(b);
        assertThat(b.refCnt()).as("dropped bytes are released").isZero();
        assertThat((Object) peer.readOutbound()).isNull();
        assertThat(state.swallowedBytes.get()).isEqualTo(4);
        ch.close();
        peer.runPendingTasks();
        assertThat(peer.isOpen()).as("no FIN passed on while blackholed").isTrue();
        assertThat(peer.finishAndReleaseAll()).isFalse();
    }

    @Test
    void stopsReadingWhileThePeerIsNotWritableAndResumesWhenItDrains() {
        EmbeddedChannel peer = new EmbeddedChannel();
        peer.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(new TunnelRelayHandler(peer, state, state.bytesUp));
        peer.pipeline().addLast(new TunnelRelayHandler(ch, state, state.bytesDown));
        // write without flush: the bytes stay in the peer's outbound buffer, above the high water mark
        ch.pipeline().fireChannelRead(bytes("0123456789abcdefXYZ"));
        assertThat(peer.isWritable()).isFalse();
        assertThat(ch.config().isAutoRead()).as("backpressure: stop reading").isFalse();
        peer.flushOutbound();
        assertThat(peer.isWritable()).isTrue();
        assertThat(ch.config().isAutoRead()).as("drained: read again").isTrue();
        assertThat(peer.finishAndReleaseAll()).isTrue();
        ch.finishAndReleaseAll();
    }
}
