package org.cmglab.client.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LoadOptionsTest {
    private static final RequestMix MIX = RequestMix.parse(RequestMix.DEFAULT);

    private static LoadOptions opts(int count, String auth, Duration d, long requests, int rate, int active) {
        return new LoadOptions(count, auth, MIX, d, requests, rate, active, 0, Duration.ofSeconds(5), null, null,
                null, null, false);
    }

    @Test
    void durationsInEveryUnit() {
        assertThat(LoadOptions.parseDuration("--duration", "500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(LoadOptions.parseDuration("--duration", "30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(LoadOptions.parseDuration("--duration", "2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(LoadOptions.parseDuration("--duration", "1h")).isEqualTo(Duration.ofHours(1));
        assertThat(LoadOptions.parseDuration("--duration", "45")).isEqualTo(Duration.ofSeconds(45));
        assertThatThrownBy(() -> LoadOptions.parseDuration("--duration", "soon"))
                .hasMessage("--duration: soon (expected: e.g. 500ms, 30s, 2m, 1h)");
    }

    @Test
    void boundsAreEnforced() {
        assertThat(opts(5000, "pki", Duration.ofMinutes(1), 100_000, 0, 1000).senders()).isEqualTo(1000);
        assertThat(opts(10, "pki", Duration.ofSeconds(1), 0, 0, 0).senders()).isEqualTo(10);
        assertThatThrownBy(() -> opts(0, "pki", Duration.ofSeconds(1), 0, 0, 0)).hasMessageContaining("--count: 0");
        assertThatThrownBy(() -> opts(20_001, "pki", Duration.ofSeconds(1), 0, 0, 0))
                .hasMessageContaining("1..20000");
        assertThatThrownBy(() -> opts(1, "pki", Duration.ofMinutes(61), 0, 0, 0)).hasMessageContaining("--duration");
        assertThatThrownBy(() -> opts(1, "pki", Duration.ZERO, 0, 0, 0)).hasMessageContaining("--duration");
        assertThatThrownBy(() -> opts(1, "pki", Duration.ofSeconds(1), 10_000_001, 0, 0))
                .hasMessageContaining("--requests");
        assertThatThrownBy(() -> opts(1, "pki", Duration.ofSeconds(1), 0, -1, 0)).hasMessageContaining("--rate");
        assertThatThrownBy(() -> opts(10, "pki", Duration.ofSeconds(1), 0, 0, 11)).hasMessageContaining("--active");
        assertThatThrownBy(() -> opts(10, "entra", Duration.ofSeconds(1), 0, 0, 0))
                .hasMessageContaining("--auth: entra");
    }
}
