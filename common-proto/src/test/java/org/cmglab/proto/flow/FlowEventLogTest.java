package org.cmglab.proto.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlowEventLogTest {
    @TempDir
    Path dir;

    @Test
    void recordsToRingFileAndListenersFilteredByTrace() throws Exception {
        Path file = dir.resolve("flow-x.jsonl");
        List<FlowEvent> heard = new ArrayList<>();
        FlowEventLog log = new FlowEventLog("cmg-service-0", file);
        log.addListener(heard::add);
        String t1 = TraceContext.newTraceId();
        log.event("F3", "request").trace(t1).from("client").to("cmg-service/0").protocol("HTTPS").port(443)
                .auth("PKI client certificate").latencyNanos(1_234_567).detail("GET /x").emit();
        log.event("F4", "request").trace(TraceContext.newTraceId()).outcome("no-channel").status(503).emit();
        log.close();
        assertThat(log.snapshot(null)).hasSize(2);
        assertThat(log.snapshot(t1)).singleElement().satisfies(e -> {
            assertThat(e.step()).isEqualTo("F3");
            assertThat(e.component()).isEqualTo("cmg-service-0");
            assertThat(e.latencyMs()).isEqualTo(1.23);
            assertThat(e.ok()).isTrue();
        });
        assertThat(heard).hasSize(2);
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(2);
        assertThat(Json.read(lines.get(1), FlowEvent.class).outcome()).isEqualTo("no-channel");
        log.event("F5", "request").emit(); // after close: kept in memory, not written, no failure
        assertThat(Files.readAllLines(file)).hasSize(2);
    }

    @Test
    void traceparentIsParsedAndGenerated() {
        String id = TraceContext.newTraceId();
        assertThat(id).matches("[0-9a-f]{32}");
        assertThat(TraceContext.traceId(TraceContext.traceparent(id))).isEqualTo(id);
        assertThat(TraceContext.traceId("00-" + "0".repeat(32) + "-0123456789abcdef-01")).isNull();
        assertThat(TraceContext.traceId("garbage")).isNull();
        assertThat(TraceContext.traceId(null)).isNull();
    }
}
