package org.cmglab.proto.config;

import java.time.Duration;
import org.cmglab.proto.channel.ChannelSettings;

/**
 * Channel keep-alive settings as they appear in config files (milliseconds).
 *
 * @param pingIntervalMillis reader silence before a PING
 * @param pingTimeoutMillis  how long a PING may stay unanswered
 * @param tcpTlsRetryMillis  while a classic CMG channel runs on its HTTPS fallback, how often the connection point
 *                           retries TCP-TLS (null = {@link #DEFAULT_TCP_TLS_RETRY_MILLIS})
 */
public record ChannelTimings(long pingIntervalMillis, long pingTimeoutMillis, Long tcpTlsRetryMillis) {
    public static final long DEFAULT_TCP_TLS_RETRY_MILLIS = 60_000;

    public ChannelTimings {
        if (tcpTlsRetryMillis == null) {
            tcpTlsRetryMillis = DEFAULT_TCP_TLS_RETRY_MILLIS;
        }
        if (tcpTlsRetryMillis <= 0) {
            throw new IllegalArgumentException("tcpTlsRetryMillis: " + tcpTlsRetryMillis + " (expected: > 0)");
        }
    }

    public ChannelTimings(long pingIntervalMillis, long pingTimeoutMillis) {
        this(pingIntervalMillis, pingTimeoutMillis, null);
    }

    public static ChannelTimings defaults() {
        ChannelSettings d = ChannelSettings.defaults();
        return new ChannelTimings(d.pingInterval().toMillis(), d.pingTimeout().toMillis());
    }

    public ChannelSettings toSettings() {
        return ChannelSettings.defaults().withPing(Duration.ofMillis(pingIntervalMillis), Duration.ofMillis(pingTimeoutMillis));
    }

    public Duration tcpTlsRetry() {
        return Duration.ofMillis(tcpTlsRetryMillis);
    }
}
