package org.cmglab.lab;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.cmglab.proto.flow.FlowEvent;

/**
 * The numbered hop trace of one client request (pure functions over the flow events the components recorded):
 * ordering in flow order, formatting, and naming the first failing or missing hop.
 */
public final class HopTrace {

    /**
     * A hop the basic flow must show, as recorded by the receiving side.
     *
     * @param step      F3, F4, F5
     * @param phase     request or response
     * @param component the component that records it (a prefix: {@code cmg-service} matches {@code cmg-service-0})
     * @param from      sending side
     * @param to        receiving side
     */
    public record Hop(String step, String phase, String component, String from, String to) {
        public String label() {
            return step + " " + phase;
        }

        boolean matches(FlowEvent e) {
            return step.equals(e.step()) && phase.equals(e.phase());
        }
    }

    /** F3 → F4 → F5 and back, in flow order. */
    public static final List<Hop> BASIC_FLOW = List.of(
            new Hop("F3", "request", "cmg-service", "client-sim", "cmg-service/0"),
            new Hop("F4", "request", "cmg-connection-point", "cmg-service/0", "cmg-connection-point"),
            new Hop("F5", "request", "site-sim", "cmg-connection-point", "site-sim/MP01"),
            new Hop("F5", "response", "cmg-connection-point", "site-sim/MP01", "cmg-connection-point"),
            new Hop("F4", "response", "cmg-service", "cmg-connection-point", "cmg-service/0"),
            new Hop("F3", "response", "client-sim", "cmg-service", "client-sim"));

    /**
     * What the trace says about the request.
     *
     * @param ok      every hop present and ok, and the client exited 0
     * @param hop     the failing or missing hop (null when ok or when only the client failed)
     * @param message {@code FAILED at <step> (<from> → <to>): <detail>} or {@code OK}
     */
    public record Verdict(boolean ok, Hop hop, String message) {}

    private HopTrace() {}

    /** Rank of an event in flow order; events outside the basic flow come last. */
    static int rank(FlowEvent e) {
        for (int i = 0; i < BASIC_FLOW.size(); i++) {
            if (BASIC_FLOW.get(i).matches(e)) {
                return i;
            }
        }
        return BASIC_FLOW.size();
    }

    /** F3 req, F4 req, F5 req, F5 resp, F4 resp, F3 resp, then anything else; ties by time. */
    public static List<FlowEvent> order(List<FlowEvent> events) {
        List<FlowEvent> out = new ArrayList<>(events);
        out.sort(Comparator.comparingInt(HopTrace::rank)
                .thenComparing(e -> e.time() == null ? "" : e.time()));
        return out;
    }

    /**
     * Names the first failing hop (a component recorded an outcome other than ok), else the first missing hop,
     * else a client failure (non-zero exit), else OK.
     *
     * @param events     the events of one trace (any order)
     * @param clientExit client-sim exit code (0 = HTTP 200)
     * @param clientInfo what the client said (status, reason, error), used when only the client failed
     */
    public static Verdict analyze(List<FlowEvent> events, int clientExit, String clientInfo) {
        List<FlowEvent> ordered = order(events);
        for (FlowEvent e : ordered) {
            if (!e.ok()) {
                int r = rank(e);
                Hop hop = r < BASIC_FLOW.size() ? BASIC_FLOW.get(r)
                        : new Hop(e.step(), String.valueOf(e.phase()), e.component(), e.from(), e.to());
                String from = e.from() != null ? e.from() : hop.from();
                String to = e.to() != null ? e.to() : hop.to();
                return new Verdict(false, hop, "FAILED at " + hop.label() + " (" + from + " → " + to + "): "
                        + describeFailure(e));
            }
        }
        for (Hop hop : BASIC_FLOW) {
            if (ordered.stream().noneMatch(hop::matches)) {
                String why = "no " + hop.label() + " event recorded by " + hop.component();
                if (clientExit != 0 && clientInfo != null && !clientInfo.isBlank()) {
                    why += "; client: " + clientInfo;
                }
                return new Verdict(false, hop, "FAILED at " + hop.label() + " (" + hop.from() + " → " + hop.to()
                        + "): " + why);
            }
        }
        if (clientExit != 0) {
            Hop last = BASIC_FLOW.get(BASIC_FLOW.size() - 1);
            return new Verdict(false, last, "FAILED at " + last.label() + " (" + last.from() + " → " + last.to()
                    + "): client-sim exited " + clientExit + " (" + exitMeaning(clientExit) + ")"
                    + (clientInfo == null || clientInfo.isBlank() ? "" : ": " + clientInfo));
        }
        return new Verdict(true, null, "OK");
    }

    static String describeFailure(FlowEvent e) {
        StringBuilder sb = new StringBuilder(e.outcome());
        if (e.status() != 0) {
            sb.append(", status ").append(e.status());
        }
        if (e.detail() != null && !e.detail().isBlank()) {
            sb.append(", ").append(e.detail());
        }
        sb.append(" (recorded by ").append(e.component()).append(')');
        return sb.toString();
    }

    /** client-sim's documented exit codes. */
    public static String exitMeaning(int code) {
        return switch (code) {
            case 0 -> "HTTP 200";
            case 1 -> "HTTP error status";
            case 3 -> "TLS failure";
            case 4 -> "connect failure";
            default -> "unexpected exit";
        };
    }

    /** One numbered line per event, in the given order. */
    public static List<String> format(List<FlowEvent> ordered) {
        List<String> lines = new ArrayList<>();
        int n = 1;
        for (FlowEvent e : ordered) {
            lines.add(formatLine(n++, e));
        }
        return lines;
    }

    static String formatLine(int n, FlowEvent e) {
        String arrow = "response".equals(e.phase()) ? "←" : "request".equals(e.phase()) ? "→" : "·";
        String hop = e.from() + " → " + e.to();
        String proto = (e.protocol() == null ? "?" : e.protocol()) + " :" + e.port();
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%2d. %s %s  %-40s %-22s %-24s", n, e.step(),
                arrow, hop, proto, e.auth() == null ? "-" : e.auth()));
        if (e.detail() != null && !e.detail().isBlank()) {
            sb.append(' ').append(e.detail());
        }
        if (e.status() != 0) {
            sb.append("  [").append(e.status()).append(']');
        }
        sb.append(String.format(Locale.ROOT, "  %.1f ms", e.latencyMs()));
        if (!e.ok()) {
            sb.append("  ✗ ").append(e.outcome());
        }
        return sb.toString();
    }

    /** The first event of {@code hop}, if recorded. */
    public static Optional<FlowEvent> find(List<FlowEvent> events, Hop hop) {
        return events.stream().filter(hop::matches).findFirst();
    }
}
