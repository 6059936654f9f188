package org.cmglab.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cmglab.proto.runtime.Json;

/**
 * Runs wrk (the outside load tool; Debian package {@code wrk}) with the harness's Lua script
 * ({@code bench/request.lua}): a fixed number of keep-alive connections for a fixed time, one request shape, and
 * the summary parsed from its {@code BENCH_JSON} line.
 */
final class Wrk {
    static final String BINARY = "/usr/bin/wrk";

    /** One request shape: verb, URL, headers and body (written to files the Lua script reads). */
    record Request(String method, String url, Map<String, String> headers, byte[] body) {
        Request {
            headers = Map.copyOf(new LinkedHashMap<>(headers));
            body = body == null ? new byte[0] : body.clone();
        }
    }

    /**
     * The summary of one wrk run.
     *
     * @param errors connect + read + write + timeout errors plus responses with a status ≥ 400
     */
    record Summary(long requests, double seconds, long bytes, double p50Ms, double p90Ms, double p99Ms, double maxMs,
                   long errors, double rps) {
        static Summary parse(String output) {
            for (String line : output.split("\\R")) {
                int i = line.indexOf("BENCH_JSON ");
                if (i >= 0) {
                    try {
                        JsonNode j = Json.MAPPER.readTree(line.substring(i + "BENCH_JSON ".length()));
                        long req = j.path("requests").asLong();
                        double s = j.path("durationUs").asDouble() / 1e6;
                        long err = j.path("errConnect").asLong() + j.path("errRead").asLong() + j.path("errWrite").asLong()
                                + j.path("errStatus").asLong() + j.path("errTimeout").asLong();
                        return new Summary(req, s, j.path("bytes").asLong(), j.path("p50Us").asDouble() / 1000,
                                j.path("p90Us").asDouble() / 1000, j.path("p99Us").asDouble() / 1000,
                                j.path("maxUs").asDouble() / 1000, err, s > 0 ? req / s : 0);
                    } catch (IOException e) {
                        throw new IllegalStateException("wrk printed an unreadable summary: " + line, e);
                    }
                }
            }
            throw new IllegalStateException("wrk printed no BENCH_JSON summary:\n" + output);
        }
    }

    private final Path dir;
    private final Path script;
    private int seq;

    Wrk(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        this.script = dir.resolve("request.lua");
        try (InputStream in = Wrk.class.getResourceAsStream("/bench/request.lua")) {
            if (in == null) {
                throw new IllegalStateException("bench/request.lua missing from the jar");
            }
            Files.write(script, in.readAllBytes());
        }
    }

    /** The wrk command line (2 threads: the load generator shares the machine's 2 cores). */
    static List<String> command(Path script, int connections, Duration duration, String url) {
        return List.of(BINARY, "-t", "2", "-c", Integer.toString(connections), "-d", duration.toSeconds() + "s",
                "--timeout", "10s", "-s", script.toString(), url);
    }

    /** Runs one load of {@code connections} connections for {@code duration} and returns its summary. */
    Summary run(Request r, int connections, Duration duration) throws IOException, InterruptedException {
        int n = ++seq;
        Path headers = dir.resolve("headers-" + n + ".txt");
        StringBuilder h = new StringBuilder();
        r.headers().forEach((k, v) -> h.append(k).append(": ").append(v).append('\n'));
        Files.writeString(headers, h, StandardCharsets.UTF_8);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("BENCH_METHOD", r.method());
        env.put("BENCH_HEADERS", headers.toString());
        if (r.body().length > 0) {
            Path body = dir.resolve("body-" + n + ".bin");
            Files.write(body, r.body());
            env.put("BENCH_BODY", body.toString());
        }
        List<String> cmd = new ArrayList<>(command(script, connections, duration, r.url()));
        Tool.Result res = Tool.run("wrk", cmd, dir.resolve("wrk.out"), duration.plusSeconds(30), env);
        Files.deleteIfExists(headers);
        Files.deleteIfExists(dir.resolve("body-" + n + ".bin"));
        if (res.timedOut()) {
            throw new IllegalStateException("wrk did not finish within " + duration.plusSeconds(30).toSeconds() + " s");
        }
        if (res.exit() != 0) {
            throw new IllegalStateException("wrk exited with " + res.exit() + ":\n" + res.output());
        }
        return Summary.parse(res.output());
    }
}
