package org.cmglab.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time of named processes (utime + stime of {@code /proc/<pid>/stat}, in clock ticks of 10 ms), read before and
 * after a run: where a request's CPU goes, per hop. Processes that are gone read as 0.
 */
final class CpuMeter {
    static final double TICK_SECONDS = 0.01; // USER_HZ is 100 on Linux

    private final Map<String, Long> pids;

    CpuMeter(Map<String, Long> pids) {
        this.pids = Map.copyOf(pids);
    }

    /** CPU seconds so far, per name. */
    Map<String, Double> read() {
        Map<String, Double> m = new LinkedHashMap<>();
        pids.forEach((name, pid) -> m.merge(name, ticks(pid) * TICK_SECONDS, Double::sum));
        return m;
    }

    /** {@code after - before} in microseconds per request, per name (key {@code cpuUs.<name>}). */
    static Map<String, Double> perRequest(Map<String, Double> before, Map<String, Double> after, long requests) {
        Map<String, Double> m = new LinkedHashMap<>();
        if (requests <= 0) {
            return m;
        }
        after.forEach((k, v) -> m.put("cpuUs." + k, (v - before.getOrDefault(k, 0.0)) * 1e6 / requests));
        return m;
    }

    /** utime + stime of one process, or 0 when it is gone; the comm field may hold spaces, so fields count after ')'. */
    static long ticks(long pid) {
        try {
            return parseTicks(Files.readString(Path.of("/proc/" + pid + "/stat")));
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    static long parseTicks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // after "pid (comm) ": state is f[0]; utime is field 14 of the line → f[11], stime → f[12]
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
}
