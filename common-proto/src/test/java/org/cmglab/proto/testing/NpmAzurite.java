package org.cmglab.proto.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * An Azurite process from {@code <repo>/tools/azurite} (npm) for tests of modules that cannot use the lab's launcher:
 * blob, queue and table on free ports of 127.0.0.1, the given accounts in {@code AZURITE_ACCOUNTS}, telemetry off.
 * Ready when Azurite has printed that its three services listen (no polling).
 */
public final class NpmAzurite implements AutoCloseable {
    public static final String HOST = "127.0.0.1";

    private final Process process;
    private final StringBuffer output = new StringBuffer();
    public final int blobPort;
    public final int queuePort;
    public final int tablePort;

    /** {@code tools/azurite/node_modules/.bin/azurite} above the working directory, if installed. */
    public static Optional<Path> bin() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("tools/azurite/package.json"))) {
                Path bin = p.resolve("tools/azurite/node_modules/.bin/azurite");
                return Files.exists(bin) ? Optional.of(bin) : Optional.empty();
            }
        }
        return Optional.empty();
    }

    /**
     * Starts Azurite and waits until it listens (at most 60 s).
     *
     * @param location  Azurite's data folder (also its working directory)
     * @param accounts  account name → base64 key
     * @param extraArgs e.g. {@code --cert <pem> --key <pem>} for HTTPS
     */
    public NpmAzurite(Path bin, Path location, Map<String, String> accounts, List<String> extraArgs) throws Exception {
        int[] ports = freePorts(3);
        blobPort = ports[0];
        queuePort = ports[1];
        tablePort = ports[2];
        List<String> cmd = new ArrayList<>(List.of(bin.toString(),
                "--blobHost", HOST, "--blobPort", Integer.toString(blobPort),
                "--queueHost", HOST, "--queuePort", Integer.toString(queuePort),
                "--tableHost", HOST, "--tablePort", Integer.toString(tablePort)));
        cmd.addAll(extraArgs);
        cmd.addAll(List.of("--location", location.toString(), "--disableTelemetry"));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(location.toFile()).redirectErrorStream(true);
        pb.environment().put("AZURITE_ACCOUNTS", accounts.entrySet().stream()
                .map(e -> e.getKey() + ":" + e.getValue()).collect(Collectors.joining(";")));
        process = pb.start();
        CompletableFuture<Void> ready = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            List<String> waiting = new ArrayList<>(List.of("Blob service is successfully listening",
                    "Queue service is successfully listening", "Table service is successfully listening"));
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    output.append(line).append('\n');
                    String l = line;
                    waiting.removeIf(l::contains);
                    if (waiting.isEmpty()) {
                        ready.complete(null);
                    }
                }
            } catch (IOException e) {
                // process gone
            }
            ready.completeExceptionally(new IllegalStateException("Azurite ended before it was ready:\n" + output));
        }, "test-azurite-out");
        reader.setDaemon(true);
        reader.start();
        try {
            ready.get(60, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            close();
            throw new IllegalStateException("Azurite not ready within 60 s:\n" + output, e);
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    public String output() {
        return output.toString();
    }

    private static int[] freePorts(int n) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST));
                held.add(s);
                out[i] = s.getLocalPort();
            }
            return out;
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }
}
