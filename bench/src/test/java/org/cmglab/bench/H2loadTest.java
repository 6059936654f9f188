package org.cmglab.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class H2loadTest {
    private static final String OUT = """
            finished in 3.00s, 10000.00 req/s, 30.00MB/s
            requests: 30002 total, 30002 started, 30000 done, 29990 succeeded, 10 failed, 0 errored, 0 timeout
            status codes: 29990 2xx, 0 3xx, 4 4xx, 6 5xx
            """;

    @Test
    void rpsAndErrorsFromTheSummaryPercentilesFromTheLog() {
        List<String> log = new ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            log.add("1795944489946094\t200\t" + (i * 1000));
        }
        log.add("1795944489946094\t503\t999999"); // refusals do not count in the latency of answered requests
        Wrk.Summary s = H2load.parse(OUT, log);
        assertThat(s.rps()).isEqualTo(10000.0);
        assertThat(s.requests()).isEqualTo(30000);
        assertThat(s.errors()).isEqualTo(10);
        assertThat(s.p50Ms()).isEqualTo(50.0);
        assertThat(s.p99Ms()).isEqualTo(99.0);
        assertThat(s.maxMs()).isEqualTo(100.0);
    }

    @Test
    void noSummaryIsAnError() {
        assertThatThrownBy(() -> H2load.parse("connect: Connection refused", List.of()))
                .hasMessageContaining("no summary");
    }

    @Test
    void theVerbIsOverriddenAndOneRequestIsInFlightPerConnection() {
        List<String> cmd = H2load.command(new Wrk.Request("CCM_POST", "https://127.1.3.10:443/ccm_system_tokenauth/request",
                Map.of("CcmTokenAuth", "1"), new byte[] {1}), 64, Duration.ofSeconds(10), Path.of("/w/b"), Path.of("/w/l"));
        assertThat(cmd).containsSubsequence("--h1", "-c", "64", "-m", "1", "-D", "10", "-d", "/w/b", "-H",
                ":method: CCM_POST", "-H", "CcmTokenAuth: 1", "https://127.1.3.10:443/ccm_system_tokenauth/request");
        assertThat(H2load.pct(new long[0], 99)).isNaN();
    }
}
