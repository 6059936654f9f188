package org.cmglab.proto.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.cmglab.proto.config.ContentStorageConfig;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.Pem;

/**
 * Azurite for content tests in modules that cannot use the lab's launcher: {@code tools/azurite} (npm), HTTPS with a
 * certificate from {@code ca} for {@code <account>.blob.core.windows.net} (and 127.0.0.1), one storage account with a
 * random key (in a 0600 file), free ports on 127.0.0.1. Ready when Azurite printed that blob/queue/table listen.
 */
public final class ContentAzurite implements AutoCloseable {
    public static final String HOST = "127.0.0.1";

    private final Process process;
    private final StringBuffer output = new StringBuffer();
    public final int blobPort;
    public final String account;
    public final Path keyFile;
    public final Path rootFile;

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

    public ContentAzurite(Path bin, Path dir, LabCa ca, String account) throws Exception {
        this.account = account;
        int[] ports = freePorts(3);
        blobPort = ports[0];
        IssuedCert cert = ca.issue(CertSpec.server(account + ".blob.core.windows.net",
                List.of(account + ".blob.core.windows.net", account + ".blob.core.usgovcloudapi.net"), List.of(HOST)));
        Path certFile = dir.resolve("azurite.crt.pem");
        Path keyPem = dir.resolve("azurite.key.pem");
        cert.writePem(certFile, keyPem);
        rootFile = dir.resolve("root.pem");
        Files.writeString(rootFile, Pem.toPem(ca.root()));
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        String key = Base64.getEncoder().encodeToString(k);
        keyFile = dir.resolve("storage-" + account + ".key");
        Files.writeString(keyFile, key);
        Path data = Files.createDirectories(dir.resolve("data"));
        ProcessBuilder pb = new ProcessBuilder(bin.toString(),
                "--blobHost", HOST, "--blobPort", Integer.toString(ports[0]),
                "--queueHost", HOST, "--queuePort", Integer.toString(ports[1]),
                "--tableHost", HOST, "--tablePort", Integer.toString(ports[2]),
                "--cert", certFile.toString(), "--key", keyPem.toString(),
                "--location", data.toString(), "--disableTelemetry")
                .directory(data.toFile()).redirectErrorStream(true);
        pb.environment().put("AZURITE_ACCOUNTS", account + ":" + key);
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
        }, "content-azurite-out");
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

    /** The storage config for this Azurite (SAS URLs on {@code <account>.blob.core.windows.net:<port>}). */
    public ContentStorageConfig storage(int sasMinutes) {
        return new ContentStorageConfig("https://" + HOST + ":" + blobPort, account, keyFile.toString(),
                account + ".blob.core.windows.net", blobPort, null, List.of(rootFile.toString()), sasMinutes);
    }

    /** For a static resolver: the storage host → 127.0.0.1. */
    public Map<String, String> hosts() {
        return Map.of(account + ".blob.core.windows.net", HOST);
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
