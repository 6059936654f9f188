package org.cmglab.proto.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LabClockTest {
    @AfterEach
    void reset() {
        LabClock.skew(Duration.ZERO);
    }

    @Test
    void adminActionSkewsTheClockTokenChecksRead() throws Exception {
        AdminAction a = LabClock.adminAction("cmg-service-0");
        @SuppressWarnings("unchecked")
        Map<String, Object> r = (Map<String, Object>) a.run(Map.of("skew", List.of("3600")), "");
        assertThat(r).containsEntry("skewSeconds", 3600L).containsEntry("component", "cmg-service-0");
        Instant lab = LabClock.clock().instant();
        assertThat(Duration.between(Instant.now(), lab).toSeconds()).isBetween(3595L, 3600L);
        assertThat(LabClock.clock().millis() - System.currentTimeMillis()).isBetween(3_595_000L, 3_600_500L);
        a.run(Map.of("skew", List.of("0")), "");
        assertThat(Duration.between(Instant.now(), LabClock.clock().instant()).abs().toSeconds()).isLessThan(5);
    }

    @Test
    void withoutSkewItOnlyReportsAndBadValuesAre400s() throws Exception {
        AdminAction a = LabClock.adminAction("site-sim");
        LabClock.skew(Duration.ofSeconds(-900));
        @SuppressWarnings("unchecked")
        Map<String, Object> r = (Map<String, Object>) a.run(Map.of(), "");
        assertThat(r).containsEntry("skewSeconds", -900L);
        assertThatThrownBy(() -> a.run(Map.of("skew", List.of("1h")), "")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("whole seconds");
        assertThatThrownBy(() -> a.run(Map.of("skew", List.of("999999999999")), ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: -");
        assertThat(LabClock.skew()).isEqualTo(Duration.ofSeconds(-900));
    }
}
