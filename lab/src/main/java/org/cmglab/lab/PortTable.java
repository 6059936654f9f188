package org.cmglab.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.cmglab.proto.flow.FlowEvent;
import org.cmglab.proto.runtime.Json;

/**
 * The article's port list (cmg-facts §4.1, docs/ports.md) with each row marked by the flow events that actually
 * arrived: {@code exercised} (at least one ok event of that hop), {@code failed} (only failed events) or
 * {@code not exercised}. Pure functions over events, for the end of {@code cmglab demo}.
 */
public final class PortTable {

    /** How a row was seen. */
    public enum Mark {
        EXERCISED("exercised"), FAILED("attempted, failed"), NOT_EXERCISED("not exercised");

        final String text;

        Mark(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    /**
     * One row of the article's port list.
     *
     * @param from     the side that opens the connection
     * @param to       the side that listens
     * @param protocol HTTPS, TCP-TLS, HTTP(S), DNS
     * @param ports    the product's port numbers
     * @param when     when the product uses it
     * @param steps    the flow steps that show it
     * @param matches  which flow events show this hop (for this lab's ports)
     */
    public record Row(String from, String to, String protocol, String ports, String when, String steps,
                      Predicate<FlowEvent> matches) {}

    /**
     * A row and what the events say about it.
     *
     * @param row       the port list row
     * @param mark      exercised, failed or not exercised
     * @param labPorts  the lab ports the matching events used (with the port offset)
     * @param events    how many events matched
     */
    public record Marked(Row row, Mark mark, List<Integer> labPorts, int events) {}

    private PortTable() {}

    /** The port list for {@code plan} (its port offset decides which lab ports match). */
    public static List<Row> rows(LabPlan plan) {
        int p443 = plan.port(443);
        int p80 = plan.port(80);
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("service connection point", "Azure (Entra ID, Resource Manager)", "HTTPS", "443",
                "deploy, monitor", "F1", e -> is(e, "F1")));
        rows.add(new Row("CMG connection point", "CMG (one VM instance)", "HTTPS", "443", "scale set, 1 VM", "F2",
                e -> is(e, "F2") && proto(e, "HTTPS") && e.port() == p443));
        rows.add(new Row("CMG connection point", "CMG (2+ VM instances)", "HTTPS", "10124-10139",
                "scale set 2+ VMs; classic fallback", "F2",
                e -> is(e, "F2") && proto(e, "HTTPS") && in(e.port(), plan.port(10124), plan.port(10139))));
        rows.add(new Row("CMG connection point", "CMG (classic)", "TCP-TLS", "10140-10155", "classic, preferred", "F2",
                e -> is(e, "F2") && proto(e, "TCP-TLS") && in(e.port(), plan.port(10140), plan.port(10155))));
        rows.add(new Row("client", "CMG", "HTTPS", "443", "every client request", "F3, C1, C4",
                e -> is(e, "F3") || is(e, "C1") || is(e, "C4")));
        rows.add(new Row("client", "blob storage (content)", "HTTPS", "443", "content-enabled CMG", "C6",
                e -> is(e, "C6")));
        rows.add(new Row("CMG connection point", "management point", "HTTPS / HTTP", "443 / 80", "per MP config", "F5",
                e -> is(e, "F5") && !sup(e) && (e.port() == p443 || e.port() == p80 || mp(e))));
        rows.add(new Row("CMG connection point", "software update point", "HTTP(S)", "8530 / 8531 (or 80 / 443)",
                "per SUP config", "F5", e -> is(e, "F5") && (sup(e) || in(e.port(), plan.port(8530),
                        plan.port(8531)))));
        rows.add(new Row("every component (lab only)", "lab DNS", "DNS", "53", "name resolution (CNAME → VIP)", "C3",
                e -> is(e, "C3")));
        return rows;
    }

    /** Each row of {@link #rows(LabPlan)} marked by {@code events}. */
    public static List<Marked> mark(LabPlan plan, List<FlowEvent> events) {
        List<Marked> out = new ArrayList<>();
        for (Row r : rows(plan)) {
            int n = 0;
            boolean ok = false;
            TreeSet<Integer> ports = new TreeSet<>();
            for (FlowEvent e : events) {
                if (r.matches().test(e)) {
                    n++;
                    ok |= e.ok();
                    if (e.port() > 0) {
                        ports.add(e.port());
                    }
                }
            }
            out.add(new Marked(r, n == 0 ? Mark.NOT_EXERCISED : ok ? Mark.EXERCISED : Mark.FAILED, List.copyOf(ports), n));
        }
        return out;
    }

    /** The table as text lines. */
    public static List<String> format(List<Marked> marked) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "  %-26s %-36s %-13s %-26s %-7s %-18s %s", "from", "to", "protocol",
                "port (product)", "steps", "lab port(s)", "in this run"));
        for (Marked m : marked) {
            Row r = m.row();
            String ports = m.labPorts().isEmpty() ? "-" : m.labPorts().toString().replace(" ", "");
            lines.add(String.format(Locale.ROOT, "  %-26s %-36s %-13s %-26s %-7s %-18s %s%s", r.from(), r.to(),
                    r.protocol(), r.ports(), r.steps(), ports, m.mark() == Mark.EXERCISED ? "✓ " : m.mark()
                            == Mark.FAILED ? "✗ " : "  ", m.mark().text() + (m.events() > 0 ? " (" + m.events()
                            + " events)" : "")));
        }
        return lines;
    }

    /** Every flow event in {@code <logDir>/flow-*.jsonl} recorded at or after {@code since} (torn lines skipped). */
    public static List<FlowEvent> readAll(Path logDir, Instant since) {
        List<FlowEvent> out = new ArrayList<>();
        if (!Files.isDirectory(logDir)) {
            return out;
        }
        List<Path> files;
        try (var s = Files.list(logDir)) {
            files = s.filter(f -> f.getFileName().toString().startsWith("flow-")
                    && f.getFileName().toString().endsWith(".jsonl")).sorted().toList();
        } catch (IOException e) {
            return out;
        }
        for (Path f : files) {
            try (var lines = Files.lines(f, StandardCharsets.UTF_8)) {
                lines.forEach(line -> {
                    if (line.isBlank()) {
                        return;
                    }
                    try {
                        FlowEvent e = Json.MAPPER.readValue(line, FlowEvent.class);
                        if (since == null || e.time() == null || !Instant.parse(e.time()).isBefore(since)) {
                            out.add(e);
                        }
                    } catch (IOException | RuntimeException ignored) {
                        // a torn or foreign line
                    }
                });
            } catch (IOException | java.io.UncheckedIOException e) {
                // unreadable file: no events from it
            }
        }
        return out;
    }

    private static boolean is(FlowEvent e, String step) {
        return step.equals(e.step());
    }

    private static boolean proto(FlowEvent e, String prefix) {
        return e.protocol() != null && e.protocol().startsWith(prefix);
    }

    private static boolean in(int port, int lo, int hi) {
        return port >= lo && port <= hi;
    }

    private static boolean sup(FlowEvent e) {
        return (e.to() != null && e.to().contains("SUP")) || (e.from() != null && e.from().contains("SUP"));
    }

    private static boolean mp(FlowEvent e) {
        return (e.to() != null && e.to().contains("MP")) || (e.from() != null && e.from().contains("MP"));
    }
}
