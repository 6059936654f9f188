package org.cmglab.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Turns the samples of one run of the harness into the results JSON (a plain map for Jackson) and the markdown table
 * of docs/performance.md: medians per workload × path, and each goal of issue 8 as a ratio computed from the same run.
 */
final class BenchReport {
    static final List<String> PATHS = List.of("direct", "cmg", "nginx", "ssh");
    static final Map<String, String> PATH_TITLES = Map.of("direct", "direct (client → MP)",
            "cmg", "CMG path (VIP → CMG → channel → CP → MP)", "nginx", "nginx TLS front door → MP",
            "ssh", "ssh -R tunnel → MP");

    /** One goal: {@code value} (a ratio or a figure) against {@code target}; pass = value within the goal. */
    record Goal(String workload, String name, OptionalDouble value, String op, double target, String unit) {
        boolean measured() {
            return value.isPresent();
        }

        boolean pass() {
            if (value.isEmpty()) {
                return false;
            }
            double v = value.getAsDouble();
            return switch (op) {
                case ">=" -> v >= target;
                case "<=" -> v <= target;
                default -> throw new IllegalStateException("op " + op);
            };
        }

        String verdict() {
            return !measured() ? "not measured" : pass() ? "met" : "missed";
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("workload", workload);
            m.put("goal", name);
            m.put("value", value.isPresent() ? round(value.getAsDouble()) : null);
            m.put("target", op + " " + fmt(target) + unit);
            m.put("verdict", verdict());
            return m;
        }
    }

    final Map<String, Samples> workloads = new LinkedHashMap<>();
    final Map<String, Object> meta = new LinkedHashMap<>();

    Samples samples(String workload) {
        return workloads.computeIfAbsent(workload, k -> new Samples());
    }

    private OptionalDouble med(String w, String path, String metric) {
        Samples s = workloads.get(w);
        return s == null ? OptionalDouble.empty() : s.median(path, metric);
    }

    /** The goals of issue 8, each from medians of this run. */
    List<Goal> goals() {
        List<Goal> g = new ArrayList<>();
        g.add(new Goal("W1", "CMG rps / nginx rps", Samples.ratio(med("W1", "cmg", "rps"), med("W1", "nginx", "rps")),
                ">=", 1.0, "×"));
        g.add(new Goal("W1", "CMG rps / ssh -R rps", Samples.ratio(med("W1", "cmg", "rps"), med("W1", "ssh", "rps")),
                ">=", 1.3, "×"));
        g.add(new Goal("W1", "CMG p99 / nginx p99", Samples.ratio(med("W1", "cmg", "p99Ms"), med("W1", "nginx", "p99Ms")),
                "<=", 1.0, "×"));
        g.add(new Goal("W2", "CMG MB/s / direct MB/s", Samples.ratio(med("W2", "cmg", "MBps"), med("W2", "direct", "MBps")),
                ">=", 0.65, "×"));
        g.add(new Goal("W4", "CMG W1 p99 with a slow 64 MiB download / without",
                Samples.ratio(med("W4", "cmg", "p99Ms"), med("W1", "cmg", "p99Ms")), "<=", 1.5, "×"));
        g.add(new Goal("W5", "content (C4–C5) rps per instance / CMG W1 rps",
                Samples.ratio(med("W5", "cmg", "rps"), med("W1", "cmg", "rps")), ">=", 1.0, "×"));
        g.add(new Goal("W6", "lab start-up to Ready (s)", med("W6", "lab", "seconds"), "<=", 10.0, " s"));
        return g;
    }

