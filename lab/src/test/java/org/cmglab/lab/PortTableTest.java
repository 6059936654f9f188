package org.cmglab.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.cmglab.proto.flow.FlowEvent;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PortTableTest {
    @TempDir
    Path tmp;

    static FlowEvent ev(String step, String phase, String to, String protocol, int port, String outcome) {
        return new FlowEvent(Instant.now().toString(), "t", step, phase, "c", "from", to, protocol, port, null, outcome,
                0, 1.0, null);
    }

    LabPlan plan() {
        return LabPlan.builder().home(tmp).stateDir(tmp).net(123).portOffset(20000).build();
    }

    static PortTable.Marked row(List<PortTable.Marked> m, String to, String protocol) {
        return m.stream().filter(r -> r.row().to().equals(to) && r.row().protocol().equals(protocol)).findFirst()
                .orElseThrow();
    }

    @Test
    void rowsAreMarkedFromTheEventsThatArrivedWithTheLabPorts() {
        List<FlowEvent> events = List.of(
                ev("F1", "request", "azure-sim/login", "HTTPS", 20443, "ok"),
                ev("F2", "event", "cmg-service/0", "HTTPS (channel upgrade to HTTP/2)", 20443, "ok"),
                ev("F3", "request", "cmg-service/0", "HTTPS", 20443, "ok"),
                ev("F5", "request", "site-sim/MP01", "HTTPS", 20443, "ok"),
                ev("F5", "request", "site-sim/SUP01", "HTTPS", 28531, "http-404"),
                ev("C3", "event", "lab DNS", "DNS", 20053, "ok"));
        List<PortTable.Marked> m = PortTable.mark(plan(), events);
        assertThat(row(m, "Azure (Entra ID, Resource Manager)", "HTTPS").mark()).isEqualTo(PortTable.Mark.EXERCISED);
        PortTable.Marked oneVm = row(m, "CMG (one VM instance)", "HTTPS");
        assertThat(oneVm.mark()).isEqualTo(PortTable.Mark.EXERCISED);
        assertThat(oneVm.labPorts()).containsExactly(20443);
        assertThat(row(m, "CMG (2+ VM instances)", "HTTPS").mark()).isEqualTo(PortTable.Mark.NOT_EXERCISED);
        assertThat(row(m, "CMG (classic)", "TCP-TLS").mark()).isEqualTo(PortTable.Mark.NOT_EXERCISED);
        assertThat(row(m, "CMG", "HTTPS").mark()).isEqualTo(PortTable.Mark.EXERCISED);
        assertThat(row(m, "blob storage (content)", "HTTPS").mark()).isEqualTo(PortTable.Mark.NOT_EXERCISED);
        PortTable.Marked mp = row(m, "management point", "HTTPS / HTTP");
        assertThat(mp.mark()).isEqualTo(PortTable.Mark.EXERCISED);
        assertThat(mp.events()).isEqualTo(1);
        assertThat(row(m, "software update point", "HTTP(S)").mark()).isEqualTo(PortTable.Mark.FAILED);
        assertThat(row(m, "lab DNS", "DNS").mark()).isEqualTo(PortTable.Mark.EXERCISED);
        assertThat(PortTable.format(m)).hasSize(m.size() + 1)
                .anySatisfy(l -> assertThat(l).contains("TCP-TLS").contains("not exercised"))
                .anySatisfy(l -> assertThat(l).contains("software update point").contains("attempted, failed"));
    }

    @Test
    void classicAndScaleOutChannelsAreTheirOwnRows() {
        List<PortTable.Marked> m = PortTable.mark(plan(), List.of(
                ev("F2", "event", "cmg-service/0", "TCP-TLS (HTTP/2 after TLS)", 30140, "ok"),
                ev("F2", "event", "cmg-service/1", "HTTPS (channel upgrade to HTTP/2)", 30125, "ok")));
        assertThat(row(m, "CMG (classic)", "TCP-TLS").mark()).isEqualTo(PortTable.Mark.EXERCISED);
        assertThat(row(m, "CMG (2+ VM instances)", "HTTPS").labPorts()).containsExactly(30125);
        assertThat(row(m, "CMG (one VM instance)", "HTTPS").mark()).isEqualTo(PortTable.Mark.NOT_EXERCISED);
    }

    @Test
    void readAllTakesEveryFlowFileFromTheLabStartAndSkipsTornLines() throws Exception {
        Instant start = Instant.parse("2026-11-29T09:00:00Z");
        FlowEvent before = new FlowEvent("2026-11-29T08:59:59Z", "t", "F3", "request", "c", "a", "b", "HTTPS", 443, null,
                "ok", 0, 1, null);
        FlowEvent after = new FlowEvent("2026-11-29T09:00:01Z", "t", "C6", "request", "c", "a", "b", "HTTPS", 443, null,
                "ok", 0, 1, null);
        Files.writeString(tmp.resolve("flow-a.jsonl"), Json.writeCompact(before) + "\n{torn\n");
        Files.writeString(tmp.resolve("flow-b.jsonl"), Json.writeCompact(after) + "\n");
        Files.writeString(tmp.resolve("other.jsonl"), Json.writeCompact(after) + "\n");
        assertThat(PortTable.readAll(tmp, start)).containsExactly(after);
    }
}
