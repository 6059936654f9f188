package org.cmglab.bench.w3;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.Test;

class W3FiguresTest {

    @Test
    void perConnectionFiguresAndTheExtrapolationComeFromTheSnapshots() throws Exception {
        Map<String, Object> mem = Map.of(
                "baseline", Map.of("rss", 200_000L, "heapUsed", 20_000L, "fds", 80),
                "idle", Map.of("rss", 440_000L, "heapUsed", 110_000L, "fds", 15_080));
        JsonNode a = Json.MAPPER.readTree("{\"total\":{\"ok\":333,\"errors\":1,\"errorsByClass\":{\"timeout\":1},"
                + "\"p50Ms\":12.5,\"p99Ms\":80.0,\"maxMs\":95.0},\"connect\":{\"p99Ms\":900.0}}");
        JsonNode b = Json.MAPPER.readTree("{\"total\":{\"ok\":334,\"errors\":2,\"errorsByClass\":{\"timeout\":1,"
                + "\"http-503\":1},\"p50Ms\":14.0,\"p99Ms\":70.0,\"maxMs\":120.0},\"connect\":{\"p99Ms\":1200.0}}");
        Map<String, Object> f = W3Figures.compute(mem, 15_000, List.of(a, b));
        assertThat(f.get("kbRssPerIdleConnection")).isEqualTo(16.0);
        assertThat(f.get("heapBytesPerIdleConnection")).isEqualTo(6144L);
        assertThat(f.get("meetsGoal")).isEqualTo(true);
        assertThat(f.get("activeOk")).isEqualTo(667L);
        assertThat(f.get("activeErrors")).isEqualTo(3L);
        assertThat(f.get("activeErrorsByClass")).isEqualTo(Map.of("timeout", 2L, "http-503", 1L));
        assertThat(f.get("activeP99MsWorstProcess")).isEqualTo(80.0);
        assertThat(f.get("handshakeP99MsWorstProcess")).isEqualTo(1200.0);
        @SuppressWarnings("unchecked")
        Map<String, Object> x = (Map<String, Object>) f.get("extrapolation");
        assertThat(x.get("idleConnectionsMb")).isEqualTo(93.75);
        assertThat(x.get("instanceRssMb")).isEqualTo(289.06);
    }

    @Test
    void procStatusAndHeapInfoAreRead() {
        assertThat(ProcessMemory.statusField(List.of("Name:\tjava", "VmRSS:\t  123456 kB", "VmSwap: 0 kB"), "VmRSS"))
                .isEqualTo(123456);
        assertThat(ProcessMemory.heapUsed(" garbage-first heap   total 262144K, used 51234K [0x0, 0x1)\n"
                + "  region size 1024K")).isEqualTo(51234);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ProcessMemory.statusField(List.of("x: 1"), "VmRSS"))
                .hasMessageContaining("VmRSS");
    }

    @Test
    void theRssOfThisJvmIsReadable() throws Exception {
        assertThat(ProcessMemory.rssKb(ProcessHandle.current().pid())).isPositive();
        assertThat(ProcessMemory.openFds(ProcessHandle.current().pid())).isPositive();
    }
}
