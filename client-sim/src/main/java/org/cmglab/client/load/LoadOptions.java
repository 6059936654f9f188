package org.cmglab.client.load;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * A validated load run: how many simulated clients, how they authenticate, what they ask, and the bounds.
 *
 * @param count          simulated clients, each with its own identity and its own keep-alive connection (1..20,000)
 * @param auth           {@code pki} (a client certificate per client from the lab CA) or {@code token} (a CCM token
 *                       per client, from its own Entra device identity, {@link LoadTokens})
 * @param mix            the request mix
 * @param duration       the request phase ends after this (≤ {@link #MAX_DURATION})
 * @param requests       ... or after this many requests, whichever comes first (≤ {@link #MAX_REQUESTS})
 * @param rate           requests per second over all clients, 0 = as fast as the clients go (one request in flight
 *                       per client)
 * @param active         how many of the clients send requests (0 = all); the others only hold their connection
 * @param connectRate    new TLS connections per second while connecting (0 = unlimited); in-flight handshakes are
 *                       capped at {@link #MAX_CONNECTING} either way
 * @param timeout        per connect, handshake and request
 * @param jsonFile       where the JSON results go (null = none)
 * @param poolDir        where the client identities are cached (null = no cache)
 * @param waitFile       after connecting, wait (≤ {@link #MAX_WAIT}) until this file exists before sending (null = no
 *                       wait); the W3 driver uses it to measure the idle connections first
 * @param holdFile       after the request phase, keep the connections until this file exists (≤ {@link #MAX_WAIT})
 * @param progress       print the one-line progress each second
 * @param maxConnecting  TCP connects + TLS handshakes in flight at once in the connect phase (1..{@link #MAX_CONNECTING})
 */
public record LoadOptions(int count, String auth, RequestMix mix, Duration duration, long requests, int rate,
                          int active, int connectRate, Duration timeout, Path jsonFile, Path poolDir, Path waitFile,
                          Path holdFile, boolean progress, int maxConnecting) {
    public static final int MAX_COUNT = 20_000;
    public static final Duration MAX_DURATION = Duration.ofHours(1);
    public static final long MAX_REQUESTS = 10_000_000L;
    public static final Duration MAX_WAIT = Duration.ofMinutes(15);
    public static final int MAX_CONNECTING = 256;
    public static final int MAX_RATE = 1_000_000;
    /** {@code pki} or {@code token}. */
    public static final java.util.List<String> AUTH_MODES = java.util.List.of("pki", "token");

    /** With {@link #MAX_CONNECTING} handshakes in flight. */
    public LoadOptions(int count, String auth, RequestMix mix, Duration duration, long requests, int rate,
                       int active, int connectRate, Duration timeout, Path jsonFile, Path poolDir, Path waitFile,
                       Path holdFile, boolean progress) {
        this(count, auth, mix, duration, requests, rate, active, connectRate, timeout, jsonFile, poolDir, waitFile,
                holdFile, progress, MAX_CONNECTING);
    }

    public LoadOptions {
        requireRange("--max-connecting", maxConnecting, 1, MAX_CONNECTING);
        requireRange("--count", count, 1, MAX_COUNT);
        Objects.requireNonNull(auth, "auth");
        if (!AUTH_MODES.contains(auth)) {
            throw new IllegalArgumentException("--auth: " + auth + " (expected: pki or token; a token client of load"
                    + " mode gets its CCM token from an Entra device token, see docs/load-mode.md)");
        }
        Objects.requireNonNull(mix, "mix");
        Objects.requireNonNull(duration, "duration");
        if (duration.isNegative() || duration.isZero() || duration.compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException("--duration: " + format(duration) + " (expected: > 0 and <= "
                    + format(MAX_DURATION) + ")");
        }
        requireRange("--requests", requests, 0, MAX_REQUESTS);
        requireRange("--rate", rate, 0, MAX_RATE, ", 0 = unlimited");
        requireRange("--active", active, 0, count, ", 0 = all");
        requireRange("--connect-rate", connectRate, 0, MAX_RATE);
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.toMillis() < 100 || timeout.compareTo(Duration.ofMinutes(5)) > 0) {
            throw new IllegalArgumentException("--timeout: " + format(timeout) + " (expected: 100ms..5m)");
        }
    }

    /** Whether the clients authenticate with CCM tokens ({@code --auth token}) instead of certificates. */
    public boolean tokenAuth() {
        return auth.equals("token");
    }

    /**
     * Checks an option's bound: {@code value} in {@code min..max}, else an {@link IllegalArgumentException}
     * {@code <option>: <value> (expected: <min>..<max><note>)}.
     */
    public static void requireRange(String option, long value, long min, long max, String note) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(option + ": " + value + " (expected: " + min + ".." + max + note + ")");
        }
    }

    /** {@link #requireRange(String, long, long, long, String)} without a note. */
    public static void requireRange(String option, long value, long min, long max) {
        requireRange(option, value, min, max, "");
    }

    /** Clients that send requests. */
    public int senders() {
        return active == 0 ? count : active;
    }

    /**
     * Parses {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h} or a plain number of seconds.
     *
     * @throws IllegalArgumentException with the expected form
     */
    public static Duration parseDuration(String option, String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            if (t.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
            }
            if (t.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
            }
            if (t.endsWith("h")) {
                return Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1)));
            }
            return Duration.ofSeconds(Long.parseLong(t));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": " + text + " (expected: e.g. 500ms, 30s, 2m, 1h)");
        }
    }

    static String format(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
