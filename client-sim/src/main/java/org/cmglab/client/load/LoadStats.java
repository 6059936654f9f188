package org.cmglab.client.load;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * What a load run measured: per {@link LoadKind} an HdrHistogram of the latencies of successful requests (1 µs to
 * 5 min, 3 significant digits), the count, and the errors by class ({@code http-403}, {@code timeout},
 * {@code connect}, {@code tls}, {@code closed}, {@code bad-reply}, ...); plus the connection phase (handshake
 * latencies and connect errors) and, with {@code --auth token}, the token phase before it (one latency per new CCM
 * token: Entra device token + CCM_STS). Recording is thread-safe (the client event loops record; the progress line and the
 * summary read).
 */
public final class LoadStats {
    static final long MAX_NANOS = 300_000_000_000L;

    /** One kind's (or the connect phase's) numbers. */
    public static final class KindStats {
        private final Histogram all = new Histogram(1_000L, MAX_NANOS, 3);
        private final Histogram interval = new Histogram(1_000L, MAX_NANOS, 3);
        private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
        private final LongAdder ok = new LongAdder();

        /** An empty one (the token phase keeps its own). */
        public KindStats() {}

        synchronized void record(long nanos) {
            long v = Math.max(1_000L, Math.min(MAX_NANOS, nanos));
            all.recordValue(v);
            interval.recordValue(v);
            ok.increment();
        }

        void error(String kind) {
            errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
        }

        public long ok() {
            return ok.sum();
        }

        public long errorCount() {
            return errors.values().stream().mapToLong(LongAdder::sum).sum();
        }

        /** Errors by class, sorted by name. */
        public Map<String, Long> errors() {
            Map<String, Long> m = new TreeMap<>();
            errors.forEach((k, v) -> m.put(k, v.sum()));
            return m;
        }

        /** A copy of the latency histogram so far. */
        public synchronized Histogram histogram() {
            return all.copy();
        }

        synchronized Histogram takeInterval() {
            Histogram h = interval.copy();
            interval.reset();
            return h;
        }
    }

    private final Map<LoadKind, KindStats> kinds = new EnumMap<>(LoadKind.class);
    private final KindStats connect = new KindStats();
    private volatile LoadTokens.Phase tokenPhase;

    public LoadStats() {
        for (LoadKind k : LoadKind.values()) {
            kinds.put(k, new KindStats());
        }
    }

    public KindStats kind(LoadKind k) {
        return kinds.get(k);
    }

    /** TCP connect + TLS handshake of each client's connection. */
    public KindStats connect() {
        return connect;
    }

    /** The token phase of {@code --auth token} ({@link LoadTokens}), shown as its own row; null = none. */
    public void tokenPhase(LoadTokens.Phase phase) {
        this.tokenPhase = phase;
    }

    public long totalOk() {
        return kinds.values().stream().mapToLong(KindStats::ok).sum();
    }

    public long totalErrors() {
        return kinds.values().stream().mapToLong(KindStats::errorCount).sum();
    }

    /** The latencies of every kind's successful requests since the last call (for the progress line). */
    Histogram takeInterval() {
        Histogram h = new Histogram(1_000L, MAX_NANOS, 3);
        kinds.values().forEach(k -> h.add(k.takeInterval()));
        return h;
    }

