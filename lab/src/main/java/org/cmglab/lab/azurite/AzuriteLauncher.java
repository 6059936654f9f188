package org.cmglab.lab.azurite;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import org.cmglab.lab.azurite.RunningAzurite.Mode;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.azure.AzuriteContainer;
import org.testcontainers.utility.MountableFile;

/**
 * Starts Azurite 3.35.0 for the lab: through Testcontainers when a Docker engine answers (and {@link
 * Builder#preferDocker(boolean)} is left on), otherwise from the npm package pinned in {@code tools/azurite}
 * (installed with {@code npm ci} from the committed lockfile on first use). Every port is bound on a loopback address
 * only. Prints exactly one line naming the mode; see {@link RunningAzurite#describe()}.
 */
public final class AzuriteLauncher {

    public static final String AZURITE_VERSION = "3.35.0";
    public static final String DOCKER_IMAGE = "mcr.microsoft.com/azure-storage/azurite:" + AZURITE_VERSION;
    public static final String ACCOUNT_NAME = "devstoreaccount1";
    /** The well-known, public Azurite / Storage Emulator development key; not a secret. */
    public static final String ACCOUNT_KEY =
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    /** Relative to the repository root. */
    public static final String TOOLS_DIR = "tools/azurite";

    private static final int CONTAINER_BLOB_PORT = 10000;
    private static final int CONTAINER_QUEUE_PORT = 10001;
    private static final int CONTAINER_TABLE_PORT = 10002;
    private static final boolean WINDOWS =
            System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");

    private final Path home;
    private final Path workDir;
    private final String host;
    private final int blobPort;
    private final int queuePort;
    private final int tablePort;
    private final boolean preferDocker;
    private final Path certPem;
    private final Path keyPem;
    private final Duration dockerProbeTimeout;
    private final Duration readyTimeout;
    private final Duration npmInstallTimeout;
    private final PrintStream out;
    private final List<String> commandPrefix;
    /** Account name → key; always starts with devstoreaccount1 (Azurite drops it when AZURITE_ACCOUNTS is set). */
    private final java.util.Map<String, String> accounts;

    private AzuriteLauncher(Builder b) {
        this.home = Objects.requireNonNull(b.home, "home (repository root) is required").toAbsolutePath().normalize();
        this.workDir = Objects.requireNonNull(b.workDir, "workDir is required").toAbsolutePath().normalize();
        this.host = requireLoopback(b.host);
        this.blobPort = requirePort(b.blobPort, "blobPort");
        this.queuePort = requirePort(b.queuePort, "queuePort");
        this.tablePort = requirePort(b.tablePort, "tablePort");
        this.commandPrefix = List.copyOf(b.commandPrefix);
        // a prefix (e.g. ip netns exec) applies to the npm process only; a container would not run under it
        this.preferDocker = b.preferDocker && commandPrefix.isEmpty();
        this.certPem = b.certPem;
        this.keyPem = b.keyPem;
        this.dockerProbeTimeout = b.dockerProbeTimeout;
        this.readyTimeout = b.readyTimeout;
        this.npmInstallTimeout = b.npmInstallTimeout;
        this.out = b.out;
        java.util.Map<String, String> a = new java.util.LinkedHashMap<>();
        a.put(ACCOUNT_NAME, ACCOUNT_KEY);
        a.putAll(b.accounts);
        this.accounts = java.util.Collections.unmodifiableMap(a);
    }

