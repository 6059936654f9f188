package org.cmglab.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchReportTest {
    private static Map<String, Double> w1(double rps, double p99) {
        return Map.of("rps", rps, "p50Ms", 1.0, "p99Ms", p99, "errors", 0.0);
    }

    @Test
    void goalsAreRatiosOfMediansOfTheSameRun() {
        BenchReport r = new BenchReport();
        for (int i = 0; i < 3; i++) {
            r.samples("W1").add("direct", w1(30_000, 5));
            r.samples("W1").add("cmg", w1(9_000 + i * 1000, 8)); // median 10,000
            r.samples("W1").add("nginx", w1(12_500, 10));
            r.samples("W1").add("ssh", w1(5_000, 20));
            r.samples("W2").add("direct", Map.of("MBps", 1000.0, "errors", 0.0));
            r.samples("W2").add("cmg", Map.of("MBps", 500.0, "errors", 0.0));
            r.samples("W4").add("cmg", w1(9_000, 16));
            r.samples("W6").add("lab", Map.of("seconds", 12.0));
        }
        List<BenchReport.Goal> g = r.goals();
        assertThat(g).extracting(BenchReport.Goal::name).contains("CMG rps / nginx rps", "CMG rps / ssh -R rps");
        BenchReport.Goal vsNginx = g.get(0);
        assertThat(vsNginx.value()).hasValue(0.8);
        assertThat(vsNginx.verdict()).isEqualTo("missed");
        assertThat(g.get(1).value()).hasValue(2.0);
        assertThat(g.get(1).verdict()).isEqualTo("met");
        assertThat(g.get(2).value()).hasValue(0.8); // p99 8 vs 10: met
        assertThat(g.get(2).pass()).isTrue();
        assertThat(g.get(3).value()).hasValue(0.5); // W2 0.5 < 0.65
        assertThat(g.get(3).pass()).isFalse();
        assertThat(g.get(4).value()).hasValue(2.0); // W4 p99 16 / 8
        assertThat(g.get(5).verdict()).isEqualTo("not measured"); // no W5
        assertThat(g.get(6).value()).hasValue(12.0);
        assertThat(g.get(6).pass()).isFalse();

        String md = r.markdown();
        assertThat(md).contains("| W1 | CMG path (VIP → CMG → channel → CP → MP) | 3 | 10,000 rps | 1.00 | 8.00 | 0 |")
                .contains("| W2 | direct (client → MP) | 3 | 1,000 MB/s |")
                .contains("| W1: CMG rps / nginx rps | 0.80 | >= 1.00× | missed |");
        Map<String, Object> json = r.toJson();
        assertThat(json).containsKeys("workloads", "goals", "ratios");
        assertThat(((Map<?, ?>) json.get("ratios")).get("W1 nginx/direct rps")).isEqualTo(0.417);
    }

    @Test
    void aPathThatCouldNotBeMeasuredSaysWhy() {
        BenchReport r = new BenchReport();
        r.samples("W1").add("cmg", w1(1000, 2));
        r.samples("W1").fail("ssh", "ssh -R did not start: sshd exited");
        assertThat(r.markdown()).contains("| W1 | ssh -R tunnel → MP | 0 | not measured: ssh -R did not start: sshd exited |");
        assertThat(r.goals().get(1).verdict()).isEqualTo("not measured");
    }
}
