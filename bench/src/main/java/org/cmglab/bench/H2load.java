package org.cmglab.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs h2load (Debian package {@code nghttp2-client}) in HTTP/1.1 mode for the CCM_POST workloads: wrk's request
 * check knows only the standard verbs ({@code invalid HTTP method}), h2load lets {@code :method} be overridden.
 * 64 keep-alive connections, one request in flight on each ({@code -m 1}), a timed run after a 1 s warm-up;
 * rps and status counts from its summary, p50/p90/p99 from its per-request log.
 */
final class H2load {
    static final String BINARY = "/usr/bin/h2load";

    private final Path dir;
    private int seq;

    H2load(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
    }

    /** The command line (2 threads: the load generator shares the machine's 2 cores). */
    static List<String> command(Wrk.Request r, int connections, Duration duration, Path body, Path log) {
        List<String> cmd = new ArrayList<>(List.of(BINARY, "--h1", "-t", "2", "-c", Integer.toString(connections),
                "-m", "1", "-D", Long.toString(duration.toSeconds()), "--warm-up-time", "1", "-T", "10",
                "--log-file", log.toString()));
        if (body != null) {
            cmd.add("-d");
            cmd.add(body.toString());
        }
        cmd.add("-H");
        cmd.add(":method: " + r.method());
        r.headers().forEach((k, v) -> {
            cmd.add("-H");
            cmd.add(k + ": " + v);
        });
        cmd.add(r.url());
        return cmd;
    }

    private static final Pattern FINISHED = Pattern.compile("finished in ([0-9.]+)(ms|s), ([0-9.]+) req/s");
    private static final Pattern REQUESTS = Pattern.compile("requests: (\\d+) total, (\\d+) started, (\\d+) done, "
            + "(\\d+) succeeded, (\\d+) failed, (\\d+) errored, (\\d+) timeout");
    private static final Pattern STATUS = Pattern.compile("status codes: (\\d+) 2xx, (\\d+) 3xx, (\\d+) 4xx, (\\d+) 5xx");

    /** The summary of one run from h2load's output and its per-request log (µs until the end of each response). */
    static Wrk.Summary parse(String output, List<String> logLines) {
        Matcher f = FINISHED.matcher(output);
        Matcher q = REQUESTS.matcher(output);
        Matcher s = STATUS.matcher(output);
        if (!f.find() || !q.find() || !s.find()) {
            throw new IllegalStateException("h2load printed no summary:\n" + output);
        }
        double seconds = Double.parseDouble(f.group(1)) / (f.group(2).equals("ms") ? 1000 : 1);
        double rps = Double.parseDouble(f.group(3));
        long done = Long.parseLong(q.group(3));
        // "failed" counts the responses that are not 2xx/3xx (s: the 4xx/5xx split), plus transport errors
        long errors = Long.parseLong(q.group(5)) + Long.parseLong(q.group(6)) + Long.parseLong(q.group(7));
        long[] us = logLines.stream().map(l -> l.split("\t")).filter(c -> c.length >= 3 && c[1].startsWith("2"))
                .mapToLong(c -> Long.parseLong(c[2].trim())).sorted().toArray();
        return new Wrk.Summary(done, seconds, 0, pct(us, 50) / 1000, pct(us, 90) / 1000, pct(us, 99) / 1000,
                us.length == 0 ? Double.NaN : us[us.length - 1] / 1000.0, errors, rps);
    }

    /** Nearest-rank percentile of sorted values; NaN when there are none. */
    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    Wrk.Summary run(Wrk.Request r, int connections, Duration duration) throws IOException, InterruptedException {
        int n = ++seq;
        Path body = null;
        if (r.body().length > 0) {
            body = dir.resolve("body-" + n + ".bin");
            Files.write(body, r.body());
        }
        Path log = dir.resolve("requests-" + n + ".tsv");
        try {
            Tool.Result res = Tool.run("h2load", command(r, connections, duration, body, log), dir.resolve("h2load.out"),
                    duration.plusSeconds(90), Map.of());
            if (res.timedOut()) {
                long connects = res.output().lines().filter(l -> l.contains("Falling back to HTTP/1.1")).count();
                long logged = Files.exists(log) ? Files.lines(log).count() : 0;
                throw new IllegalStateException("h2load did not finish within " + duration.plusSeconds(90).toSeconds()
                        + " s (" + connects + " TLS connections made, " + logged + " requests logged)");
            }
            if (res.exit() != 0) {
                throw new IllegalStateException("h2load exited with " + res.exit() + ":\n" + res.output());
            }
            List<String> lines = Files.exists(log) ? Files.readAllLines(log, StandardCharsets.US_ASCII) : List.of();
            return parse(res.output(), lines);
        } finally {
            if (body != null) {
                Files.deleteIfExists(body);
            }
            Files.deleteIfExists(log);
        }
    }
}
