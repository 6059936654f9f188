package org.cmglab.proto.channel;

import io.netty.channel.Channel;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Graceful drain of a channel: send GOAWAY (the peer opens no new streams on it), let the streams in flight finish,
 * then close — or close anyway when {@code grace} runs out.
 */
public final class ChannelDrain {
    private static final long POLL_MS = 20;

    private ChannelDrain() {}

    /** Completes when the channel is closed. Safe to call from any thread. */
    public static Future<Void> drain(Channel parent, Duration grace) {
        Promise<Void> done = parent.eventLoop().newPromise();
        parent.eventLoop().execute(() -> {
            if (!parent.isActive()) {
                done.setSuccess(null);
                return;
            }
            parent.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
            long deadline = now(parent) + grace.toNanos();
            poll(parent, deadline, done);
        });
        return done;
    }

    /** Streams still open on the channel (0 when it has no HTTP/2 codec). */
    public static int activeStreams(Channel parent) {
        Http2FrameCodec codec = ChannelPipelines.codec(parent);
        return codec == null ? 0 : codec.connection().numActiveStreams();
    }

    /** The event loop's clock (a mock ticker in EmbeddedChannel tests). */
    private static long now(Channel ch) {
        return ch.eventLoop() instanceof io.netty.util.concurrent.AbstractScheduledEventExecutor s
                ? s.ticker().nanoTime() : System.nanoTime();
    }

    private static void poll(Channel parent, long deadline, Promise<Void> done) {
        if (!parent.isActive() || activeStreams(parent) == 0 || now(parent) >= deadline) {
            parent.close().addListener(f -> done.trySuccess(null));
            return;
        }
        parent.eventLoop().schedule(() -> poll(parent, deadline, done), POLL_MS, TimeUnit.MILLISECONDS);
    }
}
