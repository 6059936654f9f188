package org.cmglab.cmg.frontdoor;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The idle timer (silent kept-alive connection) and the head deadline (a request begun but not finished). */
class RequestReadTimeoutHandlerTest {
    private static final long IDLE = 120_000;
    private static final long HEAD = 20_000;

    private static EmbeddedChannel channel() {
        RequestReadTimeoutHandler t = new RequestReadTimeoutHandler(IDLE, HEAD, 30_000);
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(RequestReadTimeoutHandler.BYTES_NAME, t.bytesWatcher())
                .addLast("http", new HttpServerCodec())
                .addLast(RequestReadTimeoutHandler.NAME, t);
        return ch;
    }

    private static String outbound(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
            sb.append(b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
        return sb.toString();
    }

    @Test
    void aSilentConnectionOutlivesTheHeadDeadlineAndIsClosedWithoutAnswerAfterTheIdleTimer() {
        EmbeddedChannel ch = channel();
        ch.advanceTimeBy(HEAD + 1_000, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isActive()).as("silent for longer than the head deadline: still open").isTrue();
        ch.advanceTimeBy(IDLE, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isActive()).as("closed by the idle timer").isFalse();
        assertThat(outbound(ch)).as("no answer on an idle close").isEmpty();
        ch.finishAndReleaseAll();
    }

    @Test
    void aRequestHeadBegunButNotFinishedGets408AfterTheHeadDeadline() {
        EmbeddedChannel ch = channel();
        ch.advanceTimeBy(60_000, TimeUnit.MILLISECONDS); // idle a while first: fine
        ch.runScheduledPendingTasks();
        ch.writeInbound(Unpooled.copiedBuffer("GET /SMS_MP/.sms_aut?MPLIST HTTP/1.1\r\nHost: cmg\r\n",
                StandardCharsets.US_ASCII));
        ch.advanceTimeBy(HEAD - 1_000, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(outbound(ch)).isEmpty();
        ch.advanceTimeBy(2_000, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(outbound(ch)).startsWith("HTTP/1.1 408 Request Timeout");
        ch.finishAndReleaseAll();
    }
}
