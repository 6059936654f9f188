package org.cmglab.netdev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.cmglab.proto.config.NetworkDeviceConfig.Rules;
import org.cmglab.proto.config.NetworkDeviceConfig.VerbBlock;
import org.junit.jupiter.api.Test;

class RuleSetTest {
    @Test
    void stripBlockAndUndoRestoreEachPreviousState() {
        RuleSet rs = new RuleSet(null);
        rs.strip("Range");
        rs.strip("range"); // same header, no change
        rs.block("PROPFIND", null);
        assertThat(rs.stripHeaders()).containsExactly("Range");
        assertThat(rs.blockOf("PROPFIND")).contains(new VerbBlock("PROPFIND", "reject"));
        assertThat(rs.blockOf("propfind")).as("methods are case-sensitive").isEmpty();
        rs.block("PROPFIND", "reset");
        assertThat(rs.blockOf("PROPFIND").orElseThrow().action()).isEqualTo("reset");
        rs.undo();
        assertThat(rs.blockOf("PROPFIND").orElseThrow().action()).isEqualTo("reject");
        rs.undo();
        assertThat(rs.blockOf("PROPFIND")).isEmpty();
        rs.undo();
        assertThat(rs.rules()).isEqualTo(Rules.ALLOW_ALL);
        assertThatThrownBy(rs::undo).isInstanceOf(IllegalStateException.class).hasMessageContaining("nothing to undo");
    }

    @Test
    void allowingWhatIsNotDeniedIsAClientMistake() {
        RuleSet rs = new RuleSet(new Rules(List.of("Range"), List.of()));
        assertThatThrownBy(() -> rs.allowHeader("CCMClientID")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[Range]");
        assertThatThrownBy(() -> rs.allowVerb("GET")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> rs.strip("bad name")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> rs.block("GET", "drop")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reject or reset");
        rs.allowHeader("range");
        assertThat(rs.stripHeaders()).isEmpty();
    }

    @Test
    void countersAreKeptPerHeaderAndVerb() {
        RuleSet rs = new RuleSet(null);
        rs.countStripped("Range");
        rs.countStripped("RANGE");
        rs.countBlocked("PROPFIND");
        rs.countForwarded();
        assertThat(rs.counters().stripped()).containsEntry("range", 2L);
        assertThat(rs.counters().blocked()).containsEntry("PROPFIND", 1L);
        assertThat(rs.counters().forwarded()).isEqualTo(1);
    }

    @Test
    void historyIsBounded() {
        RuleSet rs = new RuleSet(null);
        for (int i = 0; i < RuleSet.HISTORY + 10; i++) {
            rs.strip("H" + i);
        }
        for (int i = 0; i < RuleSet.HISTORY; i++) {
            rs.undo();
        }
        assertThatThrownBy(rs::undo).isInstanceOf(IllegalStateException.class);
        assertThat(rs.stripHeaders()).hasSize(10);
    }
}
