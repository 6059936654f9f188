package org.cmglab.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The supervisor's fault bookkeeping, without a lab behind it (so every admin call fails). */
class LabFaultsTest {
    @TempDir
    Path tmp;
    private LabProcesses lab;
    private LabFaults faults;

    private LabFaults faults(boolean proxy, boolean classic) {
        // net 254 with an offset nobody uses: every admin call is refused at once
        LabPlan plan = LabPlan.builder().home(tmp).stateDir(tmp.resolve("state")).net(254).portOffset(41234)
                .classic(classic).build();
        lab = new LabProcesses(plan, new PrintStream(new ByteArrayOutputStream()));
        faults = new LabFaults(lab, new LabTopology(plan, proxy), Map.of());
        return faults;
    }

    @AfterEach
    void close() {
        if (faults != null) {
            faults.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void badArgumentsAreRefusedAtOnceAndNothingIsRecorded() {
        LabFaults f = faults(false, true);
        assertThatThrownBy(() -> f.apply("melt-cpu", null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected one of");
        assertThatThrownBy(() -> f.apply("kill-instance", "3")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0..0");
        assertThatThrownBy(() -> f.apply("strip-header", "Bad Header")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("HTTP token");
        assertThatThrownBy(() -> f.apply("skew-clock", "site-sim soon")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("<component> <seconds>");
        assertThatThrownBy(() -> f.apply("skew-clock", "dns-server 60")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("component dns-server");
        assertThatThrownBy(() -> f.apply("stop-proxy", null)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("up --proxy");
        assertThatThrownBy(() -> f.undo("block-tcp-tls", null)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not active");
        assertThat(f.active()).isEmpty();
    }

    @Test
    void aFaultIsRecordedAtOnceAndFailsWithTheReasonWhenTheLabDoesNotAnswer() {
        LabFaults f = faults(false, true);
        assertThat(f.apply("block-tcp-tls", null)).containsEntry("fault", "block-tcp-tls");
        assertThat(f.active()).extracting(LabFaults.Active::name).containsExactly("block-tcp-tls");
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> f.active().get(0).state().equals(LabFaults.FAILED));
        assertThat(f.active().get(0).detail()).contains("/nsg?port=10140&access=Deny");
        // a failed fault can be applied again, or undone (which here fails too and says so)
        f.undo("block-tcp-tls", null);
        Awaitility.await().atMost(Duration.ofSeconds(20))
                .until(() -> f.active().get(0).state().equals(LabFaults.UNDO_FAILED));
        assertThat(f.active().get(0).detail()).startsWith("undo failed:");
    }

    @Test
    void theSameFaultCannotBeAppliedTwiceButOthersCanBeActiveSideBySide() {
        LabFaults f = faults(false, false);
        f.apply("strip-header", "Range");
        f.apply("strip-header", "CCMClientID");
        assertThatThrownBy(() -> f.apply("strip-header", "Range")).isInstanceOf(IllegalStateException.class);
        assertThat(f.active()).extracting(LabFaults.Active::name)
                .containsExactly("strip-header Range", "strip-header CCMClientID");
    }

    @Test
    void clockTargetsNameEveryInstanceForCmgService() {
        LabPlan plan = LabPlan.builder().home(tmp).stateDir(tmp.resolve("s")).net(254).portOffset(41234)
                .instances(3).build();
        lab = new LabProcesses(plan, new PrintStream(new ByteArrayOutputStream()));
        faults = new LabFaults(lab, new LabTopology(plan, false), Map.of());
        assertThat(faults.clockTargets("cmg-service")).containsExactly(plan.cmgAdmin(0), plan.cmgAdmin(1),
                plan.cmgAdmin(2));
        assertThat(faults.clockTargets("cmg-service-1")).containsExactly(plan.cmgAdmin(1));
        assertThat(faults.clockTargets("site-sim")).containsExactly(plan.siteSimAdmin());
        assertThat(LabFaults.skewArgs("site-sim -900")).isEqualTo(-900);
    }
}
