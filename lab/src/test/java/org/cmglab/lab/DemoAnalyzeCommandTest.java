package org.cmglab.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The usage errors and exit codes of {@code cmglab demo} and {@code cmglab analyze} that need no lab. */
class DemoAnalyzeCommandTest {
    @TempDir
    Path tmp;
    final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    final PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);

    @BeforeEach
    void home() {
        System.setProperty("cmglab.home", tmp.toString());
    }

    @AfterEach
    void clearHome() {
        System.clearProperty("cmglab.home");
    }

    <T> T parse(T command, String... args) {
        new CommandLine(command).parseArgs(args);
        return command;
    }

    String text() {
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void anUnknownAuthModeIsAUsageError() throws Exception {
        CmgLabMain.Demo demo = parse(new CmgLabMain.Demo(), "--state", tmp.toString(), "--auth", "kerberos");
        assertThat(demo.run(out)).isEqualTo(CmgLabMain.EXIT_USAGE);
        assertThat(text()).contains("--auth: kerberos (expected: pki, entra or token)");
        AnalyzeCommand analyze = parse(new AnalyzeCommand(), "--state", tmp.toString(), "--auth", "ntlm");
        assertThat(analyze.run(out)).isEqualTo(CmgLabMain.EXIT_USAGE);
    }

    @Test
    void killingTheConnectionPointOfTheRunningLabIsRefused() throws Exception {
        new RunningLab(ProcessHandle.current().pid(), List.of("--net", "131"), 131, 20000, "http://127.131.0.1:28080/",
                "http://127.131.0.1:29090", "2026-11-29T09:00:00Z").write(tmp);
        CmgLabMain.Demo demo = parse(new CmgLabMain.Demo(), "--state", tmp.toString(), "--kill-connection-point");
        assertThat(demo.run(out)).isEqualTo(CmgLabMain.EXIT_USAGE);
        assertThat(text()).contains("only works on a lab the demo starts itself").contains("cmglab fault cut-channel");
    }

    @Test
    void analyzeWithoutALabAndWithoutStartSaysSo() throws Exception {
        AnalyzeCommand analyze = parse(new AnalyzeCommand(), "--state", tmp.toString());
        assertThat(analyze.run(out)).isEqualTo(AnalyzeCommand.EXIT_NO_LAB);
        assertThat(text()).contains("no lab is up in").contains("cmglab analyze --start");
    }

    @Test
    void bothCommandsDocumentTheirExitCodes() {
        String demoHelp = new CommandLine(new CmgLabMain()).getSubcommands().get("demo").getUsageMessage();
        assertThat(demoHelp).contains("Exit codes:").contains("6").contains("C1-C6").contains("--auth");
        String analyzeHelp = new CommandLine(new CmgLabMain()).getSubcommands().get("analyze").getUsageMessage();
        assertThat(analyzeHelp).contains("Exit codes:").contains("8").contains("--start").contains("--json");
    }
}
