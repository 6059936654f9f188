package org.cmglab.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class WrkTest {
    @Test
    void parsesTheSummaryLineOfTheLuaScript() {
        String out = "Running 3s test @ https://127.1.3.10:20443/x\n  2 threads and 64 connections\n"
                + "BENCH_JSON {\"requests\":30000,\"durationUs\":3000000,\"bytes\":120000000,\"p50Us\":1500,"
                + "\"p90Us\":2500,\"p99Us\":9000,\"maxUs\":20000,\"meanUs\":1700.5,\"errConnect\":0,\"errRead\":1,"
                + "\"errWrite\":0,\"errStatus\":2,\"errTimeout\":0}\n";
        Wrk.Summary s = Wrk.Summary.parse(out);
        assertThat(s.requests()).isEqualTo(30000);
        assertThat(s.rps()).isEqualTo(10000.0);
        assertThat(s.p50Ms()).isEqualTo(1.5);
        assertThat(s.p99Ms()).isEqualTo(9.0);
        assertThat(s.errors()).isEqualTo(3);
    }

    @Test
    void aRunWithoutACompletedRequestIsAnError() {
        Wrk.Summary none = Wrk.Summary.parse("BENCH_JSON {\"requests\":0,\"durationUs\":3000000,\"bytes\":0,"
                + "\"p50Us\":0,\"p90Us\":0,\"p99Us\":0,\"maxUs\":0,\"meanUs\":0.0,\"errConnect\":0,\"errRead\":0,"
                + "\"errWrite\":0,\"errStatus\":0,\"errTimeout\":0}");
        assertThat(BenchMain.sample(none)).containsEntry("errors", 1.0);
    }

    @Test
    void noSummaryIsAnError() {
        assertThatThrownBy(() -> Wrk.Summary.parse("unable to connect to 127.1.3.10:20443 Connection refused"))
                .hasMessageContaining("no BENCH_JSON");
    }

    @Test
    void commandUsesTwoThreadsTheScriptAndBoundedTime() {
        assertThat(Wrk.command(Path.of("/tmp/r.lua"), 64, Duration.ofSeconds(10), "https://127.1.3.10:20443/"))
                .containsExactly("/usr/bin/wrk", "-t", "2", "-c", "64", "-d", "10s", "--timeout", "10s", "-s",
                        "/tmp/r.lua", "https://127.1.3.10:20443/");
    }

    @Test
    void curlResultLineIsParsed() {
        Curl.Transfer t = Curl.Transfer.parse("CURL_RESULT 200 67108864 0.500000\n");
        assertThat(t.status()).isEqualTo(200);
        assertThat(t.bytes()).isEqualTo(67108864L);
        assertThat(t.mbPerSecond()).isEqualTo(67108864 / 0.5 / 1e6);
        assertThatThrownBy(() -> Curl.Transfer.parse("curl: (7) Failed to connect")).hasMessageContaining("no result");
    }
}
