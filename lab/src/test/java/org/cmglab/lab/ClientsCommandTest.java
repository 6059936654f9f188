package org.cmglab.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ClientsCommandTest {
    @TempDir
    Path state;

    @Test
    void withoutARunningLabItSaysSoAndExitsWithUsage() throws Exception {
        ClientsCommand c = new ClientsCommand();
        new CommandLine(c).parseArgs("--count", "10", "--state", state.toString());
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        c.out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        assertThat(c.call()).isEqualTo(CmgLabMain.EXIT_USAGE);
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("no lab is running in " + state)
                .contains("cmglab up");
    }

    @Test
    void theRunningLabsOptionsGiveItsPlanAndTheLoadCommandUsesItsConfigAndCa() {
        RunningLab running = new RunningLab(ProcessHandle.current().pid(),
                List.of("--net", "91", "--port-offset", "31000", "--instances", "2", "--keep"), 91, 31000,
                "http://127.91.0.1:39080/", "127.91.0.1:40090", "2026-11-29T09:00:00Z");
        running.write(state);
        assertThat(RunningLab.find(state)).contains(running);

        LabPlan plan = ClientsCommand.planOf(running, state);
        assertThat(plan.net()).isEqualTo(91);
        assertThat(plan.portOffset()).isEqualTo(31000);
        assertThat(plan.stateDir()).isEqualTo(state);

        ClientsCommand c = new ClientsCommand();
        new CommandLine(c).parseArgs("--count", "2500", "--duration", "2m", "--mix", "location=1", "--rate", "300",
                "--json", "out.json");
        List<String> cmd = c.command(plan);
        String joined = String.join(" ", cmd);
        assertThat(cmd).contains("-jar", plan.jar(LabPlan.CLIENT_SIM).toString());
        assertThat(joined).contains("--config " + plan.configFile(LabPlan.CLIENT_SIM) + " load --count 2500"
                + " --duration 2m --auth pki --ca-dir " + plan.pkiDir() + " --pool-dir " + state.resolve("load-pool"))
                .contains("--rate 300").contains("--mix location=1").contains("--json " + Path.of("out.json")
                        .toAbsolutePath());
        assertThat(joined).doesNotContain("--requests", "--active");
    }

    @Test
    void durationsAreReadLikeClientSimReadsThem() {
        assertThat(ClientsCommand.parseDuration("90")).isEqualTo(Duration.ofSeconds(90));
        assertThat(ClientsCommand.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(ClientsCommand.parseDuration("750ms")).isEqualTo(Duration.ofMillis(750));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ClientsCommand.parseDuration("later"))
                .hasMessageContaining("--duration: later");
    }
}
