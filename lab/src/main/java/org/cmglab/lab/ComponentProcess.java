package org.cmglab.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.runtime.ClassDataSharing;

/**
 * One component running as its own OS process: {@code java -jar <module>.jar --config <file>}, with stdout and
 * stderr appended to {@code <logDir>/<name>.out}.
 */
public final class ComponentProcess {
    static final Duration POLL = Duration.ofMillis(100);
    static final Duration STOP_GRACE = Duration.ofSeconds(10);

    private final String name;
    private final Path jar;
    private final Path config;
    private final Endpoint admin;
    private final Path out;
    private final HttpClient http;
    private Process process;
    private List<String> commandPrefix = List.of();
    private java.util.function.Function<Path, List<String>> jvmOptions = jar -> List.of();
    /** Set explicitly by {@link #adminToken(java.util.Optional)}; null: the token file of the config's lab. */
    private java.util.Optional<String> adminToken;

    public ComponentProcess(String name, Path jar, Path config, Endpoint admin, Path logDir, HttpClient http) {
        this.name = name;
        this.jar = jar;
        this.config = config;
        this.admin = admin;
        this.out = logDir.resolve(name + ".out");
        this.http = http;
    }

    /**
     * The lab's admin token for a config file in {@code <state>/config/}: {@code <state>/pki/admin-token} when it
     * exists (looked up at most three folders up), else empty (an unprotected admin endpoint).
     */
    static java.util.Optional<String> findAdminToken(Path config) {
        Path dir = config.toAbsolutePath().getParent();
        for (int i = 0; i < 3 && dir != null; i++, dir = dir.getParent()) {
            java.util.Optional<String> t = org.cmglab.proto.runtime.AdminToken.read(dir.resolve("pki"));
            if (t.isPresent()) {
                return t;
            }
        }
        return java.util.Optional.empty();
    }

    /** Sets the admin token handed to the process ({@code CMGLAB_ADMIN_TOKEN}); set before {@link #start()}. */
    public synchronized void adminToken(java.util.Optional<String> token) {
        this.adminToken = java.util.Objects.requireNonNull(token, "token");
    }

    /** The admin token this process was (or will be) given; empty when its admin endpoint is unprotected. */
    public synchronized java.util.Optional<String> adminToken() {
        return adminToken != null ? adminToken : findAdminToken(config);
    }

    /** Puts the admin token ({@code CMGLAB_ADMIN_TOKEN}) into a child's environment, or removes a stray one. */
    void applyEnvironment(java.util.Map<String, String> env) {
        env.remove(org.cmglab.proto.runtime.AdminToken.ENV);
        adminToken().ifPresent(t -> env.put(org.cmglab.proto.runtime.AdminToken.ENV, t));
    }

    /** A request builder for this process's admin endpoint with its admin token attached. */
    public HttpRequest.Builder adminRequest(String pathAndQuery) {
        return org.cmglab.proto.runtime.AdminToken.authorize(HttpRequest.newBuilder(adminUri(pathAndQuery)), adminToken());
    }

    public String name() { return name; }
    public Endpoint admin() { return admin; }
    public Path outFile() { return out; }

    /** The command line of a component JVM. */
    public static List<String> javaCommand(Path jar, List<String> args) {
        return javaCommand(jar, List.of(), args);
    }

    /** The command line of a component JVM with extra JVM options (e.g. {@link ClassDataSharing#jvmOptions}). */
    public static List<String> javaCommand(Path jar, List<String> jvmOptions, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String leak = System.getProperty("cmglab.leakLevel", "simple");
        cmd.add("-Dio.netty.leakDetection.level=" + leak);
        cmd.add("-Dcmglab.leakLevel=" + leak); // azure-sim passes it on to the CMG instances it starts
        cmd.addAll(jvmOptions);
        cmd.add("-jar");
        cmd.add(jar.toString());
        cmd.addAll(args);
        return cmd;
    }

    /**
     * Where the JVM options of each start come from (asked at every {@link #start()}: e.g. the AppCDS archive once it
     * is built); none by default.
     */
    public synchronized void jvmOptions(java.util.function.Function<Path, List<String>> forJar) {
        this.jvmOptions = java.util.Objects.requireNonNull(forJar, "forJar");
    }

    /**
     * Words put before the {@code java} command line when the process starts, e.g. {@code ip netns exec <ns>} to run
     * the component in a network namespace (empty by default).
     */
    public synchronized void commandPrefix(List<String> prefix) {
        this.commandPrefix = List.copyOf(prefix);
    }

    /** {@code prefix} followed by {@code command}. */
    public static List<String> prefixed(List<String> prefix, List<String> command) {
        List<String> all = new ArrayList<>(prefix);
        all.addAll(command);
        return all;
    }

    public synchronized void start() {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(name + ": " + jar + " is missing (build with ./mvnw -B -DskipTests package)");
        }
        try {
            Files.createDirectories(out.getParent());
            Files.writeString(out, "--- cmglab: starting " + name + " at " + java.time.Instant.now() + "\n",
                    StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            ProcessBuilder pb = new ProcessBuilder(prefixed(commandPrefix,
                            javaCommand(jar, jvmOptions.apply(jar), List.of("--config", config.toString()))))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()));
            applyEnvironment(pb.environment());
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    public synchronized Process process() {
        return process;
    }

    public boolean isAlive() {
        Process p = process();
        return p != null && p.isAlive();
    }

    public long pid() {
        Process p = process();
        return p == null ? -1 : p.pid();
    }

    /** Polls the admin {@code /ready} until it answers 200; fails fast with the tail of the .out if the process exits. */
    public void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer yet";
        while (true) {
            Process p = process();
            if (p == null) {
                throw new IllegalStateException(name + " was not started");
            }
            if (!p.isAlive()) {
                throw new IllegalStateException(name + " exited with code " + p.exitValue()
                        + " before it was ready; last lines of " + out + ":\n" + tail(out, 20));
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(adminUri("/ready"))
                        .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = "/ready answered " + r.statusCode();
            } catch (IOException e) {
                last = "/ready: " + e;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " not ready within " + timeout.toSeconds() + " s (" + last
                        + " at " + adminUri("/ready") + "); last lines of " + out + ":\n" + tail(out, 20));
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    public URI adminUri(String pathAndQuery) {
        return URI.create("http://" + admin.address() + ":" + admin.port() + pathAndQuery);
    }

    /** GET on the admin endpoint; the body on 200, else an exception naming the status. */
    public String adminGet(String pathAndQuery) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(adminUri(pathAndQuery))
                .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException(name + " " + pathAndQuery + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    /** SIGTERM, wait up to 10 s, then kill (and any children left). */
    public void stop() {
        Process p = process();
        if (p == null) {
            return;
        }
        List<ProcessHandle> children = p.descendants().toList();
        p.destroy();
        try {
            if (!p.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        children.forEach(h -> {
            if (h.isAlive()) {
                h.destroyForcibly();
            }
        });
    }

    /** SIGKILL (a crash, for failure tests); waits until it is gone. */
    public void kill() {
        Process p = process();
        if (p == null) {
            return;
        }
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String tail(Path file, int lines) {
        return org.cmglab.proto.runtime.ChildProcesses.tail(file, lines);
    }
}
