package org.cmglab.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * The samples of one workload: per path, one map of metric → value per run; medians per metric. Also remembers why
 * a path could not be measured.
 */
final class Samples {
    private final Map<String, List<Map<String, Double>>> runs = new LinkedHashMap<>();
    private final Map<String, String> failures = new LinkedHashMap<>();

    void add(String path, Map<String, Double> sample) {
        runs.computeIfAbsent(path, k -> new ArrayList<>()).add(Map.copyOf(sample));
    }

    void fail(String path, String why) {
        failures.putIfAbsent(path, why);
    }

    Map<String, String> failures() {
        return failures;
    }

    Map<String, List<Map<String, Double>>> runs() {
        return runs;
    }

    /** The median of {@code metric} over the runs of {@code path}; empty if there were none. */
    OptionalDouble median(String path, String metric) {
        List<Map<String, Double>> list = runs.get(path);
        if (list == null) {
            return OptionalDouble.empty();
        }
        double[] v = list.stream().map(m -> m.get(metric)).filter(x -> x != null && !x.isNaN())
                .mapToDouble(Double::doubleValue).toArray();
        return v.length == 0 ? OptionalDouble.empty() : OptionalDouble.of(median(v));
    }

    /** Median (mean of the two middle values for an even count). */
    static double median(double... values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("median of nothing");
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** {@code a / b} of two medians, empty when either is missing or b is 0. */
    static OptionalDouble ratio(OptionalDouble a, OptionalDouble b) {
        if (a.isEmpty() || b.isEmpty() || b.getAsDouble() == 0) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(a.getAsDouble() / b.getAsDouble());
    }
}
