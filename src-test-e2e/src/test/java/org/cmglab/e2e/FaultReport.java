package org.cmglab.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.cmglab.lab.LabProcesses;
import org.cmglab.proto.flow.FlowEvent;
import org.cmglab.proto.runtime.Json;

/**
 * The measured figures of one fault of the matrix, how they are computed from the load's outcomes and the MP's flow
 * events, and the report files ({@code target/reliability/fault-matrix.json} and {@code .md}).
 */
final class FaultReport {
    /** One row of the matrix. Times in ms from the fault's injection; -1 when not reached. */
    record Row(String fault, String how, String detectedBy, String mode,
               long requests, long ok, long failed, long failedGets, long failedPosts, Map<String, Long> failures,
               long hangs, long postsSent, long postsDelivered, long postsFailedButDelivered, long duplicated,
               long lost, long failedAfterRecovery, long detectMs, long recoverMs, long restoreMs, long windowMs,
               Map<String, Long> rssBeforeKiB, Map<String, Long> rssAfterKiB, List<String> violations) {
        boolean pass() {
            return violations.isEmpty();
        }
    }

    private final List<Row> rows = new ArrayList<>();

    synchronized void add(Row r) {
        rows.add(r);
    }

    synchronized List<Row> rows() {
        return List.copyOf(rows);
    }

    /** MP deliveries per trace id: F5 request events of {@code CCM_POST} in site-sim's flow events file. */
    static Map<String, Long> ccmPostsAtMp(Path logDir) throws IOException {
        Map<String, Long> m = new HashMap<>();
        Path f = logDir.resolve("flow-site-sim.jsonl");
        if (!Files.exists(f)) {
            return m;
        }
        for (FlowEvent e : LabProcesses.readJsonl(f, null)) {
            if ("F5".equals(e.step()) && "request".equals(e.phase()) && e.detail() != null
                    && e.detail().startsWith("CCM_POST") && e.traceId() != null) {
                m.merge(e.traceId(), 1L, Long::sum);
            }
        }
        return m;
    }

    /** What every fault must show, whatever it is (on top of the fault's own bounds). */
    static List<String> commonViolations(long hangs, long duplicated, long lost, long failedAfterRecovery,
                                         List<LoadDriver.Outcome> hangsSeen) {
        List<String> v = new ArrayList<>();
        if (hangs > 0) {
            v.add(hangs + " request(s) got no answer within their deadline: "
                    + hangsSeen.stream().limit(3).map(LoadDriver.Outcome::describe).toList());
        }
        if (duplicated > 0) {
            v.add(duplicated + " CCM_POST(s) delivered to the MP more than once");
        }
        if (lost > 0) {
            v.add(lost + " CCM_POST(s) answered 200 but never delivered to the MP");
        }
        if (failedAfterRecovery > 0) {
            v.add(failedAfterRecovery + " request(s) failed after the lab had recovered");
        }
        return v;
    }

    static Map<String, Long> failureKinds(List<LoadDriver.Outcome> failed) {
        return failed.stream().collect(Collectors.groupingBy(o -> o.kind() + " " + (o.status() > 0
                ? o.status() + " " + o.reason() : o.error()), TreeMap::new, Collectors.counting()));
    }

    /** Writes the JSON and the Markdown table into {@code dir}. */
    synchronized void write(Path dir, String mode, String command) throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("mode", mode);
        json.put("command", command);
        json.put("load", Map.of("getLoops", FaultMatrixE2ETest.GET_LOOPS, "postLoops", FaultMatrixE2ETest.POST_LOOPS,
                "perLoopPerSecond", FaultMatrixE2ETest.PER_LOOP_RATE,
                "requestDeadlineMs", LoadDriver.READ_TIMEOUT.toMillis(),
                "connectTimeoutMs", LoadDriver.CONNECT_TIMEOUT.toMillis()));
        json.put("faults", rows);
        Files.writeString(dir.resolve("fault-matrix.json"), Json.MAPPER.writerWithDefaultPrettyPrinter()
                .writeValueAsString(json), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("fault-matrix.md"), markdown(mode, command), StandardCharsets.UTF_8);
    }

    String markdown(String mode, String command) {
        StringBuilder b = new StringBuilder();
        b.append("Fault matrix (").append(mode).append("), `").append(command).append("`; load: ")
                .append(FaultMatrixE2ETest.GET_LOOPS).append(" GET loops + ").append(FaultMatrixE2ETest.POST_LOOPS)
                .append(" CCM_POST loops at ").append(FaultMatrixE2ETest.PER_LOOP_RATE)
                .append(" req/s each, deadline ").append(LoadDriver.READ_TIMEOUT.toSeconds()).append(" s.\n\n");
        b.append("| fault | requests | failed (GET/CCM_POST) | how they failed | hangs | CCM_POST dup / lost | "
                + "detect ms | clients ok again ms | restored ms | RSS MiB before → after (survivors) | result |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows()) {
            b.append("| ").append(r.fault()).append(" | ").append(r.requests()).append(" | ").append(r.failed())
                    .append(" (").append(r.failedGets()).append('/').append(r.failedPosts()).append(") | ")
                    .append(r.failures().isEmpty() ? "—" : r.failures().entrySet().stream()
                            .map(e -> e.getValue() + "× " + e.getKey()).collect(Collectors.joining("; ")))
                    .append(" | ").append(r.hangs()).append(" | ").append(r.duplicated()).append(" / ")
                    .append(r.lost()).append(" | ").append(ms(r.detectMs())).append(" (").append(r.detectedBy())
                    .append(") | ").append(ms(r.recoverMs())).append(" | ").append(ms(r.restoreMs())).append(" | ")
                    .append(rss(r)).append(" | ").append(r.pass() ? "pass" : "FAIL: " + String.join("; ",
                            r.violations())).append(" |\n");
        }
        return b.toString();
    }

    private static String ms(long v) {
        return v < 0 ? "—" : Long.toString(v);
    }

    private static String rss(Row r) {
        List<String> parts = new ArrayList<>();
        r.rssBeforeKiB().forEach((k, before) -> {
            Long after = r.rssAfterKiB().get(k);
            if (after != null) {
                parts.add(k + " " + before / 1024 + "→" + after / 1024);
            }
        });
        return String.join(", ", parts);
    }

    /** VmRSS of a live process in KiB (Linux /proc), -1 when unknown. */
    static long rssKiB(long pid) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    static JsonNode readTree(String s) throws IOException {
        return Json.MAPPER.readTree(s);
    }
}
