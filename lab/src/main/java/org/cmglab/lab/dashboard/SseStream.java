package org.cmglab.lab.dashboard;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultHttpContent;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.runtime.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One browser's {@code text/event-stream} on its HTTP/1.1 connection: each flow event becomes one SSE message
 * ({@code id: <n>}, {@code data: <FlowEvent JSON>}) written as an HTTP chunk. A client that does not read (the
 * connection stays unwritable past its write-buffer high-water mark when the next events come) is dropped, so a slow
 * browser never makes the dashboard buffer without bound. A comment line every {@code heartbeat} seconds finds dead
 * connections and keeps proxies from closing an idle stream.
 */
final class SseStream implements FlowEventHub.Subscriber {
    private static final Logger log = LoggerFactory.getLogger(SseStream.class);

    private final Channel channel;
    private volatile boolean dropped;
    private ScheduledFuture<?> heartbeat;

    SseStream(Channel channel) {
        this.channel = channel;
    }

    /** Starts the heartbeat on the channel's event loop; it stops when the channel closes. */
    void startHeartbeat(long seconds) {
        heartbeat = channel.eventLoop().scheduleAtFixedRate(() -> write(": keepalive\n\n"), seconds, seconds,
                TimeUnit.SECONDS);
        channel.closeFuture().addListener(f -> heartbeat.cancel(false));
    }

    @Override
    public boolean deliver(List<FlowEventHub.Entry> entries) {
        if (dropped || !channel.isActive()) {
            return false;
        }
        StringBuilder sb = new StringBuilder(entries.size() * 400);
        for (FlowEventHub.Entry e : entries) {
            frame(sb, e);
        }
        return write(sb);
    }

    /** Appends one SSE message for {@code e}: the JSON has no newline, so one {@code data:} line carries it. */
    static void frame(StringBuilder sb, FlowEventHub.Entry e) {
        sb.append("id: ").append(e.id()).append('\n')
                .append("data: ").append(Json.writeCompact(e.event())).append("\n\n");
    }

    private boolean write(CharSequence text) {
        if (dropped || !channel.isActive()) {
            return false;
        }
        if (!channel.isWritable()) {
            dropped = true;
            log.warn("event stream to {} dropped: the browser is not reading (more than {} bytes waiting)",
                    channel.remoteAddress(), channel.config().getWriteBufferHighWaterMark());
            channel.close();
            return false;
        }
        ByteBuf buf = ByteBufUtil.writeUtf8(channel.alloc(), text);
        channel.writeAndFlush(new DefaultHttpContent(buf));
        return true;
    }

}
