package org.cmglab.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunningLabTest {
    @TempDir
    Path state;

    @Test
    void writtenByALiveProcessIsFound() {
        RunningLab lab = new RunningLab(ProcessHandle.current().pid(), List.of("--instances", "2"), 77, 20000,
                "http://127.77.0.1:28080/", "http://127.77.0.1:29090", "2026-11-29T09:00:00Z");
        lab.write(state);
        assertThat(RunningLab.find(state)).contains(lab);
        RunningLab.remove(state);
        assertThat(RunningLab.find(state)).isEmpty();
    }

    @Test
    void aFileLeftByADeadSupervisorIsIgnoredAndDeleted() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        new RunningLab(p.pid(), List.of(), 77, 0, null, "http://127.77.0.1:9090", null).write(state);
        assertThat(RunningLab.find(state)).isEmpty();
        assertThat(Files.exists(RunningLab.file(state))).isFalse();
    }

    @Test
    void garbageIsNotALab() throws Exception {
        Files.writeString(RunningLab.file(state), "{not json");
        assertThat(RunningLab.find(state)).isEmpty();
    }
}