    /** Baseline ratios for context (the reference figures are ratios to direct). */
    Map<String, Object> contextRatios() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String p : List.of("cmg", "nginx", "ssh")) {
            put(m, "W1 " + p + "/direct rps", Samples.ratio(med("W1", p, "rps"), med("W1", "direct", "rps")));
            put(m, "W2 " + p + "/direct MB/s", Samples.ratio(med("W2", p, "MBps"), med("W2", "direct", "MBps")));
            put(m, "W4 " + p + " p99 with/without slow download",
                    Samples.ratio(med("W4", p, "p99Ms"), med("W1", p, "p99Ms")));
        }
        return m;
    }

    private static void put(Map<String, Object> m, String k, OptionalDouble v) {
        m.put(k, v.isPresent() ? round(v.getAsDouble()) : null);
    }

    Map<String, Object> toJson() {
        Map<String, Object> root = new LinkedHashMap<>(meta);
        Map<String, Object> w = new LinkedHashMap<>();
        workloads.forEach((name, s) -> {
            Map<String, Object> paths = new LinkedHashMap<>();
            s.runs().forEach((path, runs) -> {
                Map<String, Object> p = new LinkedHashMap<>();
                Map<String, Object> medians = new LinkedHashMap<>();
                runs.get(0).keySet().forEach(metric -> put(medians, metric, s.median(path, metric)));
                p.put("median", medians);
                p.put("runs", runs);
                paths.put(path, p);
            });
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("paths", paths);
            if (!s.failures().isEmpty()) {
                x.put("failures", s.failures());
            }
            w.put(name, x);
        });
        root.put("workloads", w);
        root.put("goals", goals().stream().map(Goal::toMap).toList());
        root.put("ratios", contextRatios());
        return root;
    }

    /** The markdown tables: one row per workload × path, then the goals. */
    String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("| workload | path | runs | median | p50 ms | p99 ms | errors |\n|---|---|---|---|---|---|---|\n");
        workloads.forEach((name, s) -> {
            for (String path : ordered(s)) {
                var runs = s.runs().get(path);
                String fig;
                String p50 = "";
                String p99 = "";
                String errors = "";
                if (runs == null) {
                    fig = "not measured: " + s.failures().getOrDefault(path, "?");
                } else if (name.equals("W2")) {
                    fig = fmt(s.median(path, "MBps").orElse(Double.NaN)) + " MB/s";
                } else if (name.equals("W6")) {
                    fig = fmt(s.median(path, "seconds").orElse(Double.NaN)) + " s";
                } else {
                    fig = fmt(s.median(path, "rps").orElse(Double.NaN)) + " rps";
                    p50 = fmt(s.median(path, "p50Ms").orElse(Double.NaN));
                    p99 = fmt(s.median(path, "p99Ms").orElse(Double.NaN));
                }
                if (runs != null) {
                    errors = String.format(Locale.ROOT, "%.0f",
                            runs.stream().mapToDouble(m -> m.getOrDefault("errors", 0.0)).sum());
                }
                b.append("| ").append(name).append(" | ").append(PATH_TITLES.getOrDefault(path, path)).append(" | ")
                        .append(runs == null ? 0 : runs.size()).append(" | ").append(fig).append(" | ").append(p50)
                        .append(" | ").append(p99).append(" | ").append(errors).append(" |\n");
            }
        });
        b.append("\n| goal | value | target | verdict |\n|---|---|---|---|\n");
        for (Goal g : goals()) {
            b.append("| ").append(g.workload()).append(": ").append(g.name()).append(" | ")
                    .append(g.value().isPresent() ? fmt(g.value().getAsDouble()) : "—").append(" | ").append(g.op())
                    .append(' ').append(fmt(g.target())).append(g.unit()).append(" | ").append(g.verdict()).append(" |\n");
        }
        b.append(cpuTable());
        b.append("\n| context ratio (same run) | value |\n|---|---|\n");
        contextRatios().forEach((k, v) -> b.append("| ").append(k).append(" | ")
                .append(v == null ? "—" : fmt((Double) v)).append(" |\n"));
        return b.toString();
    }

    /** CPU µs per request of each process on the way (medians), for the request workloads. */
    String cpuTable() {
        StringBuilder b = new StringBuilder();
        for (String w : List.of("W1", "W5")) {
            Samples s = workloads.get(w);
            if (s == null) {
                continue;
            }
            java.util.Set<String> procs = new java.util.TreeSet<>();
            s.runs().values().forEach(runs -> runs.forEach(m -> m.keySet().stream()
                    .filter(k -> k.startsWith("cpuUs.")).forEach(procs::add)));
            if (procs.isEmpty()) {
                continue;
            }
            b.append("\n| ").append(w).append(" CPU µs per request |");
            procs.forEach(p -> b.append(' ').append(p.substring("cpuUs.".length())).append(" |"));
            b.append(" total |\n|---|").append("---|".repeat(procs.size() + 1)).append('\n');
            for (String path : ordered(s)) {
                if (!s.runs().containsKey(path)) {
                    continue;
                }
                b.append("| ").append(path).append(" |");
                double total = 0;
                for (String p : procs) {
                    double v = s.median(path, p).orElse(0);
                    total += v;
                    b.append(' ').append(v < 0.5 ? "" : fmt(v)).append(" |");
                }
                b.append(' ').append(fmt(total)).append(" |\n");
            }
        }
        return b.toString();
    }

    private static List<String> ordered(Samples s) {
        List<String> out = new ArrayList<>();
        for (String p : PATHS) {
            if (s.runs().containsKey(p) || s.failures().containsKey(p)) {
                out.add(p);
            }
        }
        s.runs().keySet().stream().filter(p -> !out.contains(p)).forEach(out::add);
        s.failures().keySet().stream().filter(p -> !out.contains(p)).forEach(out::add);
        return out;
    }

    static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "—";
        }
        if (Math.abs(v) >= 100) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (Math.abs(v) >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
