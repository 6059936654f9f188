package org.cmglab.site;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cmglab.proto.flow.FlowEvent;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.site.mp.MpRequestRecord;
import org.junit.jupiter.api.Test;

class MpRequestObserverTest {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

    private final FlowEventLog events = new FlowEventLog("site-sim", null);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final MpRequestObserver observer = new MpRequestObserver(events, "MP01", () -> 443, registry);

    @Test
    void httpsRequestBecomesF5EventWithTraceFromMixedCaseHeader() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Host", "mp01.corp.contoso.com");
        headers.put("User-Agent", "SMS CCM 5.0");
        headers.put("TraceParent", "00-" + TRACE + "-00f067aa0ba902b7-01");
        observer.accept(new MpRequestRecord("GET", "/SMS_MP/.sms_aut?MPLIST", headers, 200, 180,
                "127.0.0.31:50123", true));

        assertThat(events.snapshot(null)).singleElement().satisfies(e -> {
            assertThat(e.step()).isEqualTo("F5");
            assertThat(e.phase()).isEqualTo("request");
            assertThat(e.component()).isEqualTo("site-sim");
            assertThat(e.traceId()).isEqualTo(TRACE);
            assertThat(e.from()).isEqualTo("cmg-connection-point");
            assertThat(e.to()).isEqualTo("site-sim/MP01");
            assertThat(e.protocol()).isEqualTo("HTTPS");
            assertThat(e.port()).isEqualTo(443);
            assertThat(e.auth()).isEqualTo("server-auth TLS (anonymous .sms_aut)");
            assertThat(e.status()).isEqualTo(200);
            assertThat(e.outcome()).isEqualTo("ok");
            assertThat(e.detail()).isEqualTo("GET /SMS_MP/.sms_aut?MPLIST");
        });
        assertThat(observer.served()).isEqualTo(1);
        assertThat(registry.get("cmglab.mp.requests").tag("status", "200").counter().count()).isEqualTo(1.0);
    }

    @Test
    void plainHttpErrorWithoutTraceparent() {
        FlowEvent e = observer.toEvent(new MpRequestRecord("POST", "/SMS_MP/.sms_aut?MPLIST", Map.of(), 405, 0,
                "127.0.0.1:1", false));
        assertThat(e.traceId()).isNull();
        assertThat(e.protocol()).isEqualTo("HTTP");
        assertThat(e.auth()).isEqualTo("anonymous");
        assertThat(e.outcome()).isEqualTo("http-405");
        assertThat(e.status()).isEqualTo(405);
    }

    @Test
    void invalidTraceparentIsIgnored() {
        FlowEvent e = observer.toEvent(new MpRequestRecord("GET", "/SMS_MP/.sms_aut?MPLIST",
                Map.of("traceparent", "garbage"), 200, 1, "127.0.0.1:1", true));
        assertThat(e.traceId()).isNull();
    }

    @Test
    void iisLineLooksLikeTheMpsW3cLog() {
        MpRequestRecord r = new MpRequestRecord("GET", "/SMS_MP/.sms_aut?SITESIGNCERT",
                Map.of("User-Agent", "SMS CCM 5.0"), 403, 58, "127.0.0.21:50211", true);
        assertThat(MpRequestObserver.iisLine(r, 443))
                .isEqualTo("GET /SMS_MP/.sms_aut SITESIGNCERT 443 - 127.0.0.21 SMS+CCM+5.0 - 403 0 0");
        MpRequestRecord noQuery = new MpRequestRecord("GET", "/", Map.of(), 404, 10, "127.0.0.1:9", false);
        assertThat(MpRequestObserver.iisLine(noQuery, 80)).isEqualTo("GET / - 80 - 127.0.0.1 - - 404 0 0");
    }
}
