package org.cmglab.bench.w3;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Memory and descriptors of another (Linux) process: {@code VmRSS} from {@code /proc/<pid>/status}, open descriptors
 * from {@code /proc/<pid>/fd}, and a full GC through {@code jcmd <pid> GC.run} so heap garbage is not counted.
 */
final class ProcessMemory {
    private ProcessMemory() {}

    /** {@code VmRSS} in KB. */
    static long rssKb(long pid) throws IOException {
        return statusField(Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status")), "VmRSS");
    }

    /** The KB value of a {@code Name:   1234 kB} line of {@code /proc/<pid>/status}. */
    static long statusField(List<String> status, String name) {
        for (String line : status) {
            if (line.startsWith(name + ":")) {
                String v = line.substring(name.length() + 1).strip();
                int sp = v.indexOf(' ');
                return Long.parseLong(sp < 0 ? v : v.substring(0, sp));
            }
        }
        throw new IllegalArgumentException(name + ": not in /proc status (expected a line '" + name + ": <n> kB')");
    }

    /** Open file descriptors. */
    static int openFds(long pid) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
            return (int) s.count();
        }
    }

    /**
     * {@code jcmd <pid> GC.run} (bounded to 60 s); returns what jcmd printed. The JDK's own jcmd is used
     * ({@code java.home}/bin/jcmd) when it exists.
     */
    static String fullGc(long pid) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        String exe = Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd";
        Process p = new ProcessBuilder(exe, String.valueOf(pid), "GC.run").redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("jcmd " + pid + " GC.run did not finish within 60 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException("jcmd " + pid + " GC.run failed (" + p.exitValue() + "): " + out.strip());
        }
        return out;
    }

    /** Used heap (KB) after the last GC, from {@code jcmd <pid> GC.heap_info} ({@code ... total NK, used MK}). */
    static long heapUsedKb(long pid) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        String exe = Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd";
        Process p = new ProcessBuilder(exe, String.valueOf(pid), "GC.heap_info").redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("jcmd " + pid + " GC.heap_info did not finish within 60 s");
        }
        return heapUsed(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** The first {@code used NK} of a heap_info print-out. */
    static long heapUsed(String heapInfo) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("used (\\d+)K").matcher(heapInfo);
        if (!m.find()) {
            throw new IllegalArgumentException("GC.heap_info: no 'used <n>K' in " + heapInfo.strip());
        }
        return Long.parseLong(m.group(1));
    }

    /** A full GC, then the RSS (KB). */
    static long rssAfterGcKb(long pid) throws IOException, InterruptedException {
        fullGc(pid);
        return rssKb(pid);
    }
}
