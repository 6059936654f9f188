package org.cmglab.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class CpuMeterTest {
    @Test
    void utimePlusStimeAfterACommWithSpacesAndParentheses() {
        String stat = "4108 (java (main) x) S 1 4108 4108 0 -1 4194560 95911 0 12 0 1234 567 0 0 20 0 42 0 100 0 0";
        assertThat(CpuMeter.parseTicks(stat)).isEqualTo(1234 + 567);
    }

    @Test
    void perRequestIsTheDeltaInMicroseconds() {
        Map<String, Double> m = CpuMeter.perRequest(Map.of("cmg-service#1", 1.0), Map.of("cmg-service#1", 3.0), 1000);
        assertThat(m).containsEntry("cpuUs.cmg-service#1", 2000.0);
        assertThat(CpuMeter.perRequest(Map.of(), Map.of("x", 1.0), 0)).isEmpty();
    }

    @Test
    void ownProcessReadsSomeCpuAndAGoneOneReadsZero() {
        assertThat(CpuMeter.ticks(ProcessHandle.current().pid())).isPositive();
        assertThat(CpuMeter.ticks(Integer.MAX_VALUE)).isZero();
    }
}
