package org.cmglab.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.cmglab.lab.ComponentProcess;
import org.cmglab.lab.LabPlan;
import org.cmglab.lab.LabProcesses;
import org.cmglab.proto.config.ConnectionPointConfig;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault matrix (docs/reliability.md, "Fault matrix"): every component its own process, a steady bounded client
 * load through the CMG ({@link LoadDriver}: GET MPLIST and CCM_POST loops through the VIP, each request with a
 * deadline and its own trace id), and one fault after another on the same lab. For each fault the test measures the
 * requests that failed (and how: an HTTP status with the CMG's reason, a refused or closed connection, or a missed
 * deadline — a hang), CCM_POSTs delivered twice or lost (from site-sim's flow events), the time until the lab
 * detected the fault, until clients were served again and until the lab was whole again, and the RSS of the
 * processes that survived it; it writes {@code target/reliability/fault-matrix.json} and {@code .md}.
 *
 * <p>The lab: a scale-set CMG with two instances, the connection point dialling through the site's web proxy
 * ({@link FaultProxy}, which can black-hole a tunnel or die), PING 1 s / 1 s on both ends, the site read every 500 ms.
 *
 * <p>By default (CI) only a representative subset runs (kill -9 of an instance, a black-holed channel; both check
 * that no CCM_POST is delivered twice): {@code -Dcmglab.reliability=full} runs every fault. Each fault is a test and
 * fails on its own pass/fail criteria; the report is written whatever the outcome.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultMatrixE2ETest {
    static final int GET_LOOPS = 2;
    static final int POST_LOOPS = 1;
    static final double PER_LOOP_RATE = 4;
    static final boolean FULL = "full".equalsIgnoreCase(System.getProperty("cmglab.reliability", ""));
    static final String COMMAND_FULL = "./mvnw -B -pl src-test-e2e -am verify -Dtest=FaultMatrixE2ETest "
            + "-Dsurefire.failIfNoSpecifiedTests=false -Dcmglab.reliability=full";
    static final String COMMAND_SUBSET = "./mvnw -B -pl src-test-e2e -am verify -Dtest=FaultMatrixE2ETest "
            + "-Dsurefire.failIfNoSpecifiedTests=false";
    /** Detection budget for channel faults: PING 1 s + 1 s, plus polling and scheduling slack on a shared machine. */
    static final Duration CHANNEL_DETECT = Duration.ofSeconds(5);
    static final Duration POLL = Duration.ofMillis(50);
    /** A process the test starts again must be ready within this (a JVM start on a busy 2-core machine). */
    static final Duration RESTART_TIMEOUT = Duration.ofSeconds(180);

    @TempDir
    static Path tmp;
    static E2eLab e2e;
    static LabPlan plan;
    static FaultProxy proxy;
    static LoadDriver load;
    static final FaultReport report = new FaultReport();
    /** The CMG instances' processes as the test knows them (azure-sim's, or the test's relaunch). */
    static final Map<Integer, ProcessHandle> instances = new ConcurrentHashMap<>();

    @BeforeAll
    static void startLab() throws Exception {
        int net = 100 + ThreadLocalRandom.current().nextInt(100);
        proxy = new FaultProxy("127." + net + ".2.80");
        e2e = E2eLab.start(tmp.resolve("state"), b -> b.net(net).instances(2)
                        .channelPing(Duration.ofSeconds(1), Duration.ofSeconds(1)),
                c -> E2eLab.with(c, c.channel(), 500,
                        new ConnectionPointConfig.WebProxy(proxy.address(), proxy.port(), null, null)), E2eLab.NONE,
                RESTART_TIMEOUT);
        plan = e2e.plan;
        for (int i = 0; i < 2; i++) {
            instances.put(i, ProcessHandle.of(e2e.instancePid(i)).orElseThrow());
            awaitChannel(i, null);
        }
        load = new LoadDriver(plan).start(GET_LOOPS, POST_LOOPS, PER_LOOP_RATE, Duration.ofMinutes(FULL ? 15 : 4));
        long t = System.nanoTime();
        await("the load to flow").atMost(Duration.ofSeconds(30)).pollInterval(POLL).until(() -> load.okSince(t) >= 20);
    }

    @AfterAll
    static void stopLab() throws Exception {
        try {
            if (load != null) {
                load.close();
            }
            Path out = Path.of("target", "reliability");
            report.write(out, FULL ? "full" : "subset", FULL ? COMMAND_FULL : COMMAND_SUBSET);
            if (plan != null && report.rows().stream().anyMatch(r -> !r.pass())) {
                copyLogs(plan.logDir(), out.resolve("logs"));
            }
            System.out.print(report.markdown(FULL ? "full" : "subset", FULL ? COMMAND_FULL : COMMAND_SUBSET));
        } finally {
            if (proxy != null) {
                proxy.close();
            }
            if (e2e != null) {
                e2e.close();
            }
        }
    }

    // ------------------------------------------------------------------ the faults

    @Test
    @Order(1)
    void kill9OneCmgInstance() throws Exception {
        String old = channelId(1);
        run(new Fault("kill -9 one CMG instance", "SIGKILL instance 1 of 2; relaunched after detection",
                "connection point sees the channel close") {
            void inject() throws Exception {
                ProcessHandle h = instances.get(1);
                h.destroyForcibly();
                h.onExit().get(10, TimeUnit.SECONDS);
            }

            boolean detected() throws Exception {
                return !channelConnected(1, old);
            }

            void repair() throws Exception {
                relaunch(1);
            }

            boolean restored() throws Exception {
                return channelConnected(1, null) && !old.equals(channelId(1)) && !cmgReadyIds(1).isEmpty();
            }

            void bounds(FaultReport.Row r, List<String> v) {
                within(v, "detect", r.detectMs(), CHANNEL_DETECT);
            }
        });
    }

    @Test
    @Order(2)
    void blackHoledChannel() throws Exception {
        String old = channelId(1);
        String port = ":" + plan.port(10125);
        run(new Fault("black-holed channel (half-open)", "the web proxy stops forwarding the tunnel of instance 1's "
                + "channel, no FIN, no RST", "CMG and connection point drop the channel (PING 1 s / 1 s)") {
            long cmgDetect = -1;

            void inject() {
                assertThat(proxy.blackHole(t -> t.endsWith(port))).as("tunnels to %s black-holed", port).isPositive();
            }

            boolean detected() throws Exception {
                return !channelConnected(1, old) && !cmgReadyIds(1).contains(old);
            }

            boolean restored() throws Exception {
                String id = channelId(1);
                return channelConnected(1, null) && !old.equals(id) && cmgReadyIds(1).equals(List.of(id));
            }

            void bounds(FaultReport.Row r, List<String> v) throws Exception {
                within(v, "detect", r.detectMs(), CHANNEL_DETECT);
                if (E2eLab.grep(e2e.out(LabPlan.CONNECTION_POINT), "no PING answer").isEmpty()
                        && E2eLab.grep(e2e.out(LabPlan.cmgServiceName(1)), "no PING ACK").isEmpty()) {
                    v.add("neither side logged the PING deadline as the reason");
                }
            }
        });
    }

    @Test
    @Order(3)
    void gracefulStopOfOneCmgInstance() throws Exception {
        full();
        String old = channelId(1);
        run(new Fault("graceful stop of one CMG instance",
                "SIGTERM instance 1 of 2 (drain); relaunched after it exited",
                "connection point sees the channel close") {
            void inject() throws Exception {
                ProcessHandle h = instances.get(1);
                h.destroy();
                h.onExit().get(40, TimeUnit.SECONDS);
            }

            boolean detected() throws Exception {
                return !channelConnected(1, old);
            }

            void repair() throws Exception {
                relaunch(1);
            }

            boolean restored() throws Exception {
                return channelConnected(1, null) && !old.equals(channelId(1)) && !cmgReadyIds(1).isEmpty();
            }
        });
    }

    @Test
    @Order(4)
    void webProxyDiesAndComesBack() throws Exception {
        full();
        String old0 = channelId(0);
        String old1 = channelId(1);
        run(new Fault("web proxy dies and comes back", "the site's proxy stops (every tunnel closed, new CONNECTs "
                + "refused) for 3 s, then listens again", "connection point sees both channels close") {
            void inject() throws Exception {
                proxy.down();
            }

            boolean detected() throws Exception {
                return !channelConnected(0, old0) && !channelConnected(1, old1);
            }

            void repair() throws Exception {
                outage(Duration.ofSeconds(3));
                proxy.up();
            }

            boolean restored() throws Exception {
                return bothChannelsReady();
            }

            void bounds(FaultReport.Row r, List<String> v) {
                within(v, "detect", r.detectMs(), CHANNEL_DETECT);
            }
        });
    }

    @Test
    @Order(5)
    void kill9ConnectionPointAndRestart() throws Exception {
        full();
        ComponentProcess cp = e2e.cp();
        run(new Fault("kill -9 the connection point, restart it", "SIGKILL the connection point; started again after "
                + "the CMG noticed", "both CMG instances drop its channels") {
            void inject() {
                cp.kill();
            }

            boolean detected() throws Exception {
                return cmgReadyIds(0).isEmpty() && cmgReadyIds(1).isEmpty();
            }

            void repair() throws Exception {
                cp.start();
                awaitReady(cp);
            }

            boolean restored() throws Exception {
                return bothChannelsReady();
            }

            void bounds(FaultReport.Row r, List<String> v) {
                within(v, "detect", r.detectMs(), CHANNEL_DETECT);
            }
        });
    }

    @Test
    @Order(6)
    void twoConnectionPointsKillOne() throws Exception {
        full();
        ComponentProcess cp2 = secondConnectionPoint();
        cp2.start();
        awaitReady(cp2);
        await("both instances to list channels of both connection points").atMost(Duration.ofSeconds(30))
                .pollInterval(POLL).ignoreExceptions().until(() -> connectors(0) == 2 && connectors(1) == 2);
        run(new Fault("two connection points, kill -9 one", "a second connection point (own host, certificate, "
                + "name) serves the role; SIGKILL it", "both CMG instances drop its channels") {
            void inject() {
                cp2.kill();
            }

            boolean detected() throws Exception {
                return connectors(0) == 1 && connectors(1) == 1;
            }

            boolean restored() throws Exception {
                return bothChannelsReady();
            }

            void bounds(FaultReport.Row r, List<String> v) {
                within(v, "detect", r.detectMs(), CHANNEL_DETECT);
                if (r.failedGets() > 0) {
                    v.add(r.failedGets() + " GET(s) failed although another connection point served the role "
                            + "(GETs are retried once on another channel)");
                }
            }
        });
    }

    @Test
    @Order(7)
    void managementPointDown() throws Exception {
        full();
        ComponentProcess site = e2e.lab.component(LabPlan.SITE_SIM);
        run(new Fault("MP down", "SIGKILL site-sim (the MP) for 3 s, then start it again",
                "first client request answered with an error") {
            long t0;

            void inject() {
                t0 = System.nanoTime();
                site.kill();
            }

            boolean detected() {
                return load.between(t0, System.nanoTime()).stream().anyMatch(o -> !o.ok());
            }

            void repair() throws Exception {
                outage(Duration.ofSeconds(3));
                site.start();
                awaitReady(site);
            }

            boolean restored() throws Exception {
                return E2eLab.Client.vipGet(plan, E2eLab.MPLIST).status() == 200;
            }

            void bounds(FaultReport.Row r, List<String> v) {
                if (r.failures().keySet().stream().anyMatch(k -> !k.matches("\\S+ 50[234] .*"))) {
                    v.add("an MP outage must reach the client as 502/503/504 with a reason: " + r.failures());
                }
            }
        });
    }

    @Test
    @Order(8)
    void managementPointSlow() throws Exception {
        full();
        ComponentProcess site = e2e.lab.component(LabPlan.SITE_SIM);
        long slowMs = 3_000;
        run(new Fault("MP slow (3 s per request)", "site-sim answers every request 3 s late for 6 s "
                + "(admin POST /slow?ms=3000), then normally", "first client request slower than 2.5 s") {
            long t0;

            void inject() throws Exception {
                t0 = System.nanoTime();
                E2eLab.post(site, "/slow?ms=" + slowMs);
            }

            boolean detected() {
                return load.between(t0, System.nanoTime()).stream().anyMatch(o -> o.millis() > slowMs * 5 / 6);
            }

            void repair() throws Exception {
                outage(Duration.ofSeconds(6));
                E2eLab.post(site, "/slow?ms=0");
            }

            boolean restored() throws Exception {
                long t = System.nanoTime();
                return E2eLab.Client.vipGet(plan, E2eLab.MPLIST).status() == 200
                        && System.nanoTime() - t < 1_000_000_000L;
            }

            void bounds(FaultReport.Row r, List<String> v) {
                if (r.failed() > 0) {
                    v.add(r.failed() + " request(s) failed although the MP answered within the deadline: "
                            + r.failures());
                }
            }
        });
    }

    @Test
    @Order(9)
    void scaleOutByOne() throws Exception {
        full();
        run(new Fault("scale out by one", "SCP scales the CMG 2 → 3 (admin POST /scale)",
                "connection point has a channel to the new instance") {
            void inject() throws Exception {
                E2eLab.post(e2e.lab.component(LabPlan.SCP), "/scale?count=3");
            }

            boolean detected() throws Exception {
                return channelConnected(2, null);
            }

            boolean restored() throws Exception {
                return channelConnected(2, null) && !cmgReadyIds(2).isEmpty() && bothChannelsReady();
            }

            void bounds(FaultReport.Row r, List<String> v) {
                if (r.failed() > 0) {
                    v.add(r.failed() + " request(s) failed during a scale-out: " + r.failures());
                }
            }

            Duration detectTimeout() {
                return RESTART_TIMEOUT; // azure-sim starts a JVM for the new instance
            }

            Duration restoreTimeout() {
                return RESTART_TIMEOUT.plusSeconds(30);
            }
        });
    }

    // ------------------------------------------------------------------ the harness

    /** One fault: how it is injected, noticed, repaired; what "whole again" means; its own bounds. */
    abstract static class Fault {
        final String name;
        final String how;
        final String detectedBy;

        Fault(String name, String how, String detectedBy) {
            this.name = name;
            this.how = how;
            this.detectedBy = detectedBy;
        }

        abstract void inject() throws Exception;

        abstract boolean detected() throws Exception;

        /** After detection: what an operator (or the platform) does; nothing for self-healing faults. */
        void repair() throws Exception {
        }

        abstract boolean restored() throws Exception;

        /** Fault-specific pass/fail checks on the measured row. */
        void bounds(FaultReport.Row r, List<String> violations) throws Exception {
        }

        Duration detectTimeout() {
            return Duration.ofSeconds(20);
        }

        Duration restoreTimeout() {
            return Duration.ofSeconds(60);
        }
    }

    private static void full() {
        Assumptions.assumeTrue(FULL, "part of the full fault matrix: -Dcmglab.reliability=full");
    }

    private void run(Fault f) throws Exception {
        // each fault starts from a whole lab (a fault before it may have failed half-way)
        await(f.name + ": the lab whole before the fault").atMost(RESTART_TIMEOUT).pollInterval(POLL)
                .ignoreExceptions().until(FaultMatrixE2ETest::bothChannelsReady);
        try {
            measure(f);
        } catch (Exception | AssertionError e) {
            if (report.rows().stream().noneMatch(r -> r.fault().equals(f.name))) {
                report.add(new FaultReport.Row(f.name, f.how, f.detectedBy, FULL ? "full" : "subset", 0, 0, 0, 0, 0,
                        Map.of(), 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, 0, Map.of(), Map.of(),
                        List.of("did not complete: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""))));
            }
            throw e;
        }
    }

    private void measure(Fault f) throws Exception {
        Map<String, Long> pids = survivorsPids();
        Map<String, Long> rssBefore = rss(pids);
        long t0 = System.nanoTime();
        f.inject();
        long detectMs = awaitMs(f::detected, t0, f.detectTimeout(), f.name + ": detected (" + f.detectedBy + ")");
        f.repair();
        long restoreMs = awaitMs(f::restored, t0, f.restoreTimeout(), f.name + ": the lab whole again");
        long tRestored = System.nanoTime();
        // a stable stretch after the recovery: every request in it must succeed
        await(f.name + ": requests after the recovery").atMost(Duration.ofSeconds(30)).pollInterval(POLL)
                .until(() -> System.nanoTime() - tRestored > 3_000_000_000L && load.okSince(tRestored) >= 20);
        long t1 = System.nanoTime();
        // every request that was in flight at the fault or started before the end of the stable stretch has ended
        await(f.name + ": requests in flight to end").atMost(LoadDriver.READ_TIMEOUT.plusSeconds(5)).pollInterval(POLL)
                .until(() -> load.settledBefore(t1));
        List<LoadDriver.Outcome> window = load.outcomes.stream()
                .filter(o -> o.endNanos() >= t0 && o.startNanos() < t1).toList();
        List<LoadDriver.Outcome> failed = window.stream().filter(o -> !o.ok()).toList();
        List<LoadDriver.Outcome> hangs = window.stream().filter(LoadDriver.Outcome::hang).toList();
        long failedAfterRecovery = failed.stream().filter(o -> o.startNanos() > tRestored + 500_000_000L).count();
        long lastFailureEnd = failed.stream().mapToLong(LoadDriver.Outcome::endNanos).max().orElse(t0);
        long recoverMs = failed.isEmpty() ? 0 : (lastFailureEnd - t0) / 1_000_000;

        Map<String, Long> atMp = FaultReport.ccmPostsAtMp(plan.logDir());
        List<LoadDriver.Outcome> posts = window.stream().filter(o -> o.kind().equals("CCM_POST")).toList();
        long delivered = posts.stream().filter(o -> atMp.getOrDefault(o.traceId(), 0L) >= 1).count();
        long duplicated = posts.stream().filter(o -> atMp.getOrDefault(o.traceId(), 0L) > 1).count();
        long lost = posts.stream().filter(o -> o.ok() && atMp.getOrDefault(o.traceId(), 0L) == 0).count();
        long failedButDelivered = posts.stream().filter(o -> !o.ok() && atMp.getOrDefault(o.traceId(), 0L) >= 1)
                .count();
        Map<String, Long> rssAfter = new LinkedHashMap<>();
        Map<String, Long> now = survivorsPids();
        pids.forEach((name, pid) -> {
            if (pid.equals(now.get(name))) {
                rssAfter.put(name, FaultReport.rssKiB(pid));
            }
        });
        rssBefore.keySet().retainAll(rssAfter.keySet());

        List<String> violations = new ArrayList<>(FaultReport.commonViolations(hangs.size(), duplicated, lost,
                failedAfterRecovery, hangs));
        failed.stream().filter(o -> o.startNanos() > tRestored + 500_000_000L).limit(3).forEach(o -> violations.add(
                "after recovery: " + o.describe() + " at +" + (o.startNanos() - t0) / 1_000_000 + " ms (restored at +"
                        + restoreMs + " ms)"));
        FaultReport.Row row = new FaultReport.Row(f.name, f.how, f.detectedBy, FULL ? "full" : "subset",
                window.size(), window.size() - failed.size(), failed.size(),
                failed.stream().filter(o -> o.kind().equals("GET")).count(),
                failed.stream().filter(o -> o.kind().equals("CCM_POST")).count(), FaultReport.failureKinds(failed),
                hangs.size(), posts.size(), delivered, failedButDelivered, duplicated, lost, failedAfterRecovery,
                detectMs, recoverMs, restoreMs, (t1 - t0) / 1_000_000, rssBefore, rssAfter, violations);
        f.bounds(row, violations);
        rssAfter.forEach((name, after) -> {
            Long before = rssBefore.get(name);
            if (before != null && before > 0 && after - before > 256 * 1024) {
                violations.add(name + " RSS grew by " + (after - before) / 1024 + " MiB");
            }
        });
        report.add(row);
        System.out.printf("RESULT fault-matrix %s%n", Json.writeCompact(row));
        assertThat(window).as("requests of the load during '%s'", f.name).hasSizeGreaterThan(20);
        assertThat(posts).as("CCM_POSTs during '%s'", f.name).isNotEmpty();
        assertThat(violations).as("fault '%s': %s", f.name, row).isEmpty();
    }

    /** Polls {@code cond} until true; ms since {@code t0}. */
    private static long awaitMs(BooleanSupplierX cond, long t0, Duration timeout, String what) {
        await(what).atMost(timeout).pollInterval(POLL).ignoreExceptions().until(cond::get);
        return (System.nanoTime() - t0) / 1_000_000;
    }

    interface BooleanSupplierX {
        boolean get() throws Exception;
    }

    private static void within(List<String> v, String what, long ms, Duration bound) {
        if (ms < 0 || ms > bound.toMillis()) {
            v.add(what + " took " + ms + " ms (bound " + bound.toMillis() + " ms)");
        }
    }

    /** The fault lasts {@code d}: the test holds it (no readiness wait: the outage itself is what is measured). */
    private static void outage(Duration d) {
        long end = System.nanoTime() + d.toNanos();
        BooleanSupplier over = () -> System.nanoTime() >= end;
        await().atMost(d.plusSeconds(5)).pollInterval(POLL).until(over::getAsBoolean);
    }

    // ------------------------------------------------------------------ lab helpers

    /**
     * Waits for a process the test (re)started; when it is not ready in time, keeps its thread dump and its /proc
     * status under target/reliability/logs for the report before failing.
     */
    static void awaitReady(ComponentProcess p) throws Exception {
        try {
            p.awaitReady(RESTART_TIMEOUT);
        } catch (IllegalStateException e) {
            Path dir = Path.of("target", "reliability", "logs");
            Files.createDirectories(dir);
            long pid = p.pid();
            String state = String.join("\n", Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")));
            Path dump = dir.resolve(p.name() + "-" + pid + ".jstack");
            Process js = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jstack").toString(),
                    Long.toString(pid)).redirectErrorStream(true).redirectOutput(dump.toFile()).start();
            if (!js.waitFor(30, TimeUnit.SECONDS)) {
                js.destroyForcibly();
            }
            Files.writeString(dir.resolve(p.name() + "-" + pid + ".proc-status"), state);
            throw new IllegalStateException(e.getMessage() + " [thread dump: " + dump.toAbsolutePath() + "]", e);
        }
    }

    /** Keeps the lab's process logs of a failed run (the state folder is a temp dir, deleted after the class). */
    static void copyLogs(Path from, Path to) throws java.io.IOException {
        Files.createDirectories(to);
        try (var s = Files.list(from)) {
            for (Path f : s.filter(f -> f.toString().endsWith(".out") || f.toString().endsWith(".log")).toList()) {
                Files.copy(f, to.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    static JsonNode cpChannel(int i) throws Exception {
        return E2eLab.channel(E2eLab.status(e2e.cp()), i);
    }

    static String channelId(int i) throws Exception {
        JsonNode ch = cpChannel(i);
        return ch == null ? "" : ch.path("connectionId").asText();
    }

    /** The connection point's channel to instance i is Connected (with {@code id} when not null). */
    static boolean channelConnected(int i, String id) throws Exception {
        JsonNode ch = cpChannel(i);
        return ch != null && "Connected".equals(ch.path("state").asText())
                && (id == null || id.equals(ch.path("connectionId").asText()));
    }

    /** Connection ids of the ready channels instance i lists; throws when its admin does not answer. */
    static List<String> cmgReadyIds(int i) throws Exception {
        return LabProcesses.readyChannels(e2e.lab.adminGet(e2e.instanceAdmin(i), "/status")).stream()
                .map(c -> c.path("connectionId").asText()).toList();
    }

    static boolean bothChannelsReady() throws Exception {
        for (int i = 0; i < 2; i++) {
            if (!channelConnected(i, null) || !cmgReadyIds(i).contains(channelId(i))) {
                return false;
            }
        }
        return true;
    }

    static void awaitChannel(int i, String notId) {
        await("the connection point's channel to instance " + i).atMost(Duration.ofSeconds(60)).pollInterval(POLL)
                .ignoreExceptions().until(() -> channelConnected(i, null) && !channelId(i).equals(notId)
                        && cmgReadyIds(i).contains(channelId(i)));
    }

    /** Connectors with a ready channel on instance i. */
    static long connectors(int i) throws Exception {
        return LabProcesses.readyChannels(e2e.lab.adminGet(e2e.instanceAdmin(i), "/status")).stream()
                .map(c -> c.path("connector").asText()).distinct().count();
    }

    /** Starts instance i again from azure-sim's config for it, as a VM reboot would (azure-sim does not). */
    static void relaunch(int i) throws Exception {
        Path config;
        try (var s = Files.walk(plan.stateDir().resolve("azure"))) {
            config = s.filter(f -> f.getFileName().toString().equals("instance-" + i + ".json")).findFirst()
                    .orElseThrow();
        }
        ComponentProcess p = new ComponentProcess(LabPlan.cmgServiceName(i) + "-relaunched-" + e2e.extra.size(),
                plan.jar(LabPlan.CMG_SERVICE), config, e2e.instanceAdmin(i), plan.logDir(), E2eLab.HTTP);
        e2e.extra.add(p);
        p.start();
        instances.put(i, ProcessHandle.of(p.pid()).orElseThrow());
        awaitReady(p);
    }

    static ComponentProcess secondConnectionPoint() throws Exception {
        String fqdn = "cmgcp02.corp.contoso.com";
        Path cert = tmp.resolve("cmgcp02-client-auth.crt.pem");
        Path key = tmp.resolve("cmgcp02-client-auth.key.pem");
        LabCa.loadOrCreate(plan.pkiDir()).issue(CertSpec.client(fqdn)).writePem(cert, key);
        ConnectionPointConfig base = Json.MAPPER.readValue(plan.configFile(LabPlan.CONNECTION_POINT).toFile(),
                ConnectionPointConfig.class);
        String address = plan.instanceAddressPrefix().replace(".1.", ".2.") + "11";
        Path logs = tmp.resolve("cp2-logs");
        Files.createDirectories(logs);
        ConnectionPointConfig c2 = new ConnectionPointConfig(fqdn, base.siteCode(), address, base.targets(),
                new TlsFiles(cert.toString(), key.toString()), base.trustRoots(), base.routes(), base.hosts(),
                new Endpoint(address, plan.port(9090)), base.channel(), logs.toString(), base.dnsServer(),
                base.siteControl(), base.sitePollMillis(), base.proxy());
        Path config = tmp.resolve("cmg-connection-point-2.json");
        Json.writeFile(config, c2);
        ComponentProcess cp2 = new ComponentProcess("cmg-connection-point-2", plan.jar(LabPlan.CONNECTION_POINT),
                config, c2.admin(), plan.logDir(), E2eLab.HTTP);
        e2e.extra.add(cp2);
        return cp2;
    }

    /** The lab's processes now: the components, the CMG instances, the test's extra processes. */
    static Map<String, Long> survivorsPids() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (ComponentProcess c : e2e.lab.components()) {
            if (c.isAlive()) {
                m.put(c.name(), c.pid());
            }
        }
        instances.forEach((i, h) -> {
            if (h.isAlive()) {
                m.put(LabPlan.cmgServiceName(i), h.pid());
            }
        });
        for (ComponentProcess c : e2e.extra) {
            if (c.isAlive() && !c.name().contains("relaunched")) {
                m.put(c.name(), c.pid());
            }
        }
        return m;
    }

    static Map<String, Long> rss(Map<String, Long> pids) {
        Map<String, Long> m = new LinkedHashMap<>();
        pids.forEach((n, p) -> m.put(n, FaultReport.rssKiB(p)));
        return m;
    }
}
