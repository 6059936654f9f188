package org.cmglab.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.cmglab.proto.runtime.AdminToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lab's admin token: written by materialize (0600), handed to every component process, sent on admin POSTs. */
class AdminTokenPlanTest {

    @Test
    void materializeWritesTheTokenAndEveryComponentGetsIt(@TempDir Path tmp) throws Exception {
        LabPlan p = LabPlan.builder().home(tmp).stateDir(tmp.resolve("state")).net(124).portOffset(20_000).build();
        p.materialize();
        Path file = p.adminTokenFile();
        assertThat(file).isEqualTo(p.pkiDir().resolve("admin-token"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        String token = Files.readString(file).strip();
        assertThat(token).hasSizeGreaterThanOrEqualTo(40);
        p.materialize();
        assertThat(Files.readString(file).strip()).as("stable across re-plans").isEqualTo(token);

        for (LabPlan.Component c : p.components()) {
            ComponentProcess cp = new ComponentProcess(c.name(), p.jar(c.module()), c.config(), c.admin(), p.logDir(),
                    HttpClient.newHttpClient());
            Map<String, String> env = new HashMap<>(Map.of(AdminToken.ENV, "stale", "PATH", "/bin"));
            cp.applyEnvironment(env);
            assertThat(env).as(c.name()).containsEntry(AdminToken.ENV, token).containsEntry("PATH", "/bin");
            assertThat(cp.adminRequest("/x").GET().build().headers().firstValue("Authorization"))
                    .contains("Bearer " + token);
        }
    }

    @Test
    void aLabWithoutATokenStartsChildrenWithoutOne(@TempDir Path tmp) {
        ComponentProcess cp = new ComponentProcess("x", tmp.resolve("x.jar"), tmp.resolve("config/x.json"),
                new org.cmglab.proto.config.Endpoint("127.0.0.1", 1), tmp, HttpClient.newHttpClient());
        Map<String, String> env = new HashMap<>(Map.of(AdminToken.ENV, "inherited"));
        cp.applyEnvironment(env);
        assertThat(env).doesNotContainKey(AdminToken.ENV);
        cp.adminToken(Optional.of("explicit"));
        cp.applyEnvironment(env);
        assertThat(env).containsEntry(AdminToken.ENV, "explicit");
        assertThat(cp.adminRequest("/x").GET().build().headers().firstValue("Authorization")).contains("Bearer explicit");
    }
}
