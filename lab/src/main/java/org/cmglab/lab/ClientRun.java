package org.cmglab.lab;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * One run of client-sim: its exit code, its {@code RESULT <json>} line
 * ({traceId, status, reason, bodyBytes, mps:[{name,fqdn}], error}) and everything it printed.
 *
 * @param traceId  the trace id it was asked to use
 * @param exitCode 0 on 200, 1 HTTP error, 3 TLS failure, 4 connect failure
 * @param result   the parsed RESULT json, or null when it printed none
 * @param output   its stdout and stderr
 */
public record ClientRun(String traceId, int exitCode, JsonNode result, String output) {

    /** An MP from the reply's MP list. */
    public record Mp(String name, String fqdn) {}

    public int status() {
        return result == null ? 0 : result.path("status").asInt(0);
    }

    public String reason() {
        return text("reason");
    }

    public String error() {
        return text("error");
    }

    public long bodyBytes() {
        return result == null ? 0 : result.path("bodyBytes").asLong(0);
    }

    public List<Mp> mps() {
        List<Mp> out = new ArrayList<>();
        if (result != null && result.path("mps").isArray()) {
            for (JsonNode m : result.path("mps")) {
                out.add(new Mp(m.path("name").asText(null), m.path("fqdn").asText(null)));
            }
        }
        return out;
    }

    /** Status, reason and error in one line, for failure messages. */
    public String summary() {
        if (result == null) {
            return "no RESULT line; exit " + exitCode;
        }
        StringBuilder sb = new StringBuilder("status ").append(status());
        if (reason() != null) {
            sb.append(' ').append(reason());
        }
        if (error() != null) {
            sb.append(", error: ").append(error());
        }
        return sb.toString();
    }

    private String text(String field) {
        if (result == null) {
            return null;
        }
        JsonNode n = result.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }
}
