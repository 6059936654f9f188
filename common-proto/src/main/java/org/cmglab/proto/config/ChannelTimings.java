package org.cmglab.proto.config;

import java.time.Duration;
import org.cmglab.proto.channel.ChannelSettings;

/** Channel keep-alive settings as they appear in config files (milliseconds). */
public record ChannelTimings(long pingIntervalMillis, long pingTimeoutMillis) {
    public static ChannelTimings defaults() {
        ChannelSettings d = ChannelSettings.defaults();
        return new ChannelTimings(d.pingInterval().toMillis(), d.pingTimeout().toMillis());
    }

    public ChannelSettings toSettings() {
        return ChannelSettings.defaults().withPing(Duration.ofMillis(pingIntervalMillis), Duration.ofMillis(pingTimeoutMillis));
    }
}
