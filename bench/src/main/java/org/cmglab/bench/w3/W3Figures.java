package org.cmglab.bench.w3;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The W3 figures from the memory snapshots and the load processes' results: KB of CMG RSS (and bytes of live heap)
 * per idle connection, the active phase's requests, errors and latencies, and the extrapolation to the product's
 * 6,000 clients per VM.
 */
final class W3Figures {
    /** Clients per CMG VM the product documents (cmg-facts [PERF]/[FAQ17]). */
    static final int PRODUCT_CLIENTS_PER_VM = 6000;
    /** Issue 8's goal. */
    static final double GOAL_KB_PER_IDLE = 16.0;

    private W3Figures() {}

    @SuppressWarnings("unchecked")
    static Map<String, Object> compute(Map<String, Object> mem, int connected, List<JsonNode> loads) {
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Object> base = (Map<String, Object>) mem.get("baseline");
        Map<String, Object> idle = (Map<String, Object>) mem.get("idle");
        long rssDelta = ((Number) idle.get("rss")).longValue() - ((Number) base.get("rss")).longValue();
        long heapDelta = ((Number) idle.get("heapUsed")).longValue() - ((Number) base.get("heapUsed")).longValue();
        double kbPer = connected == 0 ? 0 : (double) rssDelta / connected;
        double heapBytesPer = connected == 0 ? 0 : heapDelta * 1024.0 / connected;
        out.put("kbRssPerIdleConnection", round(kbPer));
        out.put("heapBytesPerIdleConnection", Math.round(heapBytesPer));
        out.put("goalKbPerIdleConnection", GOAL_KB_PER_IDLE);
        out.put("meetsGoal", connected > 0 && kbPer <= GOAL_KB_PER_IDLE);
        long ok = 0;
        long errors = 0;
        Map<String, Long> byClass = new TreeMap<>();
        double p50 = 0;
        double p99 = 0;
        double max = 0;
        double hsP99 = 0;
        for (JsonNode r : loads) {
            JsonNode t = r.path("total");
            ok += t.path("ok").asLong();
            errors += t.path("errors").asLong();
            t.path("errorsByClass").fields().forEachRemaining(e -> byClass.merge(e.getKey(), e.getValue().asLong(),
                    Long::sum));
            p50 = Math.max(p50, t.path("p50Ms").asDouble());
            p99 = Math.max(p99, t.path("p99Ms").asDouble());
            max = Math.max(max, t.path("maxMs").asDouble());
            hsP99 = Math.max(hsP99, r.path("connect").path("p99Ms").asDouble());
        }
        out.put("activeOk", ok);
        out.put("activeErrors", errors);
        out.put("activeErrorsByClass", byClass);
        out.put("activeP50MsWorstProcess", round(p50));
        out.put("activeP99MsWorstProcess", round(p99));
        out.put("activeMaxMs", round(max));
        out.put("handshakeP99MsWorstProcess", round(hsP99));
        long baseRss = ((Number) base.get("rss")).longValue();
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("clientsPerVm", PRODUCT_CLIENTS_PER_VM);
        x.put("idleConnectionsMb", round(kbPer * PRODUCT_CLIENTS_PER_VM / 1024));
        x.put("instanceRssMb", round((baseRss + kbPer * PRODUCT_CLIENTS_PER_VM) / 1024));
        x.put("at15000Mb", round((baseRss + kbPer * 15000) / 1024));
        out.put("extrapolation", x);
        return out;
    }

    @SuppressWarnings("unchecked")
    static String summary(Map<String, Object> r) {
        Map<String, Object> x = (Map<String, Object>) r.getOrDefault("extrapolation", Map.of());
        return String.format(Locale.ROOT, "W3: %s idle connections (%s failed): %s KB RSS and %s B heap per idle "
                        + "connection (goal <= %.0f KB); active: %s ok, %s errors %s, p99 %s ms; 6,000 clients/VM: "
                        + "+%s MB, instance ~%s MB", r.get("connected"), r.get("connectFailed"),
                r.get("kbRssPerIdleConnection"), r.get("heapBytesPerIdleConnection"), GOAL_KB_PER_IDLE,
                r.get("activeOk"), r.get("activeErrors"), r.get("activeErrorsByClass"),
                r.get("activeP99MsWorstProcess"), x.get("idleConnectionsMb"), x.get("instanceRssMb"));
    }

    static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
