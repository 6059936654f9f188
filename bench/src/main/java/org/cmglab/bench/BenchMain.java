package org.cmglab.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import org.cmglab.lab.LabPlan;
import org.cmglab.lab.LabProcesses;
import org.cmglab.lab.LabStartup;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.runtime.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The benchmark harness of issue 8 ({@code bench/run}): starts the lab (LabProcesses) on a random net, an nginx TLS
 * front door to the MP and an {@code ssh -R} tunnel to the MP, all on loopback, then runs W6 (start-up), W1 (small
 * CcmMessaging requests: a content location request for a package on three DPs, ~2 KB in, ~4 KB out; h2load), W4 (W1 next to a slow 64 MiB download), W2 (64 MiB download, curl) and W5 (CMG
 * content token + manifest, wrk) against direct / CMG / nginx / ssh -R, each at least 3 times, and writes the medians
 * and the goal ratios to {@code bench/results/<timestamp>.json} and {@code .md}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "CMG Lab benchmark: the CMG path against direct, nginx and ssh -R baselines (loopback only).",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every workload measured", "1:a workload or path could not be measured (see the report)",
                "2:usage error", "3:the lab or a baseline did not start"})
public final class BenchMain implements Callable<Integer> {
    /** W1's package: not on the CMG; on the MP's own DP and {@link #W1_EXTRA_DPS} more (site-sim {@code /dps}). */
    static final String PACKAGE_W1 = "P0100B01";
    /** Other DPs holding W1's package: with the MP's own, three DP records make the ~4 KB reply of issue 8. */
    static final int W1_EXTRA_DPS = 2;
    static final String PACKAGE_W5 = "P0100B05"; // distributed to the CMG for W5
    static final long BULK_BYTES = 64L << 20;

    @Option(names = "--quick", description = "about 2 minutes: 3 runs of 3 s, one start-up, W4 on the CMG path only")
    boolean quick;

    @Option(names = "--runs", paramLabel = "N", description = "runs per workload and path (default 3, at least 3 for medians)")
    int runs = 3;

    @Option(names = "--duration", paramLabel = "SECONDS", description = "length of each wrk run (default 10, --quick 3)")
    Integer duration;

    @Option(names = "--connections", paramLabel = "N", description = "keep-alive connections of W1/W4/W5 (default ${DEFAULT-VALUE})")
    int connections = 64;

    @Option(names = "--workloads", split = ",", paramLabel = "W1,W2,W4,W5,W6", description = "workloads to run (default all)")
    List<String> workloads = List.of("W1", "W2", "W4", "W5", "W6");

    @Option(names = "--paths", split = ",", paramLabel = "direct,cmg,nginx,ssh", description = "paths to measure (default all)")
    List<String> paths = BenchReport.PATHS;

    @Option(names = "--net", paramLabel = "N", description = "second octet of the lab addresses (default: random 150..249)")
    Integer net;

    @Option(names = "--port-offset", paramLabel = "N",
            description = "port offset of the lab and the baselines (default: 0 as root, else 20000, as the lab's)")
    int portOffset = LabPlan.defaultPortOffset();

    @Option(names = "--out", paramLabel = "DIR", description = "results folder (default <home>/bench/results)")
    Path outDir;

    @Option(names = "--ready-timeout", paramLabel = "SECONDS",
            description = "how long each lab component may take to become ready (default ${DEFAULT-VALUE})")
    int readyTimeoutSeconds = 120;

    @Option(names = "--start-attempts", paramLabel = "N",
            description = "lab start-ups that may fail before the harness gives up (default ${DEFAULT-VALUE})")
    int startAttempts = 3;

    @Option(names = "--warmup", paramLabel = "SECONDS",
            description = "longest W1 warm-up per path (default 150, --quick 3): W1 runs in slices of 10 s, at least "
                    + "60 s, until a slice's rps is within 10%% of the previous one (the JIT of every hop has settled)")
    Integer warmupMax;

    @Option(names = "--keep-work", description = "keep the temporary folder (lab state, configs, tool logs)")
    boolean keepWork;