    /** Milliseconds with two decimals. */
    static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.2f", nanos / 1e6);
    }

    /**
     * The summary table: per kind with requests, count, errors (by class), rps over {@code seconds}, p50/p90/p99/max
     * in ms; a total row; then the connection phase.
     */
    public String table(double seconds) {
        StringBuilder sb = new StringBuilder();
        String fmt = "%-10s %9s %8s %10s %9s %9s %9s %9s  %s%n";
        sb.append(String.format(Locale.ROOT, fmt, "kind", "ok", "errors", "rps", "p50 ms", "p90 ms", "p99 ms",
                "max ms", "errors by class"));
        Histogram total = new Histogram(1_000L, MAX_NANOS, 3);
        Map<String, Long> totalErrors = new TreeMap<>();
        for (Map.Entry<LoadKind, KindStats> e : kinds.entrySet()) {
            KindStats s = e.getValue();
            if (s.ok() == 0 && s.errorCount() == 0) {
                continue;
            }
            Histogram h = s.histogram();
            total.add(h);
            s.errors().forEach((k, v) -> totalErrors.merge(k, v, Long::sum));
            row(sb, fmt, e.getKey().label(), s.ok(), s.errorCount(), seconds, h, s.errors());
        }
        row(sb, fmt, "total", totalOk(), totalErrors(), seconds, total, totalErrors);
        Histogram c = connect.histogram();
        row(sb, fmt, "connect", connect.ok(), connect.errorCount(), seconds, c, connect.errors());
        LoadTokens.Phase t = tokenPhase;
        if (t != null) {
            KindStats ts = t.stats();
            row(sb, fmt, "token", ts.ok(), ts.errorCount(), t.seconds(), ts.histogram(), ts.errors());
            sb.append(String.format(Locale.ROOT, "token phase (before connect, rps over its own %.1f s): %d new CCM"
                    + " tokens (Entra device token, then CCM_STS through the CMG), %d cached, %d clients without"
                    + " one%n", t.seconds(), ts.ok(), t.cached(), t.failed()));
        }
        return sb.toString();
    }

    private static void row(StringBuilder sb, String fmt, String name, long ok, long errors, double seconds,
                            Histogram h, Map<String, Long> byClass) {
        boolean any = h.getTotalCount() > 0;
        sb.append(String.format(Locale.ROOT, fmt, name, ok, errors,
                String.format(Locale.ROOT, "%.1f", seconds <= 0 ? 0 : (ok + errors) / seconds),
                any ? ms(h.getValueAtPercentile(50)) : "-", any ? ms(h.getValueAtPercentile(90)) : "-",
                any ? ms(h.getValueAtPercentile(99)) : "-", any ? ms(h.getMaxValue()) : "-",
                byClass.isEmpty() ? "" : byClass.toString()));
    }

    /** The JSON results (a tree of maps for Jackson): per kind and the connect phase. */
    public Map<String, Object> toJson(double seconds) {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Object> perKind = new LinkedHashMap<>();
        Histogram total = new Histogram(1_000L, MAX_NANOS, 3);
        for (Map.Entry<LoadKind, KindStats> e : kinds.entrySet()) {
            KindStats s = e.getValue();
            if (s.ok() == 0 && s.errorCount() == 0) {
                continue;
            }
            Histogram h = s.histogram();
            total.add(h);
            perKind.put(e.getKey().label(), json(s.ok(), s.errors(), seconds, h));
        }
        m.put("kinds", perKind);
        Map<String, Long> totalErrors = new TreeMap<>();
        kinds.values().forEach(s -> s.errors().forEach((k, v) -> totalErrors.merge(k, v, Long::sum)));
        m.put("total", json(totalOk(), totalErrors, seconds, total));
        m.put("connect", json(connect.ok(), connect.errors(), seconds, connect.histogram()));
        LoadTokens.Phase t = tokenPhase;
        if (t != null) {
            Map<String, Object> tj = json(t.stats().ok(), t.stats().errors(), t.seconds(), t.stats().histogram());
            tj.put("cached", t.cached());
            tj.put("withoutToken", t.failed());
            tj.put("seconds", Math.round(t.seconds() * 1000) / 1000.0);
            m.put("token", tj);
        }
        return m;
    }

    private static Map<String, Object> json(long ok, Map<String, Long> errors, double seconds, Histogram h) {
        Map<String, Object> m = new LinkedHashMap<>();
        long errs = errors.values().stream().mapToLong(Long::longValue).sum();
        m.put("ok", ok);
        m.put("errors", errs);
        m.put("errorsByClass", errors);
        m.put("rps", seconds <= 0 ? 0.0 : Math.round((ok + errs) / seconds * 10) / 10.0);
        boolean any = h.getTotalCount() > 0;
        m.put("p50Ms", any ? h.getValueAtPercentile(50) / 1e6 : null);
        m.put("p90Ms", any ? h.getValueAtPercentile(90) / 1e6 : null);
        m.put("p99Ms", any ? h.getValueAtPercentile(99) / 1e6 : null);
        m.put("maxMs", any ? h.getMaxValue() / 1e6 : null);
        return m;
    }
}
