package org.cmglab.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An outside program the harness runs (nginx, sshd, ssh, wrk, curl): started with its output to a file, stopped by
 * its own pid (never by name), every wait bounded.
 */
final class Tool implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path out;

    private Tool(String name, Process process, Path out) {
        this.name = name;
        this.process = process;
        this.out = out;
    }

    /** Starts {@code command} with stdout and stderr appended to {@code out}. */
    static Tool start(String name, List<String> command, Path out) {
        return start(name, command, out, java.util.Map.of());
    }

    /** As {@link #start(String, List, Path)}, with {@code env} added to the environment. */
    static Tool start(String name, List<String> command, Path out, java.util.Map<String, String> env) {
        try {
            Files.createDirectories(out.getParent());
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.environment().putAll(env);
            Process p = pb.redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            return new Tool(name, p, out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + " (" + command.get(0) + "): " + e.getMessage(), e);
        }
    }

    /** The result of a program run to completion. */
    record Result(int exit, String output, boolean timedOut) {}

    /** Runs {@code command} to completion within {@code limit} (killed after it); output also appended to {@code out}. */
    static Result run(String name, List<String> command, Path out, Duration limit) throws InterruptedException {
        return run(name, command, out, limit, java.util.Map.of());
    }

    /** As {@link #run(String, List, Path, Duration)}, with {@code env} added to the environment. */
    static Result run(String name, List<String> command, Path out, Duration limit, java.util.Map<String, String> env)
            throws InterruptedException {
        long before = sizeOf(out);
        Tool t = start(name, command, out, env);
        boolean done = t.process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
        if (!done) {
            t.close();
        }
        String text = readFrom(out, before);
        return new Result(done ? t.process.exitValue() : -1, text, !done);
    }

    private static long sizeOf(Path f) {
        try {
            return Files.exists(f) ? Files.size(f) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static String readFrom(Path f, long offset) {
        try {
            byte[] all = Files.readAllBytes(f);
            int from = (int) Math.min(offset, all.length);
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    Path outFile() {
        return out;
    }

    /** Waits until {@code host:port} accepts TCP connections; fails if the program exits or {@code limit} passes. */
    void awaitListening(String host, int port, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 200);
                return;
            } catch (IOException e) {
                // not yet
            }
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + " before listening on "
                        + host + ":" + port + "; last lines of " + out + ":\n" + tail(out, 15));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " not listening on " + host + ":" + port + " within "
                        + limit.toSeconds() + " s; see " + out);
            }
            Thread.sleep(50);
        }
    }

    static String tail(Path f, int lines) {
        try {
            List<String> all = Files.readAllLines(f, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | RuntimeException e) {
            return "(cannot read " + f + ")";
        }
    }

    /** Stops the program: SIGTERM, then SIGKILL after 5 s; its children (if any) the same way. */
    @Override
    public void close() {
        List<ProcessHandle> kids = new ArrayList<>(process.descendants().toList());
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
        for (ProcessHandle k : kids) {
            if (k.isAlive()) {
                k.destroyForcibly();
            }
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ")";
    }
}
