package org.cmglab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.cmglab.lab.ComponentProcess;
import org.cmglab.lab.LabPlan;
import org.cmglab.lab.LabProcesses;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Channel resilience with every component its own process (docs/channel-protocol.md, "keep-alive" and "reconnect").
 * A half-open peer is made without network namespaces by {@code SIGSTOP}ping its process: its sockets stay open and
 * the kernel keeps ACKing, but nothing answers, exactly a peer that vanished without FIN or RST.
 *
 * <p>One lab: the connection point is configured for 1 s / 1 s PINGs ({@link LabPlan.Builder#channelPing}); the CMG
 * instance runs with azure-sim's instance config, i.e. the defaults (15 s / 5 s). So the connection point's
 * detection is measured with the fast settings (≤ 2 s) and the CMG's with the defaults (≤ 20 s).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChannelResilienceE2ETest {
    /** Polling slack on top of the protocol bounds (2-core shared machine, 50 ms polls, GC, scheduling). */
    private static final long SLACK_MS = 1_500;
    private static final Duration POLL = Duration.ofMillis(50);

    @TempDir
    static Path tmp;
    static LabPlan plan;
    static LabProcesses lab;
    /** pids this test stopped and not yet continued (continued in @AfterAll whatever happens). */
    static final Set<Long> stopped = ConcurrentHashMap.newKeySet();
    /** The CMG instance this test relaunched itself after killing it (azure-sim does not restart crashed VMs). */
    static ComponentProcess relaunched;
    static final java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
            .proxy(java.net.http.HttpClient.Builder.NO_PROXY).connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    static void startLab() throws Exception {
        int net = ThreadLocalRandom.current().nextInt(100, 200);
        plan = LabPlan.builder().stateDir(tmp.resolve("state")).net(net)
                .channelPing(Duration.ofSeconds(1), Duration.ofSeconds(1)).build();
        plan.materialize();
        lab = new LabProcesses(plan, System.out);
        lab.startAll();
        lab.awaitChannel(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stopLab() throws Exception {
        for (long pid : stopped) {
            signal("CONT", pid);
        }
        if (relaunched != null) {
            relaunched.stop();
        }
        if (lab != null) {
            lab.close();
        }
        if (plan != null) {
            assertThat(grep(plan.logDir(), "LEAK:")).as("Netty LEAK reports in " + plan.logDir()).isEmpty();
        }
    }

    @Test
    @Order(1)
    void connectionPointDetectsSilentCmgWithin2sAndRedialsWithoutAStorm() throws Exception {
        lab.awaitChannel(Duration.ofSeconds(30));
        JsonNode before = cpChannel();
        assertThat(before.path("state").asText()).isEqualTo("Connected");
        String oldId = before.path("connectionId").asText();
        long attemptsBefore = attempts(before);
        long cmgPid = cmgPid();

        long t0 = System.nanoTime();
        signal("STOP", cmgPid);
        long detectedMs;
        long attemptsDuringOutage;
        try {
            JsonNode lost = awaitCp(ch -> !"Connected".equals(ch.path("state").asText())
                    || !oldId.equals(ch.path("connectionId").asText()), Duration.ofSeconds(10), "to lose channel " + oldId);
            detectedMs = ms(t0);
            System.out.printf("RESULT cp-detects-silent-cmg ms=%d (ping 1 s / 1 s) lastError=%s%n", detectedMs,
                    lost.path("lastError").asText());
            assertThat(detectedMs).as("connection point detects the silent CMG (1 s + 1 s)").isLessThanOrEqualTo(
                    2_000 + SLACK_MS);
            // a 5 s outage in all: the connection point re-dials with backoff (1 s, 2 s, 4 s ± 20 %), not in a loop
            long outageLeft = 5_000 - ms(t0);
            if (outageLeft > 0) {
                Thread.sleep(outageLeft); // the outage itself, not a readiness wait
            }
            attemptsDuringOutage = attempts(cpChannel()) - attemptsBefore;
        } finally {
            signal("CONT", cmgPid);
        }
        assertThat(grep(plan.logDir().resolve(LabPlan.CONNECTION_POINT + ".out"), "no PING answer (half-open channel)"))
                .as("the connection point says why it dropped the channel").isNotEmpty();
        long t1 = System.nanoTime();
        JsonNode back = awaitCp(ch -> "Connected".equals(ch.path("state").asText())
                && !oldId.equals(ch.path("connectionId").asText()), Duration.ofSeconds(20), "to reconnect");
        String newId = back.path("connectionId").asText();
        awaitCmgReady(newId, Duration.ofSeconds(10));
        long reconnectMs = ms(t1);
        long attemptsTotal = attempts(back) - attemptsBefore;
        System.out.printf("RESULT cp-redial attemptsDuring5sOutage=%d attemptsUntilBack=%d reconnectAfterResumeMs=%d%n",
                attemptsDuringOutage, attemptsTotal, reconnectMs);
        assertThat(attemptsDuringOutage).as("dial attempts (connects + failures) during a 5 s outage").isBetween(0L, 5L);
        assertThat(attemptsTotal).as("dial attempts until the channel is back").isBetween(1L, 6L);
        assertThat(cmgReadyIds()).as("the CMG no longer lists the old channel as ready").doesNotContain(oldId);
    }

    @Test
    @Order(2)
    void cmgDetectsSilentConnectionPointWithin20sWithDefaults() throws Exception {
        lab.awaitChannel(Duration.ofSeconds(30));
        JsonNode before = cpChannel();
        String oldId = before.path("connectionId").asText();
        awaitCmgReady(oldId, Duration.ofSeconds(10));
        long cpPid = lab.component(LabPlan.CONNECTION_POINT).pid();

        long t0 = System.nanoTime();
        signal("STOP", cpPid);
        long detectedMs;
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (cmgReadyIds().contains(oldId)) {
                assertThat(System.nanoTime()).as("the CMG still lists channel %s as ready 30 s after its connection"
                        + " point went silent", oldId).isLessThan(deadline);
                Thread.sleep(POLL.toMillis());
            }
            detectedMs = ms(t0);
        } finally {
            signal("CONT", cpPid);
        }
        System.out.printf("RESULT cmg-detects-silent-cp ms=%d (defaults 15 s / 5 s)%n", detectedMs);
        assertThat(detectedMs).as("CMG detects the silent connection point (15 s + 5 s)").isLessThanOrEqualTo(
                20_000 + SLACK_MS);
        assertThat(detectedMs).as("…by its PING, not by anything faster").isGreaterThanOrEqualTo(5_000);
        assertThat(grep(plan.logDir().resolve(LabPlan.cmgServiceName(0) + ".out"), "no PING ACK within"))
                .as("the CMG says why it dropped the channel").isNotEmpty();

        long t1 = System.nanoTime();
        JsonNode back = awaitCp(ch -> "Connected".equals(ch.path("state").asText())
                && !oldId.equals(ch.path("connectionId").asText()), Duration.ofSeconds(15), "to reconnect");
        awaitCmgReady(back.path("connectionId").asText(), Duration.ofSeconds(10));
        System.out.printf("RESULT cp-reconnect-after-resume ms=%d%n", ms(t1));
    }

    @Test
    @Order(3)
    void restartedConnectionPointReconnects() throws Exception {
        lab.awaitChannel(Duration.ofSeconds(30));
        String oldId = cpChannel().path("connectionId").asText();
        ComponentProcess cp = lab.component(LabPlan.CONNECTION_POINT);
        long t0 = System.nanoTime();
        lab.kill(LabPlan.CONNECTION_POINT); // SIGKILL: the CMG sees the socket close (RST/FIN from the kernel)
        lab.awaitNoChannel(Duration.ofSeconds(10));
        long goneMs = ms(t0);
        cp.start();
        cp.awaitReady(LabProcesses.READY_TIMEOUT);
        JsonNode back = awaitCp(ch -> "Connected".equals(ch.path("state").asText()), Duration.ofSeconds(15),
                "to connect after the restart");
        awaitCmgReady(back.path("connectionId").asText(), Duration.ofSeconds(10));
        System.out.printf("RESULT cp-restart cmgNoticedKillMs=%d backMs=%d connects=%d failures=%d%n", goneMs, ms(t0),
                back.path("connects").asLong(), back.path("failures").asLong());
        assertThat(back.path("connectionId").asText()).isNotEqualTo(oldId);
        assertThat(goneMs).as("a killed connection point's channel leaves the CMG at once (FIN/RST)")
                .isLessThan(5_000);
        assertThat(back.path("connects").asLong() + back.path("failures").asLong()).as("attempts of the new process")
                .isBetween(1L, 3L);
    }

    /**
     * A CMG outage that refuses connections (the VM process is killed; the load balancer has no healthy backend and
     * closes every new connection at once): the connection point backs off (1 s, 2 s, 4 s … ± 20 %) instead of
     * re-dialling in a loop, and is back once the instance is (the test relaunches it with azure-sim's config, as a
     * VM reboot would, since azure-sim reports a crashed instance but does not restart it).
     */
    @Test
    @Order(4)
    void cmgOutageIsRiddenOutWithBackoffNotAStorm() throws Exception {
        lab.awaitChannel(Duration.ofSeconds(30));
        JsonNode before = awaitCp(ch -> "Connected".equals(ch.path("state").asText()), Duration.ofSeconds(10),
                "to be connected");
        String oldId = before.path("connectionId").asText();
        long attemptsBefore = attempts(before);
        long pid = cmgPid();
        ProcessHandle h = ProcessHandle.of(pid).orElseThrow();

        long t0 = System.nanoTime();
        h.destroyForcibly();
        h.onExit().get(10, TimeUnit.SECONDS);
        awaitCp(ch -> !"Connected".equals(ch.path("state").asText()), Duration.ofSeconds(5), "to see the channel close");
        long lostMs = ms(t0);
        long outageLeft = 5_000 - ms(t0);
        if (outageLeft > 0) {
            Thread.sleep(outageLeft); // the outage itself, not a readiness wait
        }
        JsonNode during = cpChannel();
        long attemptsDuring = attempts(during) - attemptsBefore;

        Path config;
        try (var s = Files.walk(plan.stateDir().resolve("azure"))) {
            config = s.filter(f -> f.getFileName().toString().equals("instance-0.json")).findFirst().orElseThrow();
        }
        long t1 = System.nanoTime();
        relaunched = new ComponentProcess(LabPlan.cmgServiceName(0) + "-relaunched", plan.jar(LabPlan.CMG_SERVICE),
                config, plan.cmgAdmin(0), plan.logDir(), http);
        relaunched.start();
        relaunched.awaitReady(LabProcesses.READY_TIMEOUT);
        long instanceUpMs = ms(t1);
        JsonNode back = awaitCp(ch -> "Connected".equals(ch.path("state").asText())
                && !oldId.equals(ch.path("connectionId").asText()), Duration.ofSeconds(40), "to reconnect");
        awaitCmgReady(back.path("connectionId").asText(), Duration.ofSeconds(10));
        long attemptsTotal = attempts(back) - attemptsBefore;
        System.out.printf("RESULT cmg-outage lostMs=%d attemptsDuring5s=%d (failures %d) instanceRelaunchMs=%d "
                        + "backAfterRelaunchMs=%d outageTotalMs=%d attemptsUntilBack=%d lastError=%s%n", lostMs,
                attemptsDuring, during.path("failures").asLong() - before.path("failures").asLong(), instanceUpMs,
                ms(t1) - instanceUpMs, ms(t0), attemptsTotal, during.path("lastError").asText());
        assertThat(lostMs).as("the connection point sees the killed CMG's channel close").isLessThan(3_000);
        assertThat(attemptsDuring).as("dial attempts during a 5 s refusing outage (backoff 1 s, 2 s …)")
                .isBetween(1L, 4L);
        assertThat(attemptsTotal).as("dial attempts until the channel is back").isLessThanOrEqualTo(8L);
    }

    // ------------------------------------------------------------------ helpers

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private static long attempts(JsonNode ch) {
        return ch.path("connects").asLong() + ch.path("failures").asLong();
    }

    /** The connection point's one channel (one CMG instance) from its admin /status. */
    private static JsonNode cpChannel() throws IOException, InterruptedException {
        JsonNode st = Json.MAPPER.readTree(lab.component(LabPlan.CONNECTION_POINT).adminGet("/status"));
        JsonNode ch = st.path("channels").path(0);
        assertThat(ch.isObject()).as("channel in connection point /status: %s", st).isTrue();
        return ch;
    }

    private static JsonNode awaitCp(Predicate<JsonNode> want, Duration timeout, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            last = cpChannel();
            if (want.test(last)) {
                return last;
            }
            Thread.sleep(POLL.toMillis());
        }
        throw new AssertionError("the connection point did not manage " + what + " within " + timeout.toSeconds()
                + " s; last channel status: " + last);
    }

    /** Connection ids of the channels cmg-service-0 lists as ready. */
    private static List<String> cmgReadyIds() throws InterruptedException {
        try {
            return LabProcesses.readyChannels(lab.adminGet(plan.cmgAdmin(0), "/status")).stream()
                    .map(c -> c.path("connectionId").asText()).toList();
        } catch (IOException e) {
            return List.of("<admin unreachable: " + e + ">");
        }
    }

    private static void awaitCmgReady(String connectionId, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> ids = List.of();
        while (System.nanoTime() < deadline) {
            ids = cmgReadyIds();
            if (ids.contains(connectionId)) {
                return;
            }
            Thread.sleep(POLL.toMillis());
        }
        throw new AssertionError("cmg-service-0 does not list channel " + connectionId + " as ready within "
                + timeout.toSeconds() + " s (ready: " + ids + ")");
    }

    /** The pid of VM instance 0, from the service connection point's status (azure-sim started it). */
    private static long cmgPid() throws Exception {
        JsonNode st = Json.MAPPER.readTree(lab.component(LabPlan.SCP).adminGet("/status"));
        long pid = st.path("instances").path(0).path("pid").asLong();
        assertThat(pid).as("pid of instance 0 in %s", st).isPositive();
        assertThat(ProcessHandle.of(pid).map(h -> h.info().commandLine().orElse("")).orElse(""))
                .contains("cmg-service.jar");
        return pid;
    }

    /** {@code kill -<sig> <pid>}; remembers stopped pids so they are continued even if the test fails. */
    private static void signal(String sig, long pid) throws Exception {
        Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).redirectErrorStream(true).start();
        assertThat(p.waitFor(5, TimeUnit.SECONDS)).as("kill -%s %d finished", sig, pid).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("kill -%s %d: %s", sig, pid, out).isZero();
        if ("STOP".equals(sig)) {
            stopped.add(pid);
        } else if ("CONT".equals(sig)) {
            stopped.remove(pid);
        }
    }

    /** Lines containing {@code needle} in a file, or in every .out/.log file under a folder. */
    private static List<String> grep(Path where, String needle) throws IOException {
        if (!Files.exists(where)) {
            return List.of();
        }
        List<Path> files;
        if (Files.isDirectory(where)) {
            try (var s = Files.walk(where)) {
                files = s.filter(Files::isRegularFile)
                        .filter(f -> f.toString().endsWith(".out") || f.toString().endsWith(".log")).toList();
            }
        } else {
            files = List.of(where);
        }
        return files.stream().flatMap(f -> {
            try {
                return Files.readAllLines(f, StandardCharsets.UTF_8).stream().filter(l -> l.contains(needle))
                        .map(l -> f.getFileName() + ": " + l);
            } catch (IOException e) {
                return java.util.stream.Stream.of(f + ": unreadable " + e);
            }
        }).toList();
    }
}
