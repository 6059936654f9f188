package org.cmglab.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * curl for the bulk workloads and the sanity checks: verifies the server's certificate against the lab root under
 * its real name ({@code --resolve name:port:address}, nothing else resolved), headers from a file (the token never
 * appears on a command line), body discarded, and the figures from {@code --write-out}.
 */
final class Curl {
    static final String BINARY = "/usr/bin/curl";

    /** What one transfer did. */
    record Transfer(int status, long bytes, double seconds) {
        double mbPerSecond() {
            return seconds > 0 ? bytes / seconds / 1e6 : 0;
        }

        static Transfer parse(String writeOut) {
            for (String line : writeOut.split("\\R")) {
                if (line.startsWith("CURL_RESULT ")) {
                    String[] f = line.substring("CURL_RESULT ".length()).trim().split(" ");
                    return new Transfer(Integer.parseInt(f[0]), Long.parseLong(f[1]), Double.parseDouble(f[2]));
                }
            }
            throw new IllegalStateException("curl printed no result line:\n" + writeOut);
        }
    }

    private final Path dir;
    private final Path root;
    private int seq;

    Curl(Path dir, Path labRoot) throws IOException {
        this.dir = dir;
        this.root = labRoot;
        Files.createDirectories(dir);
    }

    /** The command for one transfer of {@code url} (name resolved to {@code address}); {@code rate} 0 = unlimited. */
    List<String> command(String method, String url, String address, Path headerFile, Path bodyFile, Path saveTo,
                         long rateBytesPerSecond) {
        java.net.URI u = java.net.URI.create(url);
        List<String> cmd = new ArrayList<>(List.of(BINARY, "-sS", "--http1.1", "--cacert", root.toString(),
                "--resolve", u.getHost() + ":" + u.getPort() + ":" + address, "-X", method,
                "-H", "@" + headerFile, "-o", saveTo == null ? "/dev/null" : saveTo.toString(),
                "--max-time", "600", "-w", "CURL_RESULT %{http_code} %{size_download} %{time_total}\\n"));
        if (bodyFile != null) {
            cmd.add("--data-binary");
            cmd.add("@" + bodyFile);
        }
        if (rateBytesPerSecond > 0) {
            cmd.add("--limit-rate");
            cmd.add(Long.toString(rateBytesPerSecond));
        }
        cmd.add(url);
        return cmd;
    }

    /** One transfer to completion (within {@code limit}). */
    Transfer run(String method, String url, String address, Map<String, String> headers, byte[] body, Path saveTo,
                 Duration limit) throws IOException, InterruptedException {
        int n = ++seq;
        Path h = headerFile(n, headers);
        Path b = null;
        if (body != null && body.length > 0) {
            b = dir.resolve("curl-body-" + n + ".bin");
            Files.write(b, body);
        }
        try {
            Tool.Result r = Tool.run("curl", command(method, url, address, h, b, saveTo, 0), dir.resolve("curl.out"), limit);
            if (r.timedOut() || r.exit() != 0) {
                throw new IllegalStateException("curl " + method + " " + url + " failed (exit " + r.exit() + "): "
                        + r.output().strip());
            }
            return Transfer.parse(r.output());
        } finally {
            Files.deleteIfExists(h);
            if (b != null) {
                Files.deleteIfExists(b);
            }
        }
    }

    /** Starts a rate-limited download in the background (the slow reader of W4); close the tool to stop it. */
    Tool startSlow(String url, String address, Map<String, String> headers, long rateBytesPerSecond) throws IOException {
        Path h = headerFile(++seq, headers);
        return Tool.start("curl-slow", command("GET", url, address, h, null, null, rateBytesPerSecond),
                dir.resolve("curl-slow.out"));
    }

    private Path headerFile(int n, Map<String, String> headers) throws IOException {
        Path h = dir.resolve("curl-headers-" + n + ".txt");
        StringBuilder s = new StringBuilder();
        headers.forEach((k, v) -> s.append(k).append(": ").append(v).append('\n'));
        Files.writeString(h, s, StandardCharsets.UTF_8);
        return h;
    }
}