    private PrintStream out = System.out;
    /** CPU of every process on the way (lab components, CMG instance, Azurite, nginx, sshd/ssh); set once they run. */
    private CpuMeter cpu = new CpuMeter(Map.of());

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchMain()).execute(args));
    }

    /** The four ways to the MP, each as a client sees it. */
    record Target(String name, String address, int port, String tlsName, String prefix) {
        String url(String path) {
            return "https://" + address + ":" + port + prefix + path;
        }

        String namedUrl(String path) {
            return "https://" + tlsName + ":" + port + prefix + path;
        }
    }

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || runs > 20) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--runs: " + runs + " (expected 1..20)");
        }
        for (String w : workloads) {
            if (!List.of("W1", "W2", "W4", "W5", "W6").contains(w)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--workloads: " + w
                        + " (expected W1, W2, W4, W5, W6; W3 is the load helper's driver)");
            }
        }
        for (String p : paths) {
            if (!BenchReport.PATHS.contains(p)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--paths: " + p
                        + " (expected " + BenchReport.PATHS + ")");
            }
        }
        int seconds = duration != null ? duration : quick ? 3 : 10;
        Duration run = Duration.ofSeconds(seconds);
        Duration warmup = Duration.ofSeconds(warmupMax != null ? Math.max(1, warmupMax) : quick ? 3 : 150);
        int n = net != null ? net : ThreadLocalRandom.current().nextInt(150, 250);
        Path home = LabPlan.findHome();
        Path work = Files.createTempDirectory("cmglab-bench-");
        if (System.getProperty(org.cmglab.proto.runtime.ClassDataSharing.DIR_PROPERTY) == null) {
            // the state folder is a temp dir per invocation: keep the AppCDS archives of the jars between invocations
            System.setProperty(org.cmglab.proto.runtime.ClassDataSharing.DIR_PROPERTY,
                    home.resolve("bench").resolve("target").resolve("cds").toString());
        }
        Path results = outDir != null ? outDir : home.resolve("bench").resolve("results");
        LabPlan plan = LabPlan.builder().home(home).stateDir(work.resolve("state")).net(n).portOffset(portOffset).build();
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());

        BenchReport report = new BenchReport();
        report.meta.put("timestamp", Instant.now().toString());
        report.meta.put("command", "bench/run" + (quick ? " --quick" : ""));
        report.meta.put("machine", Machine.describe());
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("quick", quick);
        opts.put("runs", runs);
        opts.put("runSeconds", seconds);
        opts.put("warmupSeconds", warmup.toSeconds());
        opts.put("connections", connections);
        opts.put("net", n);
        opts.put("portOffset", portOffset);
        report.meta.put("options", opts);
        out.printf("CMG Lab bench: net 127.%d.x.y, port offset %d, %d runs × %d s, work folder %s%n", n, portOffset, runs,
                seconds, work);
        out.printf("  machine: %s%n", report.meta.get("machine"));

        int code;
        try (PrintStream labLog = new PrintStream(Files.newOutputStream(work.resolve("lab.out")), true,
                StandardCharsets.UTF_8)) {
            plan.materialize();
            code = measure(plan, work, labLog, report, run, warmup);
        } finally {
            report.meta.put("loadavgAtEnd", Machine.loadAverage());
            Files.createDirectories(results);
            Path json = results.resolve(stamp + ".json");
            Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), report.toJson());
            Path md = results.resolve(stamp + ".md");
            Files.writeString(md, "# CMG Lab bench " + stamp + "\n\nMachine: " + report.meta.get("machine")
                    + "\n\nOptions: " + opts + "\n\n" + report.markdown());
            out.println();
            out.print(report.markdown());
            out.printf("%nResults: %s%n         %s%n", json, md);
            if (!keepWork) {
                deleteTree(work);
            } else {
                out.println("Work folder kept: " + work);
            }
        }
        return code;
    }

    private int measure(LabPlan plan, Path work, PrintStream labLog, BenchReport report, Duration run, Duration warmup)
            throws Exception {
        // ---- W6: start-ups. All but the last are stopped again; the last one is the lab under test.
        int startups = workloads.contains("W6") ? (quick ? 1 : Math.max(3, runs)) : 1;
        LabProcesses lab = null;
        int failedStarts = 0;
        for (int i = 1; i <= startups; i++) {
            lab = new LabProcesses(plan, labLog);
            long t0 = System.nanoTime();
            try {
                // Azurite and azure-sim start together, the SCP, site-sim and the connection point once both are
                // ready (LabStartup), as cmglab demo / up start them
                LabStartup.Times times = lab.startAll(readyTimeout(), readyTimeout().plus(LabProcesses.DEPLOY_TIMEOUT));
                lab.awaitChannel(readyTimeout());
                double total = (System.nanoTime() - t0) / 1e9;
                double azurite = times.azuriteMillis() / 1e3;
                double deployed = times.deploymentMillis() / 1e3;
                report.samples("W6").add("lab", Map.of("seconds", total, "azuriteSeconds", azurite,
                        "deploymentSeconds", deployed));
                out.printf("W6  start-up %d/%d: Ready in %.1f s (Azurite ready after %.1f s, in parallel; CMG deployed"
                        + " after %.1f s)%n", i, startups, total, azurite, deployed);
            } catch (RuntimeException e) {
                lab.close();
                failedStarts++;
                report.meta.put("failedStartups", failedStarts);
                out.println("    start-up failed (" + failedStarts + "): " + e.getMessage() + " (see "
                        + work.resolve("lab.out") + ")");
                if (failedStarts >= startAttempts) {
                    out.println("FAILED to start the lab " + failedStarts + " times; giving up");
                    return 3;
                }
                i--; // try this start-up again: on a busy machine a component may miss its own timeouts
                continue;
            }
            if (i < startups) {
                lab.close();
            }
        }
        try (LabProcesses running = lab) {
            return measureWith(running, plan, work, report, run, warmup);
        }
    }

    private Duration readyTimeout() {
        return Duration.ofSeconds(readyTimeoutSeconds);
    }

    private int measureWith(LabProcesses lab, LabPlan plan, Path work, BenchReport report, Duration run, Duration warmup)
            throws Exception {
        // ---- the CCM token, fetched once by client-sim (Entra device token → CCM_STS through the CMG)
        String token = fetchToken(lab, plan);
        String deviceId = BenchMessages.deviceId(token);
        out.printf("    CCM token for %s fetched by client-sim (token --auth entra)%n", deviceId);

        Curl curl = new Curl(work.resolve("curl"), plan.rootCertFile());
        Wrk wrk = new Wrk(work.resolve("wrk"));
        H2load h2 = new H2load(work.resolve("h2load"));
        Map<String, Target> targets = new LinkedHashMap<>();
        targets.put("direct", new Target("direct", plan.mpAddress(), plan.mp().port(), LabPlan.MP_FQDN, ""));
        targets.put("cmg", new Target("cmg", plan.vipAddress(), plan.port(443), LabPlan.SERVICE_NAME,
                "/CCM_Proxy_ServerAuth/" + LabPlan.MP_ROLE_ID));
        Endpoint nginxAt = new Endpoint("127." + plan.net() + ".8.10", plan.port(443));
        Endpoint sshdAt = new Endpoint("127." + plan.net() + ".9.10", plan.port(22));
        Endpoint sshEntrance = new Endpoint("127." + plan.net() + ".9.10", plan.port(443));
        targets.put("nginx", new Target("nginx", nginxAt.address(), nginxAt.port(), LabPlan.MP_FQDN, ""));
        targets.put("ssh", new Target("ssh", sshEntrance.address(), sshEntrance.port(), LabPlan.MP_FQDN, ""));
        targets.keySet().retainAll(paths);

        List<AutoCloseable> baselines = new ArrayList<>();
        try {
            if (targets.containsKey("nginx")) {
                try {
                    NginxFrontDoor ng = NginxFrontDoor.start(work.resolve("nginx"), nginxAt, plan.mp(), LabPlan.MP_FQDN,
                            Path.of(plan.mpTls().certFile()), Path.of(plan.mpTls().keyFile()), plan.rootCertFile(),
                            Runtime.getRuntime().availableProcessors());
                    baselines.add(ng);
                    out.printf("    nginx front door on %s (pid %d) → MP %s%n", nginxAt, ng.pid(), plan.mp());
                } catch (RuntimeException | IOException e) {
                    failPath(report, "nginx", "nginx did not start: " + e.getMessage());
                    targets.remove("nginx");
                }
            }
            if (targets.containsKey("ssh")) {
                try {
                    SshReverseTunnel t = SshReverseTunnel.start(work.resolve("ssh"), sshdAt, sshEntrance, plan.mp());
                    baselines.add(t);
                    out.printf("    ssh -R tunnel: sshd on %s, entrance %s → MP %s (pids %s)%n", sshdAt, sshEntrance,
                            plan.mp(), t.pids());
                } catch (RuntimeException | IOException e) {
                    failPath(report, "ssh", "ssh -R did not start: " + e.getMessage());
                    targets.remove("ssh");
                }
            }
            cpu = new CpuMeter(processes(lab, baselines));
            return runWorkloads(lab, plan, work, report, run, warmup, token, deviceId, curl, wrk, h2, targets);
        } finally {
            for (int i = baselines.size() - 1; i >= 0; i--) {
                baselines.get(i).close();
            }
        }
    }

    static final Duration WARMUP_SLICE = Duration.ofSeconds(10);
    static final Duration WARMUP_MINIMUM = Duration.ofSeconds(60);

    /**
     * Runs {@code slice} until two consecutive slices' rps are within 10% of each other (the JIT of every JVM on the
     * path has settled: the CMG path needs 30–60 s of load on 2 cores, direct far less) or {@code max} is spent.
     */
    void warmUp(String path, java.util.concurrent.Callable<Wrk.Summary> slice, Duration max) {
        long start = System.nanoTime();
        long deadline = start + max.toNanos();
        // two slices agreeing early can still be mid-ramp (the CMG path went 95, 208, 283, 440, 460 rps and on to
        // ~1,500): a full warm-up runs at least WARMUP_MINIMUM before it may count as settled
        long minimum = start + Math.min(WARMUP_MINIMUM.toNanos(), max.toNanos());
        double previous = -1;
        int n = 0;
        while (true) {
            Wrk.Summary s;
            try {
                s = slice.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
            n++;
            boolean settled = warmedUp(previous, s.rps()) && System.nanoTime() >= minimum;
            out.printf(Locale.ROOT, "    warm-up %-6s slice %d: %.0f rps%s%n", path, n, s.rps(), settled ? " (settled)" : "");
            previous = s.rps();
            if (settled || System.nanoTime() >= deadline) {
                return;
            }
        }
    }

    /** Whether a warm-up slice of {@code rps} is within 10% of the previous slice's (none before: not settled). */
    static boolean warmedUp(double previousRps, double rps) {
        return previousRps > 0 && rps > 0 && Math.abs(rps - previousRps) <= 0.10 * previousRps;
    }

    /** pid → name of every process on the way, children included (nginx workers, sshd's session process). */
    static Map<String, Long> processes(LabProcesses lab, List<AutoCloseable> baselines) {
        Map<Long, String> byPid = new LinkedHashMap<>();
        for (org.cmglab.lab.ComponentProcess c : lab.components()) {
            if (c.process() != null) {
                byPid.put(c.pid(), c.name());
            }
        }
        for (ProcessHandle h : lab.processHandles()) {
            if (!byPid.containsKey(h.pid()) && h.isAlive()) {
                String cmd = String.join(" ", h.info().arguments().orElse(new String[0]));
                byPid.put(h.pid(), cmd.contains("cmg-service") ? "cmg-service" : cmd.contains("azurite") ? "azurite"
                        : "other");
            }
        }
        for (AutoCloseable b : baselines) {
            if (b instanceof NginxFrontDoor n) {
                byPid.put(n.pid(), "nginx");
            } else if (b instanceof SshReverseTunnel t) {
                byPid.put(t.pids().get(0), "sshd");
                byPid.put(t.pids().get(1), "ssh");
            }
        }
        // A process is counted once, under its own name: azure-sim's descendants are the CMG instance JVMs, which
        // are already in byPid as cmg-service (counting them under azure-sim too doubled their CPU).
        return withDescendants(byPid, pid -> ProcessHandle.of(pid).stream().flatMap(ProcessHandle::descendants)
                .map(ProcessHandle::pid));
    }

    /** {@code name#pid → pid} of every process and its descendants, each pid once, under its own name when it has one. */
    static Map<String, Long> withDescendants(Map<Long, String> byPid,
                                             java.util.function.Function<Long, java.util.stream.Stream<Long>> descendants) {
        Map<Long, String> all = new LinkedHashMap<>(byPid);
        byPid.forEach((pid, name) -> descendants.apply(pid).forEach(d -> all.putIfAbsent(d, name)));
        Map<String, Long> out = new LinkedHashMap<>();
        all.forEach((pid, name) -> out.put(name + "#" + pid, pid));
        return out;
    }

    /** Runs {@code load} and adds the CPU µs per request of every process (summed per name) to its sample. */
    private Map<String, Double> withCpu(java.util.concurrent.Callable<Wrk.Summary> load, java.util.function.Consumer<Wrk.Summary> seen)
            throws Exception {
        Map<String, Double> before = cpu.read();
        Wrk.Summary s = load.call();
        Map<String, Double> after = cpu.read();
        seen.accept(s);
        Map<String, Double> m = new LinkedHashMap<>(sample(s));
        Map<String, Double> per = new LinkedHashMap<>();
        CpuMeter.perRequest(before, after, s.requests()).forEach((k, v) -> per.merge(k.replaceAll("#\\d+$", ""), v, Double::sum));
        m.putAll(per);
        return m;
    }

    private void failPath(BenchReport report, String path, String why) {
        out.println("    " + path + ": " + why);
        for (String w : List.of("W1", "W2", "W4")) {
            if (workloads.contains(w)) {
                report.samples(w).fail(path, why);
            }
        }
    }

    private int runWorkloads(LabProcesses lab, LabPlan plan, Path work, BenchReport report, Duration run,
                             Duration warmup, String token, String deviceId, Curl curl, Wrk wrk,
                             H2load h2, Map<String, Target> targets) throws Exception {
        boolean complete = true;
        Map<String, String> auth = new LinkedHashMap<>();
        auth.put("Authorization", "Bearer " + token);
        auth.put("User-Agent", "ConfigMgr Messaging HTTP Sender");

        // ---- W1 request and a checked sample exchange per path (status 200, reply size, every DP of the package)
        JsonNode placed = Json.MAPPER.readTree(lab.adminPost(plan.siteSimAdmin(), "/dps?package=" + PACKAGE_W1
                + "&count=" + W1_EXTRA_DPS));
        List<String> w1Dps = new ArrayList<>(List.of(LabPlan.MP_FQDN));
        placed.path("distributionPoints").forEach(dp -> w1Dps.add(dp.asText()));
        byte[] w1Body = BenchMessages.w1Request(deviceId, PACKAGE_W1, LabPlan.SITE_CODE, Instant.now());
        Map<String, String> w1Headers = new LinkedHashMap<>(auth);
        w1Headers.put("Content-Type", org.cmglab.proto.ccm.CcmMultipart.CONTENT_TYPE);
        w1Headers.put("CcmTokenAuth", "1");
        Map<String, Target> w1Targets = new LinkedHashMap<>();
        for (Target t : targets.values()) {
            try {
                Path reply = work.resolve("w1-reply-" + t.name() + ".bin");
                Curl.Transfer x = curl.run("CCM_POST", t.namedUrl("/ccm_system_tokenauth/request"), t.address(),
                        w1Headers, w1Body, reply, Duration.ofSeconds(30));
                if (x.status() != 200) {
                    throw new IllegalStateException("W1 sample request answered " + x.status());
                }
                List<String> dps;
                try {
                    dps = BenchMessages.distributionPoints(Files.readAllBytes(reply));
                } catch (IOException e) {
                    throw new IllegalStateException("W1 sample reply unreadable: " + e.getMessage(), e);
                }
                if (!dps.equals(w1Dps)) {
                    throw new IllegalStateException("W1 sample reply lists the DPs " + dps + " (expected " + w1Dps + ")");
                }
                w1Targets.put(t.name(), t);
                out.printf("    W1 check %-6s CCM_POST %d bytes → %d, %d bytes (%d DPs)%n", t.name(), w1Body.length,
                        x.status(), x.bytes(), dps.size());
                report.meta.putIfAbsent("w1RequestBytes", w1Body.length);
                report.meta.putIfAbsent("w1ReplyBytes", x.bytes());
            } catch (RuntimeException e) {
                complete = false;
                out.printf("    W1 check %-6s FAILED: %s%n", t.name(), e.getMessage());
                report.samples("W1").fail(t.name(), e.getMessage());
            }
        }

        // ---- warm-up (the JIT of every hop), then W1 and W4 interleaved per round and path
        if (workloads.contains("W1") || workloads.contains("W4")) {
            for (Target t : List.copyOf(w1Targets.values())) {
                try {
                    warmUp(t.name(), () -> h2.run(w1Request(t, w1Headers, w1Body), connections, WARMUP_SLICE
                            .compareTo(warmup) < 0 ? WARMUP_SLICE : warmup), warmup);
                } catch (RuntimeException e) {
                    complete = false;
                    out.printf("    W1 warm-up %-6s FAILED: %s%n", t.name(), e.getMessage());
                    report.samples("W1").fail(t.name(), "warm-up: " + e.getMessage());
                    w1Targets.remove(t.name());
                }
            }
            out.printf("    warm-up: W1 per path until its rps settled (at most %d s each)%n", warmup.toSeconds());
            for (int r = 1; r <= runs; r++) {
                for (Target t : w1Targets.values()) {
                    if (workloads.contains("W1")) {
                        try {
                            int round = r;
                            Map<String, Double> m = withCpu(() -> h2.run(w1Request(t, w1Headers, w1Body), connections,
                                    run), s -> print("W1", round, t.name(), s));
                            report.samples("W1").add(t.name(), m);
                            complete &= m.get("errors") == 0;
                        } catch (RuntimeException e) {
                            complete = false;
                            out.printf("W1  run %d %-6s FAILED: %s%n", r, t.name(), e.getMessage());
                            report.samples("W1").fail(t.name(), e.getMessage());
                        }
                    }
                    if (workloads.contains("W4") && (!quick || t.name().equals("cmg"))) {
                        try {
                            complete &= headOfLine(report, curl, h2, t, auth, w1Headers, w1Body, r, run);
                        } catch (RuntimeException e) {
                            complete = false;
                            out.printf("W4  run %d %-6s FAILED: %s%n", r, t.name(), e.getMessage());
                            report.samples("W4").fail(t.name(), e.getMessage());
                        }
                    }
                }
            }
        }

        // ---- W2: 64 MiB from the MP's lab content endpoint, curl, one transfer at a time
        if (workloads.contains("W2")) {
            String path = "/SMS_DP_SMSPKG$/" + PACKAGE_W1 + "/lab-" + (BULK_BYTES >> 20) + "MiB.bin";
            for (Target t : targets.values()) {
                try {
                    curl.run("GET", t.namedUrl(path), t.address(), auth, null, null, Duration.ofSeconds(120));
                } catch (RuntimeException e) {
                    report.samples("W2").fail(t.name(), e.getMessage());
                }
            }
            for (int r = 1; r <= runs; r++) {
                for (Target t : targets.values()) {
                    if (report.samples("W2").failures().containsKey(t.name())) {
                        continue;
                    }
                    try {
                        Curl.Transfer x = curl.run("GET", t.namedUrl(path), t.address(), auth, null, null,
                                Duration.ofSeconds(120));
                        boolean ok = x.status() == 200 && x.bytes() == BULK_BYTES;
                        report.samples("W2").add(t.name(), Map.of("MBps", x.mbPerSecond(), "seconds", x.seconds(),
                                "errors", ok ? 0.0 : 1.0));
                        complete &= ok;
                        out.printf("W2  run %d %-6s %7.1f MB/s (%d, %d bytes in %.2f s)%n", r, t.name(), x.mbPerSecond(),
                                x.status(), x.bytes(), x.seconds());
                    } catch (RuntimeException e) {
                        complete = false;
                        report.samples("W2").fail(t.name(), e.getMessage());
                    }
                }
            }
        }

        // ---- W5: the CMG content service (C4 token check + C5 manifest with SAS URLs), CMG path only
        if (workloads.contains("W5") && targets.containsKey("cmg")) {
            try {
                complete &= content(lab, plan, work, report, curl, wrk, targets.get("cmg"), targets.get("direct"),
                        w1Headers, deviceId, run, warmup);
            } catch (RuntimeException e) {
                complete = false;
                out.println("W5  FAILED: " + e.getMessage());
                report.samples("W5").fail("cmg", e.getMessage());
            }
        }
        return complete ? 0 : 1;
    }

    private static Wrk.Request w1Request(Target t, Map<String, String> headers, byte[] body) {
        return new Wrk.Request("CCM_POST", t.url("/ccm_system_tokenauth/request"), headers, body);
    }

    /** A run's figures; a run in which no request completed counts as an error (nothing was measured). */
    static Map<String, Double> sample(Wrk.Summary s) {
        double errors = s.errors() + (s.requests() == 0 ? 1 : 0);
        return Map.of("rps", s.rps(), "p50Ms", s.p50Ms(), "p90Ms", s.p90Ms(), "p99Ms", s.p99Ms(), "maxMs", s.maxMs(),
                "requests", (double) s.requests(), "errors", errors);
    }

    private void print(String w, int r, String path, Wrk.Summary s) {
        out.printf(Locale.ROOT, "%s  run %d %-6s %9.0f rps  p50 %6.2f ms  p99 %7.2f ms  errors %d%n", w, r, path, s.rps(),
                s.p50Ms(), s.p99Ms(), s.errors());
    }

    /** W4: W1 on {@code t} while one client downloads 64 MiB slowly (2 MB/s) through the same path. */
    private boolean headOfLine(BenchReport report, Curl curl, H2load h2, Target t, Map<String, String> auth,
                               Map<String, String> w1Headers, byte[] w1Body, int r, Duration run) throws Exception {
        String path = "/SMS_DP_SMSPKG$/" + PACKAGE_W1 + "/lab-" + (BULK_BYTES >> 20) + "MiB.bin";
        try (Tool slow = curl.startSlow(t.namedUrl(path), t.address(), auth, 2_000_000)) {
            Thread.sleep(1000); // let the download fill every window on the way before the small requests start
            if (!slow.isAlive()) {
                report.samples("W4").fail(t.name(), "the slow download ended early: " + Tool.tail(slow.outFile(), 3));
                return false;
            }
            Wrk.Summary s = h2.run(w1Request(t, w1Headers, w1Body), connections, run);
            boolean stillDownloading = slow.isAlive();
            Map<String, Double> m = new LinkedHashMap<>(sample(s));
            m.put("slowDownloadAlive", stillDownloading ? 1.0 : 0.0);
            report.samples("W4").add(t.name(), m);
            print("W4", r, t.name(), s);
            return s.errors() == 0 && stillDownloading;
        }
    }

    /** W5: distributes a package to the CMG, gets its content URL from the MP (C1/C2), then loads C4/C5 with wrk. */
    private boolean content(LabProcesses lab, LabPlan plan, Path work, BenchReport report, Curl curl, Wrk wrk,
                            Target cmg, Target direct, Map<String, String> w1Headers, String deviceId, Duration run,
                            Duration warmup) throws Exception {
        lab.adminPost(plan.siteSimAdmin(), "/distribute?package=" + PACKAGE_W5 + "&version=1&files=2&bytes=2000000");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String state = "";
        while (!state.startsWith("Distributed")) {
            JsonNode st = Json.MAPPER.readTree(lab.adminPost(plan.siteSimAdmin(), "/content"));
            state = st.path("states").path(PACKAGE_W5).asText("");
            if (state.startsWith("Failed") || System.nanoTime() > deadline) {
                throw new IllegalStateException("distribution of " + PACKAGE_W5 + ": " + (state.isEmpty() ? "no state" : state));
            }
            Thread.sleep(200);
        }
        Target mp = direct != null ? direct : new Target("direct", plan.mpAddress(), plan.mp().port(), LabPlan.MP_FQDN, "");
        Path reply = work.resolve("w5-location.bin");
        Curl.Transfer x = curl.run("CCM_POST", mp.namedUrl("/ccm_system_tokenauth/request"), mp.address(), w1Headers,
                BenchMessages.contentLocationRequest(deviceId, PACKAGE_W5, LabPlan.SITE_CODE, Instant.now()), reply,
                Duration.ofSeconds(30));
        String url = x.status() == 200 ? BenchMessages.contentUrl(Files.readAllBytes(reply)) : null;
        if (url == null) {
            throw new IllegalStateException("the MP's content location reply (" + x.status() + ") has no CMG content URL");
        }
        java.net.URI u = java.net.URI.create(url);
        String pathAndQuery = u.getRawPath() + "?" + u.getRawQuery();
        Map<String, String> h = new LinkedHashMap<>();
        h.put("User-Agent", "SMS+CCM+5.0");
        h.put("CCMClientID", deviceId);
        Curl.Transfer check = curl.run("GET", "https://" + cmg.tlsName() + ":" + cmg.port() + pathAndQuery, cmg.address(),
                h, null, null, Duration.ofSeconds(30));
        out.printf("    W5 check: %s → %d, %d bytes (manifest with SAS URLs)%n", u.getRawPath(), check.status(),
                check.bytes());
        if (check.status() != 200) {
            throw new IllegalStateException("the CMG content service answered " + check.status());
        }
        Wrk.Request req = new Wrk.Request("GET", "https://" + cmg.address() + ":" + cmg.port() + pathAndQuery, h, null);
        warmUp("W5 cmg", () -> wrk.run(req, connections, WARMUP_SLICE.compareTo(warmup) < 0 ? WARMUP_SLICE : warmup),
                warmup);
        boolean ok = true;
        for (int r = 1; r <= runs; r++) {
            int round = r;
            Map<String, Double> m = withCpu(() -> wrk.run(req, connections, run), s -> print("W5", round, "cmg", s));
            report.samples("W5").add("cmg", m);
            ok &= m.get("errors") == 0;
        }
        return ok;
    }

    /** client-sim {@code token --auth entra}: the CCM token through the CMG; read from the client's token store. */
    private String fetchToken(LabProcesses lab, LabPlan plan) throws Exception {
        Path store = Path.of(plan.clientSimConfig().tokens().stateDir()).resolve("ccm-token.json");
        String last = "";
        for (int attempt = 1; attempt <= 10; attempt++) {
            var run = lab.runClientCommand(plan.configFile(LabPlan.CLIENT_SIM), "token", TraceContext.newTraceId(),
                    List.of("--auth", "entra", "--renew"));
            if (run.exitCode() == 0 && Files.exists(store)) {
                return Json.MAPPER.readTree(store.toFile()).path("token").asText();
            }
            last = "client-sim token exit " + run.exitCode() + ": " + run.output().strip();
            Thread.sleep(2000); // the MP loads Entra's keys in the background (every 2 s, docs/client-auth.md)
        }
        throw new IllegalStateException("no CCM token: " + last);
    }

    static void deleteTree(Path dir) {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }
}
