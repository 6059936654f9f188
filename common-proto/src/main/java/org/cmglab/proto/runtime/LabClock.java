package org.cmglab.proto.runtime;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The clock a component's time checks read (token lifetimes, {@code nbf}/{@code exp}): the system clock plus a skew
 * set at runtime through the admin endpoint ({@code POST /clock?skew=<seconds>}, added to every component by
 * {@link ComponentRuntime#startAdmin}). {@code cmglab fault skew-clock} and {@code expire-tokens} use it to make a
 * process's clock run ahead or behind without touching the machine's clock.
 */
public final class LabClock extends Clock {
    /** The largest skew accepted (about ten years either way). */
    public static final long MAX_SKEW_SECONDS = 10L * 366 * 24 * 3600;
    private static final Logger log = LoggerFactory.getLogger(LabClock.class);
    private static final AtomicLong SKEW_MILLIS = new AtomicLong();
    private static final LabClock INSTANCE = new LabClock();

    private LabClock() {}

    /** The process's lab clock (UTC). */
    public static Clock clock() {
        return INSTANCE;
    }

    /** The current skew (0 normally). */
    public static Duration skew() {
        return Duration.ofMillis(SKEW_MILLIS.get());
    }

    /** Sets the skew; {@code Duration.ZERO} restores the system clock. */
    public static void skew(Duration skew) {
        if (Math.abs(skew.getSeconds()) > MAX_SKEW_SECONDS) {
            throw new IllegalArgumentException("skew: " + skew.getSeconds() + " s (expected: -" + MAX_SKEW_SECONDS
                    + ".." + MAX_SKEW_SECONDS + ")");
        }
        SKEW_MILLIS.set(skew.toMillis());
    }

    /**
     * {@code POST /clock?skew=<seconds>}: sets the skew and answers {@code {"skewSeconds":…, "now":…}};
     * {@code POST /clock} without {@code skew} only reports it.
     */
    public static AdminAction adminAction(String component) {
        return (q, body) -> {
            List<String> v = q.get("skew");
            if (v != null && !v.isEmpty()) {
                long s;
                try {
                    s = Long.parseLong(v.get(0).strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("clock: skew=" + v.get(0) + " (expected: whole seconds, e.g. "
                            + "skew=3600 or skew=-600)");
                }
                skew(Duration.ofSeconds(s));
                log.warn("{}: clock skew set to {} s (time checks now read {})", component, s, INSTANCE.instant());
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("component", component);
            m.put("skewSeconds", skew().toSeconds());
            m.put("now", INSTANCE.instant().toString());
            return m;
        };
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return ZoneOffset.UTC.equals(zone) ? this : Clock.offset(Clock.system(zone), skew());
    }

    @Override
    public Instant instant() {
        return Instant.now().plusMillis(SKEW_MILLIS.get());
    }

    @Override
    public long millis() {
        return System.currentTimeMillis() + SKEW_MILLIS.get();
    }
}
