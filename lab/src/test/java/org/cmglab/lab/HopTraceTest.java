package org.cmglab.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.cmglab.proto.flow.FlowEvent;
import org.junit.jupiter.api.Test;

class HopTraceTest {
    static final String T = "0af7651916cd43dd8448eb211c80319c";

    static FlowEvent ev(int second, String step, String phase, String component, String from, String to,
                        String outcome, int status, String detail) {
        return new FlowEvent("2025-01-01T00:00:0" + second + "Z", T, step, phase, component, from, to, "HTTPS", 443,
                "PKI client certificate", outcome, status, 1.5, detail);
    }

    static List<FlowEvent> goodFlow() {
        return List.of(
                ev(1, "F3", "request", "cmg-service-0", "client-sim", "cmg-service/0", "ok", 0, "GET /x"),
                ev(2, "F4", "request", "cmg-connection-point", "cmg-service/0", "cmg-connection-point", "ok", 0, null),
                ev(3, "F5", "request", "site-sim", "cmg-connection-point", "site-sim/MP01", "ok", 0, null),
                ev(4, "F5", "response", "cmg-connection-point", "site-sim/MP01", "cmg-connection-point", "ok", 200, null),
                ev(5, "F4", "response", "cmg-service-0", "cmg-connection-point", "cmg-service/0", "ok", 200, null),
                ev(6, "F3", "response", "client-sim", "cmg-service", "client-sim", "ok", 200, null));
    }

    @Test
    void ordersInFlowOrderWhateverTheInputOrder() {
        List<FlowEvent> shuffled = new ArrayList<>(goodFlow());
        Collections.reverse(shuffled);
        shuffled.add(0, new FlowEvent("2025-01-01T00:00:00Z", T, "C1", "event", "site-sim", "a", "b", "HTTPS", 443,
                null, "ok", 0, 0.1, null));
        List<FlowEvent> ordered = HopTrace.order(shuffled);
        assertThat(ordered).extracting(e -> e.step() + " " + e.phase()).containsExactly("F3 request", "F4 request",
                "F5 request", "F5 response", "F4 response", "F3 response", "C1 event");
        List<String> lines = HopTrace.format(ordered);
        assertThat(lines.get(0)).startsWith(" 1. F3 →").contains("client-sim → cmg-service/0", "HTTPS :443",
                "PKI client certificate", "GET /x", "1.5 ms");
        assertThat(lines.get(5)).startsWith(" 6. F3 ←");
    }

    @Test
    void goodFlowIsOk() {
        HopTrace.Verdict v = HopTrace.analyze(goodFlow(), 0, "status 200");
        assertThat(v.ok()).isTrue();
        assertThat(v.hop()).isNull();
    }

    @Test
    void namesTheFailureEventOfTheCmgWhenNoChannelServesTheRole() {
        List<FlowEvent> events = List.of(
                ev(1, "F3", "request", "cmg-service-0", "client-sim", "cmg-service/0", "ok", 0, null),
                ev(2, "F4", "request", "cmg-service-0", "cmg-service/0", "cmg-connection-point", "no-channel", 503,
                        "no connection point channel serves role 72057594037927939"),
                ev(3, "F3", "response", "client-sim", "cmg-service", "client-sim", "http-error", 503, null));
        HopTrace.Verdict v = HopTrace.analyze(events, 1, "status 503");
        assertThat(v.ok()).isFalse();
        assertThat(v.hop().step()).isEqualTo("F4");
        assertThat(v.message()).startsWith("FAILED at F4 request (cmg-service/0 → cmg-connection-point): no-channel, status 503")
                .contains("no connection point channel serves role");
    }

    @Test
    void namesTheFirstMissingHop() {
        List<FlowEvent> events = new ArrayList<>(goodFlow());
        events.remove(2); // F5 request
        events.remove(2); // F5 response
        HopTrace.Verdict v = HopTrace.analyze(events, 0, "status 200");
        assertThat(v.ok()).isFalse();
        assertThat(v.message()).isEqualTo("FAILED at F5 request (cmg-connection-point → site-sim/MP01): "
                + "no F5 request event recorded by site-sim");
    }

    @Test
    void failureEventWinsOverMissingHopsAndClientExitIsChecked() {
        List<FlowEvent> events = List.of(
                ev(1, "F3", "response", "client-sim", "cmg-service", "client-sim", "tls-failed", 0, "handshake"));
        assertThat(HopTrace.analyze(events, 3, "").message()).startsWith("FAILED at F3 response (cmg-service → client-sim): tls-failed");
        HopTrace.Verdict clientOnly = HopTrace.analyze(goodFlow(), 4, "error: refused");
        assertThat(clientOnly.ok()).isFalse();
        assertThat(clientOnly.message()).contains("client-sim exited 4 (connect failure)");
    }
}
