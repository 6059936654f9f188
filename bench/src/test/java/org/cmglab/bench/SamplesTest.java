package org.cmglab.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class SamplesTest {
    @Test
    void medianOfOddAndEvenCounts() {
        assertThat(Samples.median(3, 1, 2)).isEqualTo(2);
        assertThat(Samples.median(4, 1, 3, 2)).isEqualTo(2.5);
        assertThat(Samples.median(7)).isEqualTo(7);
        assertThatThrownBy(Samples::median).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void mediansPerPathAndMetricAndRatios() {
        Samples s = new Samples();
        s.add("cmg", Map.of("rps", 100.0));
        s.add("cmg", Map.of("rps", 300.0));
        s.add("cmg", Map.of("rps", 200.0));
        s.add("nginx", Map.of("rps", 400.0));
        assertThat(s.median("cmg", "rps")).hasValue(200);
        assertThat(s.median("ssh", "rps")).isEmpty();
        assertThat(Samples.ratio(s.median("cmg", "rps"), s.median("nginx", "rps"))).hasValue(0.5);
        assertThat(Samples.ratio(s.median("cmg", "rps"), s.median("ssh", "rps"))).isEmpty();
        assertThat(Samples.ratio(OptionalDouble.of(1), OptionalDouble.of(0))).isEmpty();
    }
}
