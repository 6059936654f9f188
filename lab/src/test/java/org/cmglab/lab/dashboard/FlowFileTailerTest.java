package org.cmglab.lab.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.cmglab.proto.flow.FlowEvent;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlowFileTailerTest {
    @TempDir
    Path dir;

    final List<FlowEvent> got = new ArrayList<>();

    static FlowEvent ev(String time, String step, String phase, String component, String trace) {
        return new FlowEvent(time, trace, step, phase, component, "a", "b", "HTTPS", 443, null, "ok", 200, 1.5, "GET /");
    }

    static String line(FlowEvent e) {
        return Json.writeCompact(e) + "\n";
    }

    FlowFileTailer tailer() {
        return new FlowFileTailer(dir, got::addAll, Duration.ofMillis(50));
    }

    void append(String file, String text) throws Exception {
        Files.writeString(dir.resolve(file), text, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    List<String> steps() {
        return got.stream().map(e -> e.step() + "/" + e.component()).toList();
    }

    @Test
    void readsCompleteLinesAndKeepsAPartialLastLineUntilItsNewlineArrives() throws Exception {
        FlowFileTailer t = tailer();
        String third = line(ev("2026-11-29T09:00:03Z", "F5", "request", "site-sim", "t1"));
        append("flow-site-sim.jsonl", line(ev("2026-11-29T09:00:01Z", "F5", "request", "site-sim", "t1"))
                + line(ev("2026-11-29T09:00:02Z", "F5", "response", "site-sim", "t1")) + third.substring(0, 20));
        assertThat(t.pollOnce()).isEqualTo(2);
        assertThat(t.pollOnce()).as("nothing new, the partial line is not an event yet").isZero();
        append("flow-site-sim.jsonl", third.substring(20));
        assertThat(t.pollOnce()).isEqualTo(1);
        assertThat(got).extracting(FlowEvent::time).containsExactly("2026-11-29T09:00:01Z", "2026-11-29T09:00:02Z",
                "2026-11-29T09:00:03Z");
    }

    @Test
    void followsFilesThatAppearLaterAndOrdersEachPollByTimeAcrossFiles() throws Exception {
        FlowFileTailer t = tailer();
        assertThat(t.pollOnce()).isZero();
        // three processes wrote one request each; the files are read in name order, the events come in time order
        append("flow-site-sim.jsonl", line(ev("2026-11-29T09:00:00.300Z", "F5", "request", "site-sim", "t")));
        append("flow-cmg-service-0.jsonl", line(ev("2026-11-29T09:00:00.1Z", "F3", "request", "cmg-service-0", "t")));
        append("flow-cmg-connection-point.jsonl",
                line(ev("2026-11-29T09:00:00.200500Z", "F4", "request", "cmg-connection-point", "t")));
        append("other.jsonl", line(ev("2026-11-29T09:00:00Z", "F1", "request", "x", "t")));
        assertThat(t.pollOnce()).isEqualTo(3);
        assertThat(steps()).containsExactly("F3/cmg-service-0", "F4/cmg-connection-point", "F5/site-sim");
    }

    @Test
    void equalTimesFollowTheFlowOrder() throws Exception {
        FlowFileTailer t = tailer();
        String at = "2026-11-29T09:00:00.5Z";
        append("flow-a.jsonl", line(ev(at, "F3", "response", "client-sim", "t"))
                + line(ev(at, "F5", "request", "site-sim", "t")));
        append("flow-b.jsonl", line(ev(at, "F3", "request", "cmg-service-0", "t")));
        t.pollOnce();
        assertThat(steps()).containsExactly("F3/cmg-service-0", "F5/site-sim", "F3/client-sim");
    }

    @Test
    void aTruncatedOrRecreatedFileIsReadAgainFromItsStart() throws Exception {
        FlowFileTailer t = tailer();
        Path f = dir.resolve("flow-cmg-service-0.jsonl");
        append(f.getFileName().toString(), line(ev("2026-11-29T09:00:01Z", "F3", "request", "old", "t"))
                + line(ev("2026-11-29T09:00:02Z", "F4", "request", "old", "t")));
        assertThat(t.pollOnce()).isEqualTo(2);

        // truncated by a restarted component, then one shorter event
        Files.writeString(f, line(ev("2026-11-29T09:01:00Z", "F2", "event", "restarted", "t")));
        assertThat(t.pollOnce()).isEqualTo(1);
        assertThat(got.get(2).component()).isEqualTo("restarted");

        // deleted and recreated (a new inode), longer than before
        Files.delete(f);
        assertThat(t.pollOnce()).isZero();
        append(f.getFileName().toString(), line(ev("2026-11-29T09:02:00Z", "F2", "event", "recreated", "t"))
                + line(ev("2026-11-29T09:02:01Z", "F3", "request", "recreated", "t"))
                + line(ev("2026-11-29T09:02:02Z", "F4", "request", "recreated", "t")));
        assertThat(t.pollOnce()).isEqualTo(3);
        assertThat(got.subList(3, 6)).extracting(FlowEvent::component).containsOnly("recreated");
    }

    @Test
    void linesThatAreNotFlowEventsAreSkippedAndTheRestStillArrives() throws Exception {
        FlowFileTailer t = tailer();
        append("flow-x.jsonl", "{not json\n"
                + "{\"time\":\"2026-11-29T09:00:00Z\",\"component\":\"x\",\"outcome\":\"ok\"}\n" // no step
                + "\n"
                + line(ev("2026-11-29T09:00:01Z", "F3", "request", "x", "t"))
                + "{\"time\":\"2026-11-29T09:00:02Z\",\"step\":\"F4\",\"component\":\"x\",\"outcome\":\"ok\","
                + "\"addedLater\":1}\n");
        assertThat(t.pollOnce()).isEqualTo(2);
        assertThat(t.skippedLines()).isEqualTo(2);
        assertThat(got).extracting(FlowEvent::step).containsExactly("F3", "F4");
    }

    @Test
    void anOverlongLineIsDroppedWithoutBufferingItAll() throws Exception {
        FlowFileTailer t = tailer();
        append("flow-x.jsonl", "x".repeat(FlowFileTailer.MAX_LINE + 10));
        assertThat(t.pollOnce()).isZero();
        append("flow-x.jsonl", "y".repeat(3 * FlowFileTailer.MAX_LINE) + "\n" + line(ev("2026-11-29T09:00:01Z", "F3", "request", "x", "t")));
        assertThat(t.pollOnce()).isEqualTo(1);
        assertThat(t.skippedLines()).isEqualTo(1);
    }

    @Test
    void aLargeExistingFileIsReadFromItsLastMegabyteOnly() throws Exception {
        StringBuilder sb = new StringBuilder();
        String template = line(ev("2026-11-29T09:00:00Z", "F3", "request", "x", "TRACE"));
        int n = 0;
        while (sb.length() < 3 * FlowFileTailer.INITIAL_TAIL) {
            sb.append(template.replace("TRACE", "t" + n++));
        }
        append("flow-x.jsonl", sb.toString());
        FlowFileTailer t = tailer();
        int read = t.pollOnce();
        assertThat(read).isPositive().isLessThan(n / 2);
        assertThat(got.get(got.size() - 1).traceId()).isEqualTo("t" + (n - 1));
        assertThat(t.skippedLines()).as("the cut first line is skipped silently").isZero();
    }

    @Test
    void theBackgroundThreadDeliversAppendedEventsAndStopsOnClose() throws Exception {
        List<FlowEvent> live = java.util.Collections.synchronizedList(new ArrayList<>());
        FlowFileTailer t = new FlowFileTailer(dir, live::addAll, Duration.ofMillis(20));
        t.start();
        try {
            append("flow-x.jsonl", line(ev("2026-11-29T09:00:01Z", "F3", "request", "x", "t")));
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> live.size() == 1);
        } finally {
            t.close();
        }
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(th -> th.getName().equals("dashboard-flow-tailer"));
    }
}
