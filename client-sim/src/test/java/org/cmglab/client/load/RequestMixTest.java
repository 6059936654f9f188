package org.cmglab.client.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestMixTest {

    @Test
    void everyCycleHasTheExactSharesInterleaved() {
        RequestMix mix = RequestMix.parse("location=60,policy=30,content=10");
        Map<LoadKind, Integer> seen = new EnumMap<>(LoadKind.class);
        for (long n = 0; n < 300; n++) {
            seen.merge(mix.pick(n), 1, Integer::sum);
        }
        assertThat(seen).containsEntry(LoadKind.LOCATION, 180).containsEntry(LoadKind.POLICY, 90)
                .containsEntry(LoadKind.CONTENT, 30).doesNotContainKey(LoadKind.MPLIST);
        // smooth: no kind comes in a block of more than its share of consecutive slots
        int run = 0;
        int longest = 0;
        for (long n = 1; n < 100; n++) {
            run = mix.pick(n) == mix.pick(n - 1) ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        assertThat(longest).isLessThan(3);
        assertThat(mix.toString()).isEqualTo("location=60,policy=30,content=10");
    }

    @Test
    void zeroWeightsAreDroppedAndOneKindAlone() {
        RequestMix mix = RequestMix.parse("mplist=5, policy=0");
        assertThat(mix.weights()).containsOnlyKeys(LoadKind.MPLIST);
        assertThat(mix.pick(0)).isEqualTo(LoadKind.MPLIST);
        assertThat(mix.pick(Long.MAX_VALUE)).isEqualTo(LoadKind.MPLIST);
    }

    @Test
    void badSpecsAreRefusedWithTheExpectation() {
        assertThatThrownBy(() -> RequestMix.parse("location")).hasMessageContaining("expected: kind=weight");
        assertThatThrownBy(() -> RequestMix.parse("download=5")).hasMessageContaining("expected: location, mplist");
        assertThatThrownBy(() -> RequestMix.parse("policy=x")).hasMessageContaining("integer weight");
        assertThatThrownBy(() -> RequestMix.parse("policy=-1")).hasMessageContaining("0..1000");
        assertThatThrownBy(() -> RequestMix.parse("policy=0")).hasMessageContaining("at least one positive");
        assertThatThrownBy(() -> RequestMix.parse("policy=1,policy=2")).hasMessageContaining("given twice");
    }
}
