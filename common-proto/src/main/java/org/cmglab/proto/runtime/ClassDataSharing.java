package org.cmglab.proto.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Application class-data sharing (AppCDS, JDK 17) for the lab's JVMs: a component's classes (Netty, Jackson, Bouncy
 * Castle, logback, the lab's own) are parsed and verified once and mapped from an archive by every later start of the
 * same jar, which cuts the CPU a JVM spends starting up. Only start-up changes: the JIT and the code that runs are
 * the same.
 *
 * <ol>
 *   <li>The first start of a jar version runs with {@code -XX:DumpLoadedClassList=<dir>/<key>.<id>.classlist} (the
 *       JVM writes every class it loads while it runs, so a killed process still leaves its list).</li>
 *   <li>{@link #buildArchives} (the lab calls it after it stopped its processes) turns the longest list of each jar
 *       into {@code <dir>/<key>.jsa}: {@code java -Xshare:dump -XX:SharedClassListFile=… -XX:SharedArchiveFile=…
 *       -cp <jar>}.</li>
 *   <li>Later starts run with {@code -XX:SharedArchiveFile=<dir>/<key>.jsa} ({@code -Xshare:auto}: a JVM that cannot
 *       map it runs without it).</li>
 * </ol>
 * The key is the jar's name, size and modification time, so a rebuilt jar gets a new archive and an old archive is
 * never used with a new jar (the files of older keys are deleted when the new archive is built). A failed dump leaves
 * {@code <key>.failed} with the tool's output and is not tried again for that jar version.
 *
 * <p>The folder is the lab's git-ignored state folder ({@code <state>/cds}) unless {@value #DIR_PROPERTY} names
 * another (the e2e suite shares one between its labs); {@code -D}{@value #ENABLED_PROPERTY}{@code =false} turns it off.
 * Child JVMs that start JVMs of their own (azure-sim starts the CMG instances) get {@code -D}{@value #DIR_PROPERTY}.
 */
public final class ClassDataSharing {
    private static final Logger log = LoggerFactory.getLogger(ClassDataSharing.class);
    /** System property: the archive folder (a child JVM that starts JVMs reads it from here). */
    public static final String DIR_PROPERTY = "cmglab.cdsDir";
    /** System property: {@code false} turns AppCDS off. */
    public static final String ENABLED_PROPERTY = "cmglab.cds";
    static final String ARCHIVE = ".jsa";
    static final String CLASS_LIST = ".classlist";
    static final String FAILED = ".failed";

    private final Path dir;

    public ClassDataSharing(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    /** In {@value #DIR_PROPERTY}'s folder when that property is set (and AppCDS is not turned off). */
    public static Optional<ClassDataSharing> fromSystemProperties() {
        String d = System.getProperty(DIR_PROPERTY);
        return d == null || d.isBlank() || !enabled() ? Optional.empty() : Optional.of(new ClassDataSharing(Path.of(d)));
    }

    /** In {@value #DIR_PROPERTY}'s folder when set, else in {@code defaultDir}; empty when turned off. */
    public static Optional<ClassDataSharing> forLab(Path defaultDir) {
        if (!enabled()) {
            return Optional.empty();
        }
        String d = System.getProperty(DIR_PROPERTY);
        return Optional.of(new ClassDataSharing(d == null || d.isBlank() ? defaultDir : Path.of(d)));
    }

    private static boolean enabled() {
        return !"false".equalsIgnoreCase(System.getProperty(ENABLED_PROPERTY, "true"));
    }

    public Path dir() {
        return dir;
    }

    /**
     * The JVM options for a new process of {@code jar}: the archive when it is built, else a class list to build it
     * from; plus {@value #DIR_PROPERTY} for the JVMs it starts. Empty when the jar does not exist.
     */
    public List<String> jvmOptions(Path jar) {
        Optional<String> key = key(jar);
        if (key.isEmpty()) {
            return List.of();
        }
        List<String> opts = new ArrayList<>();
        opts.add("-D" + DIR_PROPERTY + "=" + dir);
        Path archive = dir.resolve(key.get() + ARCHIVE);
        if (Files.isRegularFile(archive)) {
            opts.add("-XX:SharedArchiveFile=" + archive);
            opts.add("-Xshare:auto");
        } else if (!Files.exists(dir.resolve(key.get() + FAILED))) {
            try {
                Files.createDirectories(dir);
                opts.add("-XX:DumpLoadedClassList=" + dir.resolve(key.get() + "." + UUID.randomUUID() + CLASS_LIST));
            } catch (IOException e) {
                log.debug("no class list for {}: {}", jar, e.toString());
            }
        }
        return opts;
    }

    /** True when {@code jar}'s current version has an archive. */
    public boolean hasArchive(Path jar) {
        return key(jar).map(k -> Files.isRegularFile(dir.resolve(k + ARCHIVE))).orElse(false);
    }

    /**
     * Builds the archive of each of {@code jars} that has a class list and no archive yet, one {@code java
     * -Xshare:dump} at a time, each bounded by {@code timeoutEach}; deletes the files of the jars' older versions.
     * Returns the archives built. Never throws: a jar whose dump fails keeps running without an archive.
     */
    public List<Path> buildArchives(List<Path> jars, Duration timeoutEach) {
        List<Path> built = new ArrayList<>();
        for (Path jar : jars.stream().distinct().toList()) {
            Optional<String> key = key(jar);
            if (key.isEmpty() || Files.isRegularFile(dir.resolve(key.get() + ARCHIVE))
                    || Files.exists(dir.resolve(key.get() + FAILED))) {
                continue;
            }
            Optional<Path> list = longestClassList(key.get());
            if (list.isEmpty()) {
                continue;
            }
            try {
                build(jar, key.get(), list.get(), timeoutEach).ifPresent(built::add);
            } catch (IOException e) {
                log.warn("AppCDS archive of {} not built: {}", jar.getFileName(), e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return built;
            }
        }
        return built;
    }

    private Optional<Path> build(Path jar, String key, Path list, Duration timeout)
            throws IOException, InterruptedException {
        Path archive = dir.resolve(key + ARCHIVE);
        Path tmp = dir.resolve(key + "." + UUID.randomUUID() + ".tmp");
        Path output = dir.resolve(key + ".dump.out");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xshare:dump", "-XX:SharedClassListFile=" + list, "-XX:SharedArchiveFile=" + tmp,
                "-cp", jar.toAbsolutePath().normalize().toString());
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!done) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        if (!done || p.exitValue() != 0 || !Files.isRegularFile(tmp)) {
            Files.deleteIfExists(tmp);
            String why = !done ? "not done within " + timeout.toSeconds() + " s" : "exit code " + p.exitValue();
            Files.writeString(dir.resolve(key + FAILED), String.join(" ", cmd) + "\n" + why + "\n"
                    + ChildProcesses.tail(output, 40) + "\n", StandardCharsets.UTF_8);
            log.warn("AppCDS archive of {} not built ({}); see {}", jar.getFileName(), why, dir.resolve(key + FAILED));
            return Optional.empty();
        }
        Files.move(tmp, archive, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.deleteIfExists(output);
        deleteOthers(jar, key);
        log.info("AppCDS archive of {} built in {} ms: {}", jar.getFileName(), (System.nanoTime() - t0) / 1_000_000,
                archive);
        return Optional.of(archive);
    }

    /** The class lists of {@code key} (one per process that recorded one); the longest first. */
    private Optional<Path> longestClassList(String key) {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(f -> f.getFileName().toString().startsWith(key + ".")
                            && f.getFileName().toString().endsWith(CLASS_LIST))
                    .max(Comparator.comparingLong(ClassDataSharing::size))
                    .filter(f -> size(f) > 0);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Deletes the class lists of {@code key} and every file of the jar's other versions. */
    private void deleteOthers(Path jar, String key) throws IOException {
        String base = baseName(jar) + "-";
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.toList()) {
                String n = f.getFileName().toString();
                boolean otherVersion = n.startsWith(base) && !n.startsWith(key + ".")
                        && n.substring(base.length()).matches("[0-9a-f]+-[0-9a-f]+\\..*");
                boolean ownList = n.startsWith(key + ".") && n.endsWith(CLASS_LIST);
                if (otherVersion || ownList) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            return 0;
        }
    }

    private static String baseName(Path jar) {
        String n = jar.getFileName().toString();
        return n.endsWith(".jar") ? n.substring(0, n.length() - 4) : n;
    }

    /**
     * {@code <name>-<size hex>-<mtime millis and JVM hex>}: a new key for a rebuilt jar and for another JVM (an
     * archive only maps into the JVM build that dumped it); empty when the jar cannot be read.
     */
    static Optional<String> key(Path jar) {
        try {
            long size = Files.size(jar);
            long mtime = Files.getLastModifiedTime(jar).toMillis();
            int jvm = (System.getProperty("java.home") + "|" + System.getProperty("java.vm.version")).hashCode();
            return Optional.of(baseName(jar) + "-" + Long.toHexString(size) + "-" + Long.toHexString(mtime)
                    + Integer.toHexString(jvm));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
