package org.cmglab.e2e.netns;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.cmglab.proto.config.Endpoint;

/**
 * Makes a few TCP endpoints of one namespace reachable at the same address and port from the test JVM in the root
 * namespace: {@link UnixSocketRelay} listening in the root namespace, and the same class run as a small JVM
 * ({@code ip netns exec <ns> java ...}) on the namespace side.
 */
public final class NamespaceRelay implements AutoCloseable {
    private final Process process;
    private final UnixSocketRelay root = new UnixSocketRelay();

    private NamespaceRelay(Process process) {
        this.process = process;
    }

    /** Starts the namespace side, waits (10 s at most) until it listens, then opens the root-side listeners. */
    public static NamespaceRelay start(String ns, Path socketDir, List<Endpoint> endpoints) throws IOException {
        List<String> cmd = new ArrayList<>(SplitNetwork.execIn(ns));
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx32m", "-Xss256k",
                "-cp", classpath(), UnixSocketRelay.class.getName(), socketDir.toString()));
        for (Endpoint e : endpoints) {
            cmd.add(e.address() + ":" + e.port());
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        NamespaceRelay relay = new NamespaceRelay(p);
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = CompletableFuture.supplyAsync(() -> {
                try {
                    return r.readLine();
                } catch (IOException e) {
                    return null;
                }
            }).get(10, TimeUnit.SECONDS);
            if (!"READY".equals(line)) {
                throw new IOException("relay in " + ns + " did not start: " + line);
            }
            for (Endpoint e : endpoints) {
                relay.root.listenTcp(socketDir, e.address(), e.port());
            }
        } catch (InterruptedException | ExecutionException | TimeoutException | IOException e) {
            relay.close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("relay in " + ns + ": " + e, e);
        }
        return relay;
    }

    private static String classpath() throws IOException {
        try {
            return Path.of(UnixSocketRelay.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
    }

    public ProcessHandle handle() {
        return process.toHandle();
    }

    @Override
    public void close() {
        root.close();
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // gone
        }
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
