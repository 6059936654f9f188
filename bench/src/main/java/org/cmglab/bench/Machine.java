package org.cmglab.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** What the run ran on: cores, CPU model, memory, kernel, JDK, load average (from /proc; no commands). */
final class Machine {
    private Machine() {}

    static Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("nproc", Runtime.getRuntime().availableProcessors());
        m.put("cpu", firstValue(Path.of("/proc/cpuinfo"), "model name"));
        String mem = firstValue(Path.of("/proc/meminfo"), "MemTotal");
        m.put("memory", mem == null ? null : toGiB(mem));
        m.put("kernel", read(Path.of("/proc/sys/kernel/osrelease")));
        m.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("loadavg", loadAverage());
        return m;
    }

    static String loadAverage() {
        String s = read(Path.of("/proc/loadavg"));
        if (s == null) {
            return null;
        }
        String[] f = s.split("\\s+");
        return f.length >= 3 ? f[0] + " " + f[1] + " " + f[2] : s;
    }

    static String toGiB(String memTotal) {
        String digits = memTotal.replaceAll("[^0-9]", "");
        if (digits.isEmpty()) {
            return memTotal;
        }
        return String.format(java.util.Locale.ROOT, "%.1f GiB", Long.parseLong(digits) / 1024.0 / 1024.0);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            return null;
        }
    }

    private static String firstValue(Path p, String key) {
        try {
            for (String line : Files.readAllLines(p)) {
                int c = line.indexOf(':');
                if (c > 0 && line.substring(0, c).strip().equals(key)) {
                    return line.substring(c + 1).strip();
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return null;
    }
}
