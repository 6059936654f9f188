package org.cmglab.bench.w3;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.cmglab.lab.ComponentProcess;
import org.cmglab.lab.LabPlan;
import org.cmglab.lab.LabProcesses;
import org.cmglab.proto.runtime.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * W3 "many clients" (issue 8): starts a one-instance lab, opens {@code --clients} concurrent idle client TLS
 * connections (each with its own client certificate) to the ONE CMG instance from several client-sim load processes
 * ({@code --per-process} each, so no process needs more than ~5,000 descriptors), measures the instance's RSS (after a
 * full GC through jcmd) before and with the idle connections, then makes {@code --active} of them send one request
 * each through the whole path and measures again. Writes {@code --out} (JSON) and prints a summary; bounded in time
 * (every wait has a deadline, the whole run {@link #MAX_RUN}); everything on loopback.
 */
@Command(name = "w3", mixinStandardHelpOptions = true,
        description = "W3: N idle client TLS connections on one CMG instance, then some active; RSS per connection.")
public final class W3Driver implements Callable<Integer> {
    static final Duration MAX_RUN = Duration.ofMinutes(30);

    @Option(names = "--clients", defaultValue = "15000", description = "idle connections in all (default ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--per-process", defaultValue = "5000", description = "connections per load process (default ${DEFAULT-VALUE})")
    int perProcess;

    @Option(names = "--active", defaultValue = "1000", description = "connections that then send one request (default ${DEFAULT-VALUE})")
    int active;

    @Option(names = "--connect-rate", defaultValue = "100",
            description = "new connections per second per load process (default ${DEFAULT-VALUE})")
    int connectRate;

    @Option(names = "--net", defaultValue = "96", description = "lab addresses 127.N.x.y (default ${DEFAULT-VALUE})")
    int net;

    @Option(names = "--port-offset", description = "lab port offset (default: 0 as root, else 20000)")
    Integer portOffset;

    @Option(names = "--state", description = "lab state folder (default: bench/target/w3-state)")
    Path state;

    @Option(names = "--out", description = "results JSON (default: bench/target/w3-results.json)")
    Path out;

    @Option(names = "--via-load-balancer",
            description = "connect through the lab's load balancer VIP (a TCP proxy holding 2 descriptors per client:"
                    + " at most ~10,000 clients) instead of straight to the instance's front door")
    boolean viaLoadBalancer;

    PrintStream console = System.out;

    public static void main(String[] args) {
        System.exit(new CommandLine(new W3Driver()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || perProcess < 1 || perProcess > 6000 || active < 0 || active > clients) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--clients " + clients + " --per-process "
                    + perProcess + " --active " + active + " (expected: clients >= 1, per-process 1..6000, active"
                    + " 0..clients)");
        }
        long deadline = System.nanoTime() + MAX_RUN.toNanos();
        LabPlan.Builder b = LabPlan.builder().net(net).instances(1);
        Path home = LabPlan.findHome();
        b.home(home);
        b.stateDir(state != null ? state : home.resolve("bench/target/w3-state"));
        if (portOffset != null) {
            b.portOffset(portOffset);
        }
        LabPlan plan = b.build();
        Path results = out != null ? out : home.resolve("bench/target/w3-results.json");
        Path work = plan.stateDir().resolve("w3");
        Files.createDirectories(work);
        try (var old = Files.list(work)) {
            for (Path f : (Iterable<Path>) old::iterator) {
                Files.deleteIfExists(f); // go, stop and the last run's load-<k>.out/.json
            }
        }
        plan.materialize();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("workload", "W3 many idle clients");
        r.put("startedAt", Instant.now().toString());
        r.put("machine", machine());
        r.put("path", viaLoadBalancer ? "client -> load balancer VIP -> CMG instance" : "client -> CMG instance front"
                + " door (past the load balancer)");
        r.put("requested", Map.of("clients", clients, "perProcess", perProcess, "active", active,
                "connectRatePerProcess", connectRate));
        List<LoadProcess> loads = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        r.put("problems", problems);
        try (LabProcesses lab = new LabProcesses(plan, console)) {
            JsonNode st = startLab(lab);
            lab.awaitChannel(Duration.ofSeconds(180));
            long cmgPid = st.path("instances").path(0).path("pid").asLong(0);
            if (cmgPid <= 0) {
                throw new IllegalStateException("no pid of CMG instance 0 in the SCP status: " + st);
            }
            r.put("cmgPid", cmgPid);
            // a warm-up request through the whole path, so class loading is in the baseline, not in the figure
            lab.runClient(org.cmglab.proto.flow.TraceContext.newTraceId());
            Map<String, Object> mem = new LinkedHashMap<>();
            mem.put("baseline", snapshot(cmgPid));
            console.printf("W3: CMG instance pid %d baseline %s%n", cmgPid, mem.get("baseline"));

            int processes = (clients + perProcess - 1) / perProcess;
            long t0 = System.nanoTime();
            for (int k = 0; k < processes; k++) {
                int first = k * perProcess;
                int count = Math.min(perProcess, clients - first);
                int act = (int) ((long) active * (first + count) / clients - (long) active * first / clients);
                loads.add(LoadProcess.start(plan, work, k, first, count, act, connectRate,
                        viaLoadBalancer ? null : plan.cmgAddress(0)));
            }
            int connected = 0;
            int failed = 0;
            for (LoadProcess p : loads) {
                try {
                    int[] ready = p.awaitReady(remaining(deadline));
                    connected += ready[0];
                    failed += ready[1];
                } catch (IllegalStateException e) {
                    // a process that died or is late: its clients count as failed, the others are still measured
                    problems.add(e.getMessage());
                    failed += p.count;
                    console.println("W3: " + e.getMessage());
                }
            }
            double connectSeconds = (System.nanoTime() - t0) / 1e9;
            r.put("connected", connected);
            r.put("connectFailed", failed);
            r.put("connectSeconds", Math.round(connectSeconds * 10) / 10.0);
            Map<String, Object> idle = snapshot(cmgPid);
            mem.put("idle", idle);
            console.printf("W3: %d connected (%d failed) in %.1f s; CMG %s%n", connected, failed, connectSeconds, idle);

            Files.writeString(work.resolve("go"), "go\n");
            for (LoadProcess p : loads) {
                try {
                    p.awaitDone(remaining(deadline));
                } catch (IllegalStateException e) {
                    problems.add(e.getMessage());
                }
            }
            Map<String, Object> afterActive = snapshot(cmgPid);
            mem.put("afterActive", afterActive);
            console.printf("W3: active phase done; CMG %s%n", afterActive);
            Files.writeString(work.resolve("stop"), "stop\n");
            List<JsonNode> perProcessResults = new ArrayList<>();
            for (LoadProcess p : loads) {
                try {
                    perProcessResults.add(p.awaitResult(remaining(deadline)));
                } catch (IllegalStateException e) {
                    problems.add(e.getMessage());
                }
            }
            r.put("memoryKb", mem);
            r.putAll(W3Figures.compute(mem, connected, perProcessResults));
            r.put("loadProcesses", perProcessResults);
        } catch (RuntimeException e) {
            problems.add(e.toString());
            console.println("W3: " + e);
        } finally {
            Files.writeString(work.resolve("go"), "go\n");
            Files.writeString(work.resolve("stop"), "stop\n");
            for (LoadProcess p : loads) {
                p.stop();
            }
        }
        r.put("finishedAt", Instant.now().toString());
        Files.createDirectories(results.toAbsolutePath().getParent());
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(results.toFile(), r);
        console.println("W3 results: " + results);
        console.println(W3Figures.summary(r));
        Object errors = r.get("activeErrors");
        return problems.isEmpty() && ((Number) r.getOrDefault("connectFailed", 1)).intValue() == 0
                && errors instanceof Number n && n.longValue() == 0 ? 0 : 1;
    }

    /**
     * {@link LabProcesses#startAll()} with patient deadlines (these machines are shared: a component's JVM can take
     * more than the demo's 30 s to answer /ready); returns the SCP status once the CMG is Ready.
     */
    private JsonNode startLab(LabProcesses lab) throws InterruptedException {
        lab.startAll(Duration.ofSeconds(150), Duration.ofSeconds(240));
        return lab.awaitDeployment(Duration.ofSeconds(30));
    }

    private static Map<String, Object> snapshot(long pid) throws IOException, InterruptedException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rss", ProcessMemory.rssAfterGcKb(pid));
        m.put("heapUsed", ProcessMemory.heapUsedKb(pid));
        m.put("fds", ProcessMemory.openFds(pid));
        return m;
    }

    private static Duration remaining(long deadline) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new IllegalStateException("W3 did not finish within " + MAX_RUN.toMinutes() + " minutes");
        }
        return Duration.ofNanos(left);
    }

    private static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        try {
            m.put("memTotalKb", ProcessMemory.statusField(Files.readAllLines(Path.of("/proc/meminfo")), "MemTotal"));
            m.put("loadAverage", Files.readString(Path.of("/proc/loadavg")).strip());
        } catch (IOException | IllegalArgumentException e) {
            m.put("memTotalKb", null);
        }
        return m;
    }

    /** One client-sim load process and the lines it prints (READY, DONE, RESULT). */
    static final class LoadProcess {
        private final int index;
        final int count;
        private final Process process;
        private final java.util.concurrent.BlockingQueue<String> lines = new java.util.concurrent.LinkedBlockingQueue<>();
        private final Path outFile;

        private LoadProcess(int index, int count, Process process, Path outFile) {
            this.index = index;
            this.count = count;
            this.process = process;
            this.outFile = outFile;
            Thread t = new Thread(this::pump, "w3-load-" + index);
            t.setDaemon(true);
            t.start();
        }

        static LoadProcess start(LabPlan plan, Path work, int k, int first, int count, int active, int connectRate,
                                 String connectToOrNull) throws IOException {
            List<String> args = new ArrayList<>(List.of("--config", plan.configFile(LabPlan.CLIENT_SIM).toString(),
                    "load", "--count", String.valueOf(count), "--first", String.valueOf(first),
                    "--active", String.valueOf(Math.max(active, 0)), "--requests", String.valueOf(Math.max(active, 1)),
                    "--duration", "120s", "--timeout", "60s", "--connect-rate", String.valueOf(connectRate), "--max-connecting", "32",
                    "--threads", "2", "--ca-dir", plan.pkiDir().toString(),
                    "--pool-dir", plan.stateDir().resolve("load-pool").toString(),
                    "--wait-for", work.resolve("go").toString(), "--hold-until", work.resolve("stop").toString(),
                    "--json", work.resolve("load-" + k + ".json").toString()));
            if (connectToOrNull != null) {
                args.addAll(List.of("--connect-to", connectToOrNull));
            }
            if (active == 0) {
                // --active 0 would mean "all": a process with no share of the active clients sends one request
                args.set(args.indexOf("--active") + 1, "1");
                args.set(args.indexOf("--requests") + 1, "1");
            }
            List<String> cmd = ComponentProcess.javaCommand(plan.jar(LabPlan.CLIENT_SIM), args);
            cmd.add(1, "-Xmx768m");
            Path outFile = work.resolve("load-" + k + ".out");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            return new LoadProcess(k, count, pb.start(), outFile);
        }

        private void pump() {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8)); PrintWriter w = new PrintWriter(Files.newBufferedWriter(outFile))) {
                String line;
                while ((line = r.readLine()) != null) {
                    w.println(line);
                    w.flush();
                    if (line.startsWith("READY ") || line.startsWith("DONE ") || line.startsWith("RESULT ")) {
                        lines.add(line);
                    }
                }
            } catch (IOException e) {
                lines.add("EXIT " + e);
            }
            lines.add("EXIT");
        }

        private String await(String prefix, Duration timeout) throws InterruptedException {
            long until = System.nanoTime() + timeout.toNanos();
            while (true) {
                String l = lines.poll(Math.max(1, until - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (l == null) {
                    throw new IllegalStateException("load process " + index + ": no " + prefix + " within "
                            + timeout.toSeconds() + " s; see " + outFile);
                }
                if (l.startsWith(prefix)) {
                    return l;
                }
                if (l.startsWith("EXIT")) {
                    throw new IllegalStateException("load process " + index + " ended before " + prefix + "; see "
                            + outFile);
                }
            }
        }

        /** {connected, failed} from {@code READY connected=N failed=M}. */
        int[] awaitReady(Duration timeout) throws InterruptedException {
            String l = await("READY ", timeout);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("connected=(\\d+) failed=(\\d+)").matcher(l);
            if (!m.find()) {
                throw new IllegalStateException("load process " + index + ": unreadable " + l);
            }
            return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
        }

        void awaitDone(Duration timeout) throws InterruptedException {
            await("DONE ", timeout);
        }

        JsonNode awaitResult(Duration timeout) throws InterruptedException, IOException {
            String l = await("RESULT ", timeout);
            process.waitFor(Math.min(timeout.toMillis(), 30_000), TimeUnit.MILLISECONDS);
            return Json.MAPPER.readTree(l.substring("RESULT ".length()));
        }

        void stop() throws InterruptedException {
            if (process.isAlive()) {
                process.waitFor(10, TimeUnit.SECONDS);
                process.destroy();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }
}
