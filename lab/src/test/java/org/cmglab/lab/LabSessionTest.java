package org.cmglab.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabSessionTest {
    @TempDir
    Path state;

    @Test
    void noLabFileMeansNoRunningLab() {
        assertThat(LabSession.attach(state, null, System.out)).isEmpty();
    }

    @Test
    void theRunningLabsPlanIsRebuiltFromItsOptionsIgnoringOthers() {
        System.setProperty("cmglab.home", state.toString());
        try {
            new RunningLab(ProcessHandle.current().pid(), List.of("--instances", "2", "--deployment", "classic",
                    "--proxy", "--auth", "entra", "--cloud", "usgov"), 131, 20000, "http://127.131.0.1:28080/",
                    "http://127.131.0.1:29090", "2026-11-29T09:00:00Z").write(state);
            try (LabSession s = LabSession.attach(state, null, new PrintStream(new ByteArrayOutputStream())).orElseThrow()) {
                assertThat(s.attached()).isTrue();
                assertThat(s.plan().net()).isEqualTo(131);
                assertThat(s.plan().portOffset()).isEqualTo(20000);
                assertThat(s.plan().instances()).isEqualTo(2);
                assertThat(s.plan().classic()).isTrue();
                assertThat(s.plan().cloud()).isEqualTo("AzureUSGovernmentCloud");
                assertThat(s.plan().stateDir()).isEqualTo(state.toAbsolutePath().normalize());
                assertThat(s.auth()).isEqualTo("entra");
                assertThat(s.since()).isEqualTo(java.time.Instant.parse("2026-11-29T09:00:00Z"));
            }
            try (LabSession s = LabSession.attach(state, "token", System.out).orElseThrow()) {
                assertThat(s.auth()).as("--auth of the command wins").isEqualTo("token");
            }
        } finally {
            System.clearProperty("cmglab.home");
        }
    }

    @Test
    void anUnknownAuthModeIsAUsageError() {
        assertThatThrownBy(() -> LabSession.checkAuth("kerberos")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected: pki, entra or token");
        assertThat(LabSession.checkAuth("PKI")).isEqualTo("pki");
    }
}
