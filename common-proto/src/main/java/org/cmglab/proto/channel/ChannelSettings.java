package org.cmglab.proto.channel;

import java.time.Duration;
import java.util.Objects;

/**
 * Tuning of the connection point channel (HTTP/2 over TLS, roles reversed). Defaults follow
 * {@code channel-notes.md}: 1 MiB stream windows with a connection window that never limits (so one stalled
 * stream cannot block the others), buffered opens beyond the peer's stream limit, and a PING every
 * {@code pingInterval} of silence that must be answered within {@code pingTimeout} (15 s + 5 s: a half-open
 * channel is found within 20 s; 1 s + 1 s finds it within 2 s).
 *
 * @param streamWindowBytes     HTTP/2 initial stream window both sides advertise
 * @param maxConcurrentStreams  streams the connection point accepts at once (the CMG queues the rest)
 * @param maxFrameSize          SETTINGS_MAX_FRAME_SIZE both sides advertise
 * @param maxHeaderListSize     largest header block accepted
 * @param pingInterval          reader silence before a PING is sent
 * @param pingTimeout           time a PING may stay unanswered before the channel is closed as dead
 * @param handshakeTimeout      deadline for TLS + upgrade + hello
 */
public record ChannelSettings(int streamWindowBytes, int maxConcurrentStreams, int maxFrameSize,
                              long maxHeaderListSize, Duration pingInterval, Duration pingTimeout,
                              Duration handshakeTimeout) {
    public static final int MIN_FRAME = 16_384;
    public static final int MAX_FRAME = 16_777_215;

    public ChannelSettings {
        if (streamWindowBytes < 65_535) {
            throw new IllegalArgumentException("streamWindowBytes: " + streamWindowBytes + " (expected: >= 65535)");
        }
        if (maxConcurrentStreams < 1) {
            throw new IllegalArgumentException("maxConcurrentStreams: " + maxConcurrentStreams + " (expected: >= 1)");
        }
        if (maxFrameSize < MIN_FRAME || maxFrameSize > MAX_FRAME) {
            throw new IllegalArgumentException("maxFrameSize: " + maxFrameSize + " (expected: 16384..16777215)");
        }
        Objects.requireNonNull(pingInterval, "pingInterval");
        Objects.requireNonNull(pingTimeout, "pingTimeout");
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        if (pingInterval.isNegative() || pingInterval.isZero() || pingTimeout.isNegative() || pingTimeout.isZero()) {
            throw new IllegalArgumentException("ping interval/timeout: " + pingInterval + "/" + pingTimeout
                    + " (expected: > 0)");
        }
    }

    /** System property overriding the default stream window (bytes), e.g. for the bench's W2 window comparison. */
    public static final String STREAM_WINDOW_PROPERTY = "cmglab.channel.streamWindowBytes";

    public static ChannelSettings defaults() {
        return new ChannelSettings(Integer.getInteger(STREAM_WINDOW_PROPERTY, 1 << 20), 256, 65_536, 64 * 1024, Duration.ofSeconds(15), Duration.ofSeconds(5),
                Duration.ofSeconds(10));
    }

    public ChannelSettings withPing(Duration interval, Duration timeout) {
        return new ChannelSettings(streamWindowBytes, maxConcurrentStreams, maxFrameSize, maxHeaderListSize, interval,
                timeout, handshakeTimeout);
    }
}
