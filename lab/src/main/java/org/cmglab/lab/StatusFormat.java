package org.cmglab.lab;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** The human views of the whole-lab status JSON: {@code cmglab status}'s table and {@code cmglab up}'s summary. */
final class StatusFormat {
    private StatusFormat() {}

    /** True when the lab is ready: state ready, every component ready, every instance with a ready channel. */
    static boolean ready(JsonNode s) {
        if (!"ready".equals(s.path("lab").path("state").asText())) {
            return false;
        }
        for (JsonNode c : s.path("components")) {
            if (!c.path("ready").asBoolean(false)) {
                return false;
            }
        }
        for (JsonNode i : s.path("instances")) {
            boolean any = false;
            for (JsonNode ch : i.path("channels")) {
                any |= ch.path("ready").asBoolean(false);
            }
            if (!any) {
                return false;
            }
        }
        return true;
    }

    static List<String> table(JsonNode s) {
        List<String> out = new ArrayList<>();
        JsonNode lab = s.path("lab");
        out.add(String.format("Lab 127.%s.x.y, port offset %s: %s%s   (supervisor pid %s, admin %s)",
                lab.path("net").asText("?"), lab.path("portOffset").asText("?"), lab.path("state").asText("?"),
                lab.hasNonNull("error") ? " - " + lab.path("error").asText() : "", lab.path("pid").asText("?"),
                lab.path("admin").asText("?")));
        out.add(String.format("  %s, %s, %s instance(s), client auth %s, web proxy %s",
                lab.path("cloud").asText("?"), lab.path("deploymentMethod").asText("?"),
                lab.path("instances").asText("?"), lab.path("auth").asText("pki"),
                lab.hasNonNull("proxy") ? lab.path("proxy").asText() : "none"));
        if (lab.has("deployment")) {
            out.add(String.format("  deployment %s: %s", lab.path("deployment").path("name").asText("?"),
                    lab.path("deployment").path("state").asText("?")));
        }
        out.add("  dashboard " + lab.path("dashboard").asText("?") + "   logs " + lab.path("logDir").asText("?"));
        out.add("");
        out.add(String.format("%-24s %-8s %-6s %-6s %-15s %s", "COMPONENT", "PID", "ALIVE", "READY", "ADDRESS", "PORTS"));
        for (JsonNode c : s.path("components")) {
            List<String> ports = new ArrayList<>();
            c.path("ports").forEach(p -> ports.add(p.asText()));
            out.add(String.format("%-24s %-8s %-6s %-6s %-15s %s", c.path("name").asText(),
                    c.path("pid").isNull() ? "-" : c.path("pid").asText("-"), yes(c.path("alive")), yes(c.path("ready")),
                    c.path("address").asText(""), ports.isEmpty() ? "(dials out only)" : String.join(", ", ports)));
        }
        out.add("");
        out.add(String.format("%-24s %-8s %-14s %-6s %s", "CMG INSTANCE", "PID", "STATE", "READY", "ADDRESS"));
        for (JsonNode i : s.path("instances")) {
            out.add(String.format("%-24s %-8s %-14s %-6s %s", i.path("name").asText(),
                    i.path("pid").isNull() ? "-" : i.path("pid").asText("-"), i.path("state").asText("-"),
                    yes(i.path("ready")), i.path("address").asText("")));
            if (i.path("channels").isEmpty()) {
                out.add("    channel: none");
            }
            for (JsonNode ch : i.path("channels")) {
                StringBuilder b = new StringBuilder(String.format("    channel %-7s :%-5s %-12s streams %s",
                        ch.path("transport").asText("?"), ch.path("port").asText("?"), ch.path("state").asText("?"),
                        ch.path("streams").asText("0")));
                if (ch.hasNonNull("proxy")) {
                    b.append("  via proxy ").append(ch.path("proxy").asText());
                }
                if (ch.hasNonNull("fallbackFrom")) {
                    b.append("  HTTPS FALLBACK from ").append(ch.path("fallbackFrom").asText());
                    if (ch.hasNonNull("fallbackReason")) {
                        b.append(" (").append(ch.path("fallbackReason").asText()).append(")");
                    }
                }
                if (ch.hasNonNull("lastError") && !ch.path("ready").asBoolean(false)) {
                    b.append("  last error: ").append(ch.path("lastError").asText());
                }
                out.add(b.toString());
            }
        }
        out.add("");
        if (s.path("faults").isEmpty()) {
            out.add("FAULTS: none");
        } else {
            out.add("FAULTS");
            for (JsonNode f : s.path("faults")) {
                out.add(String.format("  %-26s since %s: %s", f.path("name").asText(), f.path("since").asText(),
                        f.path("detail").asText()));
            }
        }
        return out;
    }

    /** Where everything is, after {@code cmglab up}. */
    static List<String> where(JsonNode s) {
        List<String> out = new ArrayList<>();
        JsonNode lab = s.path("lab");
        out.add("CMG Lab is up (supervisor pid " + lab.path("pid").asText("?") + ")");
        out.add("  dashboard    " + lab.path("dashboard").asText("?"));
        out.add("  lab admin    " + lab.path("admin").asText("?") + "  (/status, POST /fault/<name>, POST /down)");
        out.add("  logs         " + lab.path("logDir").asText("?") + "  (lab.out, <component>.out, CMTrace *.log, "
                + "flow-*.jsonl)");
        out.add("  CMG          " + LabPlan.SERVICE_NAME + " → " + lab.path("deployment").path("name").asText("?")
                + " (" + lab.path("deploymentMethod").asText("?") + ", " + lab.path("cloud").asText("?") + ")");
        for (JsonNode c : s.path("components")) {
            List<String> ports = new ArrayList<>();
            c.path("ports").forEach(p -> ports.add(p.asText()));
            out.add(String.format("  %-24s %-15s %-18s %s", c.path("name").asText(), c.path("address").asText(""),
                    ports.isEmpty() ? "(dials out)" : "ports " + String.join(",", ports),
                    c.hasNonNull("admin") ? "admin " + c.path("admin").asText() : ""));
        }
        for (JsonNode i : s.path("instances")) {
            StringBuilder b = new StringBuilder(String.format("  %-24s %-15s", i.path("name").asText(),
                    i.path("address").asText("")));
            for (JsonNode ch : i.path("channels")) {
                b.append(" channel ").append(ch.path("transport").asText()).append(" :").append(ch.path("port").asText());
                if (ch.hasNonNull("proxy")) {
                    b.append(" via ").append(ch.path("proxy").asText());
                }
            }
            out.add(b.toString());
        }
        out.add("  client auth  " + lab.path("auth").asText("pki") + "   stop with: cmglab down");
        return out;
    }

    private static String yes(JsonNode b) {
        return b.asBoolean(false) ? "yes" : "no";
    }
}
