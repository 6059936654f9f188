package org.cmglab.client.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class LoadStatsTest {

    @Test
    void summaryHasPerKindPercentilesErrorsByClassAndTotals() {
        LoadStats s = new LoadStats();
        for (int i = 1; i <= 100; i++) {
            s.kind(LoadKind.LOCATION).record(i * 1_000_000L); // 1..100 ms
        }
        s.kind(LoadKind.POLICY).record(5_000_000L);
        s.kind(LoadKind.POLICY).error("http-403");
        s.kind(LoadKind.POLICY).error("http-403");
        s.kind(LoadKind.POLICY).error("timeout");
        s.connect().record(20_000_000L);
        s.connect().error("tls");

        String table = s.table(10.0);
        assertThat(table).contains("kind", "p50 ms", "p99 ms");
        assertThat(table.lines().filter(l -> l.startsWith("location")).findFirst().orElseThrow())
                .contains(" 100 ", "10.0", "50.", "90.", "99.", "100.");
        assertThat(table.lines().filter(l -> l.startsWith("policy")).findFirst().orElseThrow())
                .contains("{http-403=2, timeout=1}");
        assertThat(table.lines().filter(l -> l.startsWith("total")).findFirst().orElseThrow())
                .contains(" 101 ", " 3 ", "10.4");
        assertThat(table).doesNotContain("content", "mplist");

        Map<String, Object> json = s.toJson(10.0);
        @SuppressWarnings("unchecked")
        Map<String, Object> policy = (Map<String, Object>) ((Map<String, Object>) json.get("kinds")).get("policy");
        assertThat(policy).containsEntry("ok", 1L).containsEntry("errors", 3L)
                .containsEntry("errorsByClass", Map.of("http-403", 2L, "timeout", 1L)).containsEntry("rps", 0.4);
        @SuppressWarnings("unchecked")
        Map<String, Object> connect = (Map<String, Object>) json.get("connect");
        assertThat(connect).containsEntry("ok", 1L).containsEntry("errors", 1L);
        assertThat((Double) connect.get("p99Ms")).isBetween(19.9, 20.1);
        assertThat(s.totalOk()).isEqualTo(101);
        assertThat(s.totalErrors()).isEqualTo(3);
    }

    @Test
    void connectFailuresAreClassified() {
        assertThat(LoadRun.classify(new java.net.ConnectException("Connection refused"))).isEqualTo("connect");
        assertThat(LoadRun.classify(new io.netty.channel.ConnectTimeoutException("t"))).isEqualTo("connect-timeout");
        assertThat(LoadRun.classify(new io.netty.handler.codec.DecoderException(
                new javax.net.ssl.SSLHandshakeException("bad certificate")))).isEqualTo("tls");
        assertThat(LoadRun.classify(new io.netty.handler.ssl.SslHandshakeTimeoutException("slow")))
                .isEqualTo("tls-timeout");
    }
}
