package org.cmglab.client.load;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * A validated load run: how many simulated clients, how they authenticate, what they ask, and the bounds.
 *
 * @param count          simulated clients, each with its own identity and its own keep-alive connection (1..20,000)
 * @param auth           {@code pki} (a client certificate per client from the lab CA)
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

    /** With {@link #MAX_CONNECTING} handshakes in flight. */
    public LoadOptions(int count, String auth, RequestMix mix, Duration duration, long requests, int rate,
                       int active, int connectRate, Duration timeout, Path jsonFile, Path poolDir, Path waitFile,
                       Path holdFile, boolean progress) {
        this(count, auth, mix, duration, requests, rate, active, connectRate, timeout, jsonFile, poolDir, waitFile,
                holdFile, progress, MAX_CONNECTING);
    }

    public LoadOptions {
        if (maxConnecting < 1 || maxConnecting > MAX_CONNECTING) {
            throw new IllegalArgumentException("--max-connecting: " + maxConnecting + " (expected: 1.."
                    + MAX_CONNECTING + ")");
        }
        if (count < 1 || count > MAX_COUNT) {
            throw new IllegalArgumentException("--count: " + count + " (expected: 1.." + MAX_COUNT + ")");
        }
        Objects.requireNonNull(auth, "auth");
        if (!auth.equals("pki")) {
            throw new IllegalArgumentException("--auth: " + auth + " (expected: pki; token auth in load mode is not"
                    + " implemented yet, see docs/load-mode.md)");
        }
        Objects.requireNonNull(mix, "mix");
        Objects.requireNonNull(duration, "duration");
        if (duration.isNegative() || duration.isZero() || duration.compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException("--duration: " + format(duration) + " (expected: > 0 and <= "
                    + format(MAX_DURATION) + ")");
        }
        if (requests < 0 || requests > MAX_REQUESTS) {
            throw new IllegalArgumentException("--requests: " + requests + " (expected: 0.." + MAX_REQUESTS + ")");
        }
        if (rate < 0 || rate > MAX_RATE) {
            throw new IllegalArgumentException("--rate: " + rate + " (expected: 0.." + MAX_RATE + ", 0 = unlimited)");
        }
        if (active < 0 || active > count) {
            throw new IllegalArgumentException("--active: " + active + " (expected: 0.." + count + ", 0 = all)");
        }
        if (connectRate < 0 || connectRate > MAX_RATE) {
            throw new IllegalArgumentException("--connect-rate: " + connectRate + " (expected: 0.." + MAX_RATE + ")");
        }
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.toMillis() < 100 || timeout.compareTo(Duration.ofMinutes(5)) > 0) {
            throw new IllegalArgumentException("--timeout: " + format(timeout) + " (expected: 100ms..5m)");
        }
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
