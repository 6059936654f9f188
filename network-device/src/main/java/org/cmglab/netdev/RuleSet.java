package org.cmglab.netdev;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.cmglab.proto.config.NetworkDeviceConfig.Rules;
import org.cmglab.proto.config.NetworkDeviceConfig.VerbBlock;

/**
 * The rules of one hop and their counters. Rules are an immutable {@link Rules} snapshot swapped as a whole (read
 * lock-free on the event loops, changed by admin actions); every change pushes the previous snapshot so
 * {@link #undo()} restores it (at most {@value #HISTORY} levels).
 */
final class RuleSet {
    static final int HISTORY = 32;

    private volatile Rules rules;
    private final Deque<Rules> history = new ArrayDeque<>();
    private final LongAdder forwarded = new LongAdder();
    private final Map<String, LongAdder> stripped = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> blocked = new ConcurrentHashMap<>();

    RuleSet(Rules initial) {
        this.rules = initial == null ? Rules.ALLOW_ALL : initial;
    }

    Rules rules() {
        return rules;
    }

    /** The block of {@code method}, if any (methods are case-sensitive, RFC 9110 §9.1). */
    Optional<VerbBlock> blockOf(String method) {
        for (VerbBlock b : rules.blockVerbs()) {
            if (b.verb().equals(method)) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }

    List<String> stripHeaders() {
        return rules.stripHeaders();
    }

    // ------------------------------------------------------------------ changes (admin actions)

    synchronized Rules strip(String header) {
        Rules r = rules;
        if (r.stripHeaders().stream().anyMatch(h -> h.equalsIgnoreCase(header))) {
            return r;
        }
        List<String> s = new ArrayList<>(r.stripHeaders());
        s.add(header);
        return replace(new Rules(s, r.blockVerbs()));
    }

    synchronized Rules allowHeader(String header) {
        Rules r = rules;
        List<String> s = new ArrayList<>(r.stripHeaders());
        if (!s.removeIf(h -> h.equalsIgnoreCase(header))) {
            throw new IllegalArgumentException("header: " + header + " (expected: one of the stripped headers "
                    + r.stripHeaders() + ")");
        }
        return replace(new Rules(s, r.blockVerbs()));
    }

    synchronized Rules block(String verb, String action) {
        Rules r = rules;
        VerbBlock nb = new VerbBlock(verb, action);
        List<VerbBlock> b = new ArrayList<>(r.blockVerbs());
        b.removeIf(x -> x.verb().equals(verb));
        b.add(nb);
        return replace(new Rules(r.stripHeaders(), b));
    }

    synchronized Rules allowVerb(String verb) {
        Rules r = rules;
        List<VerbBlock> b = new ArrayList<>(r.blockVerbs());
        if (!b.removeIf(x -> x.verb().equals(verb))) {
            throw new IllegalArgumentException("verb: " + verb + " (expected: one of the blocked verbs "
                    + r.blockVerbs().stream().map(VerbBlock::verb).toList() + ")");
        }
        return replace(new Rules(r.stripHeaders(), b));
    }

    synchronized Rules allowAll() {
        return replace(Rules.ALLOW_ALL);
    }

    synchronized Rules set(Rules next) {
        return replace(next);
    }

    /** Restores the rules before the last change. */
    synchronized Rules undo() {
        Rules prev = history.pollFirst();
        if (prev == null) {
            throw new IllegalStateException("nothing to undo: the rules are as configured at start");
        }
        rules = prev;
        return prev;
    }

    private Rules replace(Rules next) {
        history.addFirst(rules);
        while (history.size() > HISTORY) {
            history.removeLast();
        }
        rules = next;
        return next;
    }

    // ------------------------------------------------------------------ counters

    void countForwarded() {
        forwarded.increment();
    }

    void countStripped(String header) {
        stripped.computeIfAbsent(header.toLowerCase(Locale.ROOT), k -> new LongAdder()).increment();
    }

    void countBlocked(String verb) {
        blocked.computeIfAbsent(verb, k -> new LongAdder()).increment();
    }

    long forwarded() {
        return forwarded.sum();
    }

    long stripped(String header) {
        LongAdder a = stripped.get(header.toLowerCase(Locale.ROOT));
        return a == null ? 0 : a.sum();
    }

    long blocked(String verb) {
        LongAdder a = blocked.get(verb);
        return a == null ? 0 : a.sum();
    }

    Counters counters() {
        Map<String, Long> s = new LinkedHashMap<>();
        stripped.forEach((k, v) -> s.put(k, v.sum()));
        Map<String, Long> b = new LinkedHashMap<>();
        blocked.forEach((k, v) -> b.put(k, v.sum()));
        return new Counters(forwarded.sum(), s, b);
    }

    /** {@code /status} counters of a hop: requests forwarded, headers stripped (by name), requests blocked (by verb). */
    record Counters(long forwarded, Map<String, Long> stripped, Map<String, Long> blocked) {}
}
