package org.cmglab.proto.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AppCDS for the lab's JVMs, with a real JVM: the first run of a jar records its classes, {@code buildArchives} makes
 * the archive, a later run maps the jar's classes from it ("source: shared objects file"); a rebuilt jar (other size
 * or time) never gets the old archive.
 */
class ClassDataSharingTest {
    @TempDir
    Path dir;

    /** A copy of picocli's jar (a small jar with a main class: {@code picocli.AutoComplete --help} exits 0). */
    private Path jar() throws Exception {
        Path src = Path.of(picocli.CommandLine.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path jar = dir.resolve("app").resolve("picocli-app.jar");
        Files.createDirectories(jar.getParent());
        Files.copy(src, jar);
        return jar;
    }

    /** Runs {@code java <options> -cp <jar> picocli.AutoComplete --help}; returns exit code and output. */
    private static Run run(Path jar, List<String> options, String... more) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(options);
        cmd.addAll(List.of(more));
        cmd.addAll(List.of("-cp", jar.toString(), "picocli.AutoComplete", "--help"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("java finished").isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    record Run(int exit, String output) {}

    @Test
    void firstRunRecordsTheClassesTheArchiveIsBuiltAndLaterRunsMapIt() throws Exception {
        Path jar = jar();
        ClassDataSharing cds = new ClassDataSharing(dir.resolve("cds"));

        List<String> first = cds.jvmOptions(jar);
        assertThat(first).contains("-D" + ClassDataSharing.DIR_PROPERTY + "=" + cds.dir());
        assertThat(first).anyMatch(o -> o.startsWith("-XX:DumpLoadedClassList=" + cds.dir().resolve("picocli-app-")));
        assertThat(first).noneMatch(o -> o.startsWith("-XX:SharedArchiveFile="));
        assertThat(run(jar, first).exit()).isZero();
        assertThat(cds.hasArchive(jar)).isFalse();

        List<Path> built = cds.buildArchives(List.of(jar), Duration.ofSeconds(120));
        assertThat(built).hasSize(1);
        assertThat(cds.hasArchive(jar)).isTrue();
        try (var files = Files.list(cds.dir())) {
            assertThat(files.map(f -> f.getFileName().toString())).as("class lists are deleted once built")
                    .noneMatch(n -> n.endsWith(".classlist"));
        }
        assertThat(cds.buildArchives(List.of(jar), Duration.ofSeconds(120))).as("built once per jar version").isEmpty();

        List<String> later = cds.jvmOptions(jar);
        assertThat(later).contains("-XX:SharedArchiveFile=" + built.get(0));
        assertThat(later).noneMatch(o -> o.startsWith("-XX:DumpLoadedClassList="));
        // -Xshare:on fails the start if the archive cannot be mapped; the jar's classes come from it
        Run mapped = run(jar, later, "-Xshare:on", "-Xlog:class+load=info");
        assertThat(mapped.exit()).as(mapped.output()).isZero();
        assertThat(mapped.output()).contains("picocli.CommandLine source: shared objects file");
    }

    @Test
    void aRebuiltJarGetsANewClassListNotTheOldArchive() throws Exception {
        Path jar = jar();
        ClassDataSharing cds = new ClassDataSharing(dir.resolve("cds"));
        String key = ClassDataSharing.key(jar).orElseThrow();
        Files.createDirectories(cds.dir());
        Files.writeString(cds.dir().resolve(key + ".jsa"), "an archive");
        assertThat(cds.jvmOptions(jar)).contains("-XX:SharedArchiveFile=" + cds.dir().resolve(key + ".jsa"));

        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 5_000));
        assertThat(ClassDataSharing.key(jar)).isPresent().get().isNotEqualTo(key);
        assertThat(cds.hasArchive(jar)).isFalse();
        assertThat(cds.jvmOptions(jar)).noneMatch(o -> o.startsWith("-XX:SharedArchiveFile="))
                .anyMatch(o -> o.startsWith("-XX:DumpLoadedClassList="));
    }

    @Test
    void aFailedDumpIsRecordedAndNotTriedAgain() throws Exception {
        Path jar = jar();
        ClassDataSharing cds = new ClassDataSharing(dir.resolve("cds"));
        String list = cds.jvmOptions(jar).stream().filter(o -> o.startsWith("-XX:DumpLoadedClassList="))
                .findFirst().orElseThrow().substring("-XX:DumpLoadedClassList=".length());
        Files.writeString(Path.of(list), "java/lang/Object\npicocli/CommandLine\n");

        // a dump that does not finish in time is killed and recorded as failed
        assertThat(cds.buildArchives(List.of(jar), Duration.ofMillis(1))).isEmpty();
        String key = ClassDataSharing.key(jar).orElseThrow();
        assertThat(cds.dir().resolve(key + ".failed")).content().contains("-Xshare:dump").contains("not done within");
        assertThat(cds.hasArchive(jar)).isFalse();
        assertThat(cds.jvmOptions(jar)).as("no class list and no archive after a failure")
                .noneMatch(o -> o.startsWith("-XX:"));
        assertThat(cds.buildArchives(List.of(jar), Duration.ofSeconds(120))).as("not tried again").isEmpty();
    }

    @Test
    void noOptionsForAMissingJarAndNoneWhenTurnedOff() {
        assertThat(new ClassDataSharing(dir).jvmOptions(dir.resolve("missing.jar"))).isEmpty();
        String before = System.getProperty(ClassDataSharing.ENABLED_PROPERTY);
        System.setProperty(ClassDataSharing.ENABLED_PROPERTY, "false");
        try {
            assertThat(ClassDataSharing.forLab(dir)).isEmpty();
        } finally {
            if (before == null) {
                System.clearProperty(ClassDataSharing.ENABLED_PROPERTY);
            } else {
                System.setProperty(ClassDataSharing.ENABLED_PROPERTY, before);
            }
        }
        assertThat(ClassDataSharing.forLab(dir)).map(ClassDataSharing::dir).hasValue(dir.toAbsolutePath().normalize());
    }
}
