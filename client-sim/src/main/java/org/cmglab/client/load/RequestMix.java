package org.cmglab.client.load;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The share of each {@link LoadKind} in a load run, e.g. {@code location=60,policy=30,content=10}. Weights are
 * non-negative integers (at least one positive, at most 1,000 each); {@link #pick(long)} spreads them evenly over a
 * cycle of {@code sum(weights)} slots (smooth weighted round-robin), so any window of one cycle has the exact shares
 * and the kinds interleave instead of coming in blocks.
 */
public final class RequestMix {
    public static final String DEFAULT = "location=50,mplist=10,policy=30,content=10";

    private final Map<LoadKind, Integer> weights;
    private final LoadKind[] cycle;

    private RequestMix(Map<LoadKind, Integer> weights) {
        this.weights = Collections.unmodifiableMap(new EnumMap<>(weights));
        this.cycle = smoothCycle(weights);
    }

    /** Parses {@code kind=weight[,kind=weight...]}. */
    public static RequestMix parse(String spec) {
        Objects.requireNonNull(spec, "spec");
        Map<LoadKind, Integer> w = new EnumMap<>(LoadKind.class);
        for (String part : spec.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            int eq = part.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("--mix: '" + part + "' (expected: kind=weight, e.g. "
                        + DEFAULT + ")");
            }
            LoadKind k = LoadKind.parse(part.substring(0, eq));
            int weight;
            try {
                weight = Integer.parseInt(part.substring(eq + 1).strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--mix: '" + part + "' (expected: an integer weight)");
            }
            if (weight < 0 || weight > 1000) {
                throw new IllegalArgumentException("--mix: " + k.label() + "=" + weight + " (expected: 0..1000)");
            }
            if (w.put(k, weight) != null) {
                throw new IllegalArgumentException("--mix: " + k.label() + " given twice");
            }
        }
        if (w.values().stream().mapToInt(Integer::intValue).sum() == 0) {
            throw new IllegalArgumentException("--mix: '" + spec + "' (expected: at least one positive weight)");
        }
        w.values().removeIf(v -> v == 0);
        return new RequestMix(w);
    }

    /** The kind of the {@code n}-th request (n ≥ 0). */
    public LoadKind pick(long n) {
        return cycle[(int) Math.floorMod(n, (long) cycle.length)];
    }

    /** Kinds with a positive weight and their weights. */
    public Map<LoadKind, Integer> weights() {
        return weights;
    }

    /** The normalised spec, e.g. {@code location=60,policy=30,content=10}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        weights.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ",").append(k.label()).append('=').append(v));
        return sb.toString();
    }

    private static LoadKind[] smoothCycle(Map<LoadKind, Integer> weights) {
        int total = weights.values().stream().mapToInt(Integer::intValue).sum();
        List<LoadKind> kinds = new ArrayList<>(weights.keySet());
        int[] current = new int[kinds.size()];
        LoadKind[] out = new LoadKind[total];
        for (int slot = 0; slot < total; slot++) {
            int best = 0;
            for (int i = 0; i < kinds.size(); i++) {
                current[i] += weights.get(kinds.get(i));
                if (current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            out[slot] = kinds.get(best);
        }
        return out;
    }
}
