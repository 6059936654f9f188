package org.cmglab.site.mp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MpSlowdownTest {
    private static FullHttpRequest req(String uri) {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri,
                Unpooled.copiedBuffer("x", StandardCharsets.UTF_8));
    }

    @Test
    void offPassesRequestsOnAtOnce() {
        EmbeddedChannel ch = new EmbeddedChannel(new MpSlowdown());
        ch.writeInbound(req("/a"));
        FullHttpRequest r = ch.readInbound();
        assertThat(r.uri()).isEqualTo("/a");
        r.release();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void delayHoldsRequestsInOrderUntilTheDelayHasPassed() {
        MpSlowdown slow = new MpSlowdown();
        slow.delayMillis(2_000);
        EmbeddedChannel ch = new EmbeddedChannel(slow);
        ch.writeInbound(req("/1"));
        ch.writeInbound(req("/2"));
        assertThat((Object) ch.readInbound()).as("held while the delay runs").isNull();
        ch.advanceTimeBy(1_999, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat((Object) ch.readInbound()).isNull();
        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        FullHttpRequest a = ch.readInbound();
        FullHttpRequest b = ch.readInbound();
        assertThat(a.uri()).isEqualTo("/1");
        assertThat(b.uri()).isEqualTo("/2");
        a.release();
        b.release();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void aRequestWhoseConnectionClosedMeanwhileIsReleased() {
        MpSlowdown slow = new MpSlowdown();
        slow.delayMillis(500);
        EmbeddedChannel ch = new EmbeddedChannel(slow);
        FullHttpRequest r = req("/gone");
        ch.writeInbound(r);
        ch.close();
        ch.advanceTimeBy(500, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(r.refCnt()).isZero();
        assertThat((Object) ch.readInbound()).isNull();
    }

    @Test
    void outOfRangeDelayIsRefused() {
        MpSlowdown slow = new MpSlowdown();
        assertThatThrownBy(() -> slow.delayMillis(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> slow.delayMillis(MpSlowdown.MAX_DELAY_MS + 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("60000");
        slow.delayMillis(0);
        assertThat(slow.delayMillis()).isZero();
    }
}
