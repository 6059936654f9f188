package org.cmglab.lab;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.cmglab.proto.runtime.Json;

/**
 * A lab kept running in the background by {@code cmglab up}: its supervisor process writes {@code <state>/lab.json}
 * when it starts and removes it when it stops. {@code cmglab status}, {@code down}, {@code demo}, {@code analyze},
 * {@code clients} and {@code fault} find the lab through this file.
 *
 * @param pid        the supervisor's process id
 * @param options    the {@code cmglab up} options the lab was started with (e.g. {@code --instances 2}); parsed again
 *                   they give the same {@link LabPlan}
 * @param net        second octet of the lab addresses
 * @param portOffset port offset
 * @param dashboard  the live data-flow page, e.g. {@code http://127.77.0.1:8080/}
 * @param admin      the supervisor's admin API, e.g. {@code http://127.77.0.1:9090}
 * @param startedAt  ISO-8601 instant the supervisor started
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RunningLab(long pid, List<String> options, int net, int portOffset, String dashboard, String admin,
                         String startedAt) {
    public static final String FILE = "lab.json";

    public RunningLab {
        options = options == null ? List.of() : List.copyOf(options);
        Objects.requireNonNull(admin, "admin");
    }

    /** {@code <stateDir>/lab.json}. */
    public static Path file(Path stateDir) {
        return stateDir.resolve(FILE);
    }

    /**
     * The lab recorded in {@code stateDir}, if its file exists and its supervisor process is alive; a file left by
     * a supervisor that died is ignored (and deleted).
     */
    public static Optional<RunningLab> find(Path stateDir) {
        Path f = file(stateDir);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        RunningLab lab;
        try {
            lab = Json.MAPPER.readValue(f.toFile(), RunningLab.class);
        } catch (IOException e) {
            return Optional.empty();
        }
        if (ProcessHandle.of(lab.pid()).map(ProcessHandle::isAlive).orElse(false)) {
            return Optional.of(lab);
        }
        try {
            Files.deleteIfExists(f);
        } catch (IOException ignored) {
            // a stale file we cannot delete is still ignored
        }
        return Optional.empty();
    }

    /** Writes this record to {@code <stateDir>/lab.json} (atomically: a temp file moved into place). */
    public void write(Path stateDir) {
        try {
            Files.createDirectories(stateDir);
            Path tmp = Files.createTempFile(stateDir, FILE, ".tmp");
            Json.MAPPER.writeValue(tmp.toFile(), this);
            Files.move(tmp, file(stateDir), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file(stateDir) + ": " + e.getMessage(), e);
        }
    }

    /** Removes {@code <stateDir>/lab.json} if present. */
    public static void remove(Path stateDir) {
        try {
            Files.deleteIfExists(file(stateDir));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + file(stateDir) + ": " + e.getMessage(), e);
        }
    }
}