    /**
     * The {@code AZURITE_ACCOUNTS} value ({@code name:key;name:key}), or null when only devstoreaccount1 is wanted
     * (Azurite's default). Contains keys: never log it.
     */
    String azuriteAccountsEnv() {
        if (accounts.size() == 1) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        accounts.forEach((n, k) -> sb.append(sb.length() == 0 ? "" : ";").append(n).append(':').append(k));
        return sb.toString();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts Azurite and waits until it is ready. Prints the mode line to the configured stream. */
    public RunningAzurite start() {
        try {
            Files.createDirectories(workDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create Azurite work dir " + workDir, e);
        }
        int[] ports = choosePorts();
        String whyNotDocker;
        if (preferDocker) {
            DockerProbe probe = probeDocker(dockerProbeTimeout);
            if (probe.available) {
                return startDocker(ports);
            }
            whyNotDocker = "no Docker engine answered (" + probe.reason + ")";
        } else {
            whyNotDocker = "Docker not preferred";
        }
        return startNpm(ports, whyNotDocker);
    }

    // ---------------------------------------------------------------- Docker probe

    /** Outcome of asking Testcontainers for a Docker engine. */
    static final class DockerProbe {
        final boolean available;
        final String reason;
        final Duration took;

        DockerProbe(boolean available, String reason, Duration took) {
            this.available = available;
            this.reason = reason;
            this.took = took;
        }
    }

    /**
     * Asks {@link DockerClientFactory#isDockerAvailable()} on a daemon thread, giving up after {@code timeout}; never
     * throws. A probe that times out keeps running in the background (it cannot be interrupted reliably) but holds
     * nothing the JVM waits for.
     */
    static DockerProbe probeDocker(Duration timeout) {
        long t0 = System.nanoTime();
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "azurite-docker-probe");
            t.setDaemon(true);
            return t;
        });
        try {
            Future<Boolean> f = ex.submit(() -> DockerClientFactory.instance().isDockerAvailable());
            boolean ok = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            return new DockerProbe(ok, ok ? "Docker engine found" : noDockerReason() + ", checked in " + ms(took), took);
        } catch (TimeoutException e) {
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            return new DockerProbe(false, "Testcontainers gave no answer within " + ms(timeout), took);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new DockerProbe(false, "interrupted while probing Docker", Duration.ofNanos(System.nanoTime() - t0));
        } catch (Exception | LinkageError e) {
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            Throwable c = e.getCause() != null ? e.getCause() : e;
            return new DockerProbe(false, "Docker probe failed: " + c, took);
        } finally {
            ex.shutdownNow();
        }
    }

    private static String noDockerReason() {
        String dockerHost = System.getenv("DOCKER_HOST");
        if (dockerHost != null && !dockerHost.isBlank()) {
            return "Testcontainers found no valid Docker environment at DOCKER_HOST=" + dockerHost;
        }
        if (!WINDOWS && !Files.exists(Path.of("/var/run/docker.sock"))) {
            return "Testcontainers found no valid Docker environment; /var/run/docker.sock does not exist";
        }
        return "Testcontainers found no valid Docker environment";
    }

    // ---------------------------------------------------------------- Docker mode

    private RunningAzurite startDocker(int[] ports) {
        AzuriteContainer container = new TelemetryFreeAzuriteContainer(DOCKER_IMAGE);
        if (azuriteAccountsEnv() != null) {
            container.withEnv("AZURITE_ACCOUNTS", azuriteAccountsEnv());
        }
        if (https()) {
            container.withSsl(MountableFile.forHostPath(certPem), MountableFile.forHostPath(keyPem));
        }
        // Publish on the loopback address only (Testcontainers would otherwise publish on 0.0.0.0).
        container.withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withPortBindings(
                new PortBinding(Ports.Binding.bindIpAndPort(host, ports[0]), ExposedPort.tcp(CONTAINER_BLOB_PORT)),
                new PortBinding(Ports.Binding.bindIpAndPort(host, ports[1]), ExposedPort.tcp(CONTAINER_QUEUE_PORT)),
                new PortBinding(Ports.Binding.bindIpAndPort(host, ports[2]), ExposedPort.tcp(CONTAINER_TABLE_PORT))));
        try {
            container.start();
        } catch (RuntimeException e) {
            container.stop();
            throw new IllegalStateException("Azurite container " + DOCKER_IMAGE + " did not start: " + e, e);
        }
        int blob = container.getMappedPort(CONTAINER_BLOB_PORT);
        int queue = container.getMappedPort(CONTAINER_QUEUE_PORT);
        int table = container.getMappedPort(CONTAINER_TABLE_PORT);
        Endpoints ep = new Endpoints(scheme(), host, blob, queue, table);
        String line = "Azurite: Testcontainers " + DOCKER_IMAGE + ", blob " + ep.blobBase()
                + " (ports bound on " + host + " only)";
        try {
            waitUntilReady(ep, () -> container.isRunning() ? null : "container stopped",
                    () -> tail(container.getLogs(), 40));
        } catch (RuntimeException e) {
            container.stop();
            throw e;
        }
        out.println(line);
        return new Running(Mode.DOCKER, ep, line, null, container, accounts);
    }

    /** Adds {@code --disableTelemetry} to the command line that {@link AzuriteContainer} builds in configure(). */
    private static final class TelemetryFreeAzuriteContainer extends AzuriteContainer {
        TelemetryFreeAzuriteContainer(String image) {
            super(image);
        }

        @Override
        protected void configure() {
            super.configure();
            List<String> parts = new ArrayList<>(List.of(getCommandParts()));
            if (!parts.contains("--disableTelemetry")) {
                parts.add("--disableTelemetry");
            }
            withCommand(parts.toArray(new String[0]));
        }
    }

    // ---------------------------------------------------------------- npm mode

    private RunningAzurite startNpm(int[] ports, String whyNotDocker) {
        Path tools = home.resolve(TOOLS_DIR);
        Path bin = azuriteBin(tools);
        if (!Files.exists(bin)) {
            npmCi(tools);
            if (!Files.exists(bin)) {
                throw new IllegalStateException("`npm ci --no-audit --no-fund` in " + tools + " finished but " + bin
                        + " is still missing");
            }
        }
        String version = installedVersion(tools);
        Endpoints ep = new Endpoints(scheme(), host, ports[0], ports[1], ports[2]);

        List<String> cmd = new ArrayList<>(commandPrefix);
        cmd.addAll(List.of(bin.toString(),
                "--blobHost", host, "--blobPort", Integer.toString(ports[0]),
                "--queueHost", host, "--queuePort", Integer.toString(ports[1]),
                "--tableHost", host, "--tablePort", Integer.toString(ports[2]),
                "--location", workDir.toString(),
                "--debug", workDir.resolve("azurite-debug.log").toString(),
                "--disableTelemetry"));
        // Deliberately no --loose (strict mode makes unsupported headers/parameters fail loudly, which is what an
        // emulator test wants; the pinned Java SDK needs no loose mode) and no --skipApiVersionCheck (the SDK's
        // service versions are pinned in AzureStorageClients instead).
        if (https()) {
            cmd.addAll(List.of("--cert", certPem.toAbsolutePath().toString(),
                    "--key", keyPem.toAbsolutePath().toString()));
        }
        Path log = workDir.resolve("azurite.log");
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        if (azuriteAccountsEnv() != null) {
            pb.environment().put("AZURITE_ACCOUNTS", azuriteAccountsEnv());
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + bin + " (is Node.js on the PATH?): " + e.getMessage(), e);
        }
        Running running = new Running(Mode.NPM, ep, null, p, null, accounts);
        try {
            waitUntilReady(ep,
                    () -> p.isAlive() ? null : "azurite exited with code " + p.exitValue(),
                    () -> tailFile(log, 40));
        } catch (RuntimeException e) {
            running.close();
            throw e;
        }
        String line = "Azurite: npm " + TOOLS_DIR + " (azurite " + version + "), blob " + ep.blobBase()
                + " — " + whyNotDocker;
        running.line = line;
        out.println(line);
        return running;
    }

    private static Path azuriteBin(Path tools) {
        return tools.resolve("node_modules").resolve(".bin").resolve(WINDOWS ? "azurite.cmd" : "azurite");
    }

    private void npmCi(Path tools) {
        if (!Files.exists(tools.resolve("package-lock.json"))) {
            throw new IllegalStateException("Azurite is not installed and " + tools.resolve("package-lock.json")
                    + " is missing; is home (" + home + ") the repository root?");
        }
        String npm = WINDOWS ? "npm.cmd" : "npm";
        out.println("Azurite: installing " + TOOLS_DIR + " from package-lock.json (npm ci --no-audit --no-fund)");
        Path npmLog = workDir.resolve("npm-ci.log");
        Process p;
        try {
            p = new ProcessBuilder(npm, "ci", "--no-audit", "--no-fund")
                    .directory(tools.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(npmLog.toFile()))
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("Azurite needs `npm ci --no-audit --no-fund` in " + tools
                    + ", but npm could not be run (install Node.js 20 and npm): " + e.getMessage(), e);
        }
        try {
            if (!p.waitFor(npmInstallTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("`npm ci --no-audit --no-fund` in " + tools + " did not finish within "
                        + ms(npmInstallTimeout) + "; log " + npmLog + ":\n" + tailFile(npmLog, 30));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during `npm ci` in " + tools, e);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("`npm ci --no-audit --no-fund` in " + tools + " failed with exit code "
                    + p.exitValue() + "; log " + npmLog + ":\n" + tailFile(npmLog, 30));
        }
    }

    private static String installedVersion(Path tools) {
        Path pkg = tools.resolve("node_modules").resolve("azurite").resolve("package.json");
        try {
            Matcher m = Pattern.compile("\"version\"\\s*:\\s*\"([^\"]+)\"").matcher(Files.readString(pkg));
            return m.find() ? m.group(1) : "unknown version";
        } catch (IOException e) {
            return "unknown version";
        }
    }

    // ---------------------------------------------------------------- readiness

    private interface Liveness {
        /** null while alive, else why not. */
        String deadReason();
    }

    private interface LogTail {
        String get();
    }

    /**
     * Polls until blob, queue and table accept TCP and the blob endpoint answers HTTP (any status), failing with the
     * log tail if Azurite dies or {@link #readyTimeout} passes.
     */
    private void waitUntilReady(Endpoints ep, Liveness liveness, LogTail logTail) {
        long deadline = System.nanoTime() + readyTimeout.toNanos();
        HttpClient http = probeClient();
        URI probe = URI.create(ep.blobBase() + "/" + ACCOUNT_NAME + "?comp=list");
        String last = "not polled yet";
        while (true) {
            String dead = liveness.deadReason();
            if (dead != null) {
                throw new IllegalStateException("Azurite did not become ready: " + dead + "\n--- log tail ---\n"
                        + logTail.get());
            }
            if (!acceptsTcp(ep.blobPort)) {
                last = "blob port " + ep.blobPort + " not accepting";
            } else if (!acceptsTcp(ep.queuePort)) {
                last = "queue port " + ep.queuePort + " not accepting";
            } else if (!acceptsTcp(ep.tablePort)) {
                last = "table port " + ep.tablePort + " not accepting";
            } else if (http == null) {
                return; // HTTPS: the ports accept and the process lives; the certificate is checked by real clients
            } else {
                try {
                    HttpResponse<Void> r = http.send(HttpRequest.newBuilder(probe).timeout(Duration.ofSeconds(2))
                            .GET().build(), HttpResponse.BodyHandlers.discarding());
                    if (r.statusCode() > 0) {
                        return;
                    }
                } catch (IOException e) {
                    last = "blob HTTP probe: " + e;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for Azurite", e);
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Azurite was not ready within " + ms(readyTimeout) + " (" + last
                        + ")\n--- log tail ---\n" + logTail.get());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for Azurite", e);
            }
        }
    }

    private boolean acceptsTcp(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 250);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The plain-HTTP readiness probe, or null in HTTPS mode: there the probe stops at "all ports accept" rather than
     * trusting a certificate it has not verified (no trust-all anywhere in the lab).
     */
    private HttpClient probeClient() {
        return https() ? null : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    }

    // ---------------------------------------------------------------- ports and hosts

    private int[] choosePorts() {
        int[] wanted = {blobPort, queuePort, tablePort};
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] chosen = new int[3];
            for (int i = 0; i < 3; i++) {
                if (wanted[i] != 0) {
                    chosen[i] = wanted[i];
                } else {
                    // Keep each socket open until all three are chosen so the three differ.
                    ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host));
                    held.add(s);
                    chosen[i] = s.getLocalPort();
                }
            }
            return chosen;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot pick a free port on " + host, e);
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // nothing to do
                }
            }
        }
    }

    private static String requireLoopback(String host) {
        Objects.requireNonNull(host, "host");
        try {
            InetAddress a = InetAddress.getByName(host);
            if (!a.isLoopbackAddress()) {
                throw new IllegalArgumentException("Azurite binds loopback addresses only, not " + host);
            }
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("unknown host " + host, e);
        }
        return host;
    }

    private static int requirePort(int port, String name) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(name + " must be 0..65535, not " + port);
        }
        return port;
    }

    private boolean https() {
        return certPem != null;
    }

    private String scheme() {
        return https() ? "https" : "http";
    }

    private static String ms(Duration d) {
        return d.toMillis() + " ms";
    }

    // ---------------------------------------------------------------- logs

    static String tailFile(Path file, int lines) {
        try {
            return tail(Files.readString(file, StandardCharsets.UTF_8), lines);
        } catch (IOException | UncheckedIOException e) {
            return "(no log at " + file + ": " + e.getMessage() + ")";
        }
    }

    static String tail(String text, int lines) {
        if (text == null) {
            return "";
        }
        String[] all = text.split("\\R");
        int from = Math.max(0, all.length - lines);
        return String.join("\n", List.of(all).subList(from, all.length));
    }

    // ---------------------------------------------------------------- running instance

    private static final class Endpoints {
        final String scheme;
        final String hostForUrl;
        final int blobPort;
        final int queuePort;
        final int tablePort;

        Endpoints(String scheme, String host, int blobPort, int queuePort, int tablePort) {
            this.scheme = scheme;
            this.hostForUrl = host.contains(":") ? "[" + host + "]" : host;
            this.blobPort = blobPort;
            this.queuePort = queuePort;
            this.tablePort = tablePort;
        }

        String base(int port) {
            return scheme + "://" + hostForUrl + ":" + port;
        }

        String blobBase() {
            return base(blobPort);
        }
    }

    private static final class Running implements RunningAzurite {
        private final Mode mode;
        private final Endpoints ep;
        private volatile String line;
        private final Process process;
        private final AzuriteContainer container;
        private final AtomicBoolean closed = new AtomicBoolean();
        private final Thread hook;

        private final java.util.Map<String, String> accounts;

        Running(Mode mode, Endpoints ep, String line, Process process, AzuriteContainer container,
                java.util.Map<String, String> accounts) {
            this.accounts = accounts;
            this.mode = mode;
            this.ep = ep;
            this.line = line;
            this.process = process;
            this.container = container;
            this.hook = new Thread(this::stop, "azurite-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
        }

        @Override
        public Mode mode() {
            return mode;
        }

        @Override
        public String blobEndpoint() {
            return ep.base(ep.blobPort) + "/" + ACCOUNT_NAME;
        }

        @Override
        public String queueEndpoint() {
            return ep.base(ep.queuePort) + "/" + ACCOUNT_NAME;
        }

        @Override
        public String tableEndpoint() {
            return ep.base(ep.tablePort) + "/" + ACCOUNT_NAME;
        }

        @Override
        public String connectionString() {
            return "DefaultEndpointsProtocol=" + ep.scheme
                    + ";AccountName=" + ACCOUNT_NAME
                    + ";AccountKey=" + ACCOUNT_KEY
                    + ";BlobEndpoint=" + blobEndpoint()
                    + ";QueueEndpoint=" + queueEndpoint()
                    + ";TableEndpoint=" + tableEndpoint() + ";";
        }

        @Override
        public String accountName() {
            return ACCOUNT_NAME;
        }

        @Override
        public String accountKey() {
            return ACCOUNT_KEY;
        }

        @Override
        public java.util.Map<String, String> accounts() {
            return accounts;
        }

        @Override
        public String blobEndpoint(String account) {
            return ep.base(ep.blobPort) + "/" + requireAccount(account);
        }

        @Override
        public String tableEndpoint(String account) {
            return ep.base(ep.tablePort) + "/" + requireAccount(account);
        }

        private String requireAccount(String account) {
            if (!accounts.containsKey(account)) {
                throw new IllegalArgumentException("Azurite was not started with account " + account + " (it has "
                        + accounts.keySet() + ")");
            }
            return account;
        }

        @Override
        public String describe() {
            return line;
        }

        @Override
        public Optional<ProcessHandle> process() {
            return process == null ? Optional.empty() : Optional.of(process.toHandle());
        }

        @Override
        public void close() {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or about to; stop() is idempotent
            }
            stop();
        }

        private void stop() {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            if (process != null) {
                org.cmglab.proto.runtime.ChildProcesses.stop(process, Duration.ofSeconds(10));
            }
            if (container != null) {
                try {
                    container.stop();
                } catch (RuntimeException ignored) {
                    // best effort; Ryuk removes it when the JVM ends
                }
            }
        }
    }

    // ---------------------------------------------------------------- builder

    public static final class Builder {
        private Path home;
        private Path workDir;
        private String host = "127.0.0.1";
        private int blobPort;
        private int queuePort;
        private int tablePort;
        private boolean preferDocker = true;
        private Path certPem;
        private Path keyPem;
        private Duration dockerProbeTimeout = Duration.ofSeconds(5);
        private Duration readyTimeout = Duration.ofSeconds(60);
        private Duration npmInstallTimeout = Duration.ofMinutes(10);
        private PrintStream out = System.out;
        private List<String> commandPrefix = List.of();
        private final java.util.Map<String, String> accounts = new java.util.LinkedHashMap<>();

        private Builder() {}

        /**
         * Adds a storage account (repeatable), passed to Azurite as {@code AZURITE_ACCOUNTS} (npm: the process
         * environment; Docker: the container environment). devstoreaccount1 with its well-known key is always kept.
         *
         * @param name      3–24 lower-case letters and digits (an Azure storage account name)
         * @param base64Key the account key, base64 (a secret: never logged)
         */
        public Builder account(String name, String base64Key) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(base64Key, "base64Key");
            if (!name.matches("[a-z0-9]{3,24}")) {
                throw new IllegalArgumentException("storage account name: " + name
                        + " (expected: 3-24 lower-case letters and digits)");
            }
            if (name.equals(ACCOUNT_NAME)) {
                throw new IllegalArgumentException(ACCOUNT_NAME + " is always present with its well-known key");
            }
            try {
                if (java.util.Base64.getDecoder().decode(base64Key).length == 0) {
                    throw new IllegalArgumentException("empty");
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the key of storage account " + name + " is not base64", e);
            }
            if (base64Key.contains(";") || base64Key.contains(":")) {
                throw new IllegalArgumentException("the key of storage account " + name + " is not base64");
            }
            accounts.put(name, base64Key);
            return this;
        }

        /** The repository root (holds {@code tools/azurite}). */
        public Builder home(Path repoRoot) {
            this.home = repoRoot;
            return this;
        }

        /** Azurite's data ({@code --location}) and logs ({@code azurite.log}, {@code azurite-debug.log}). */
        public Builder workDir(Path dir) {
            this.workDir = dir;
            return this;
        }

        /** A loopback address; default {@code 127.0.0.1}. */
        public Builder host(String loopbackAddress) {
            this.host = loopbackAddress;
            return this;
        }

        /** 0 (default) picks a free port. */
        public Builder blobPort(int port) {
            this.blobPort = port;
            return this;
        }

        /** 0 (default) picks a free port. */
        public Builder queuePort(int port) {
            this.queuePort = port;
            return this;
        }

        /** 0 (default) picks a free port. */
        public Builder tablePort(int port) {
            this.tablePort = port;
            return this;
        }

        /** Use Testcontainers when a Docker engine answers; default true. */
        public Builder preferDocker(boolean preferDocker) {
            this.preferDocker = preferDocker;
            return this;
        }

        /** Serve HTTPS with this PEM certificate and key. */
        public Builder https(Path certPem, Path keyPem) {
            this.certPem = Objects.requireNonNull(certPem, "certPem");
            this.keyPem = Objects.requireNonNull(keyPem, "keyPem");
            return this;
        }

        /** How long to wait for Testcontainers' Docker check; default 5 s. */
        public Builder dockerProbeTimeout(Duration timeout) {
            this.dockerProbeTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** How long to wait for Azurite to answer once started; default 60 s. */
        public Builder readyTimeout(Duration timeout) {
            this.readyTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** How long {@code npm ci} may take on first use; default 10 min. */
        public Builder npmInstallTimeout(Duration timeout) {
            this.npmInstallTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** Where the mode line (and the npm install notice) go; default {@code System.out}. */
        public Builder out(PrintStream out) {
            this.out = Objects.requireNonNull(out);
            return this;
        }

        /**
         * Words put before Azurite's command line in npm mode, e.g. {@code ip netns exec <ns>}; a non-empty prefix
         * rules out the Docker mode. Default: none.
         */
        public Builder commandPrefix(List<String> prefix) {
            this.commandPrefix = List.copyOf(prefix);
            return this;
        }

        public AzuriteLauncher build() {
            return new AzuriteLauncher(this);
        }
    }
}
