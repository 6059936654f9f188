package org.cmglab.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class BenchMainTest {
    @Test
    void aChildProcessWithItsOwnNameIsCountedOnceUnderThatName() {
        // azure-sim (10) started the CMG instance JVM (20), which the lab also knows as cmg-service; nginx (30) has a
        // worker (31) that only its parent names.
        Map<Long, String> byPid = new LinkedHashMap<>();
        byPid.put(10L, "azure-sim");
        byPid.put(20L, "cmg-service");
        byPid.put(30L, "nginx");
        Map<String, Long> all = BenchMain.withDescendants(byPid, pid -> switch (pid.intValue()) {
            case 10 -> Stream.of(20L);
            case 30 -> Stream.of(31L);
            default -> Stream.empty();
        });
        assertThat(all).containsOnlyKeys("azure-sim#10", "cmg-service#20", "nginx#30", "nginx#31");
    }

    @Test
    void warmUpSettlesWhenTwoSlicesAgreeWithinTenPercent() {
        assertThat(BenchMain.warmedUp(-1, 500)).isFalse();   // the first slice never settles
        assertThat(BenchMain.warmedUp(300, 480)).isFalse();  // still rising (JIT)
        assertThat(BenchMain.warmedUp(480, 520)).isTrue();
        assertThat(BenchMain.warmedUp(520, 470)).isTrue();
        assertThat(BenchMain.warmedUp(520, 460)).isFalse();
        assertThat(BenchMain.warmedUp(500, 0)).isFalse();
    }
}
