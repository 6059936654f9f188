package org.cmglab.azure.dns;

import org.slf4j.Logger;

/**
 * WARN lines for bad input, at most {@code perMinute} a minute (then one line saying how many were suppressed), so
 * a flood of garbage packets cannot flood the log. Never a stack trace: the reason is in the message.
 */
final class RateLimitedWarn {
    private final Logger log;
    private final int perMinute;
    private long windowStart;
    private int inWindow;
    private long suppressed;

    RateLimitedWarn(Logger log, int perMinute) {
        this.log = log;
        this.perMinute = perMinute;
    }

    void warn(String message) {
        long dropped;
        synchronized (this) {
            long now = System.nanoTime();
            if (now - windowStart > 60_000_000_000L) {
                windowStart = now;
                inWindow = 0;
            }
            if (inWindow >= perMinute) {
                suppressed++;
                return;
            }
            inWindow++;
            dropped = suppressed;
            suppressed = 0;
        }
        if (dropped > 0) {
            log.warn("{} (and {} more bad-input warnings suppressed in the last minute)", message, dropped);
        } else {
            log.warn(message);
        }
    }
}
