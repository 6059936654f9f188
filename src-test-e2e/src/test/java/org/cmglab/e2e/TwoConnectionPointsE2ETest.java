package org.cmglab.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two connection points for one CMG, each its own process (docs/channel-protocol.md, "Errors" and "Settings and
 * why"): the CMG spreads requests over both; {@code kill -9} of one under a request loop loses no GET (the CMG sends
 * it once more on the other); the survivor keeps serving; and a CMG instance restart (kill, relaunch) makes both
 * re-dial with exponential backoff — no reconnect storm — and both are back once the instance is.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TwoConnectionPointsE2ETest {
    static final String CP2_FQDN = "cmgcp02.corp.contoso.com";

    @TempDir
    static Path tmp;
    static E2eLab lab;
    static LabPlan plan;
    static ComponentProcess cp2;
    static ComponentProcess relaunched;

    @BeforeAll
    static void startLab() throws Exception {
        lab = E2eLab.start(tmp.resolve("state"), b -> b.instances(1), c -> c);
        plan = lab.plan;
        // a second connection point on its own host (127.N.2.11), with its own certificate, name and log folder
        Path cert = tmp.resolve("cmgcp02-client-auth.crt.pem");
        Path key = tmp.resolve("cmgcp02-client-auth.key.pem");
        LabCa.loadOrCreate(plan.pkiDir()).issue(CertSpec.client(CP2_FQDN)).writePem(cert, key);
        ConnectionPointConfig base = plan.connectionPointConfig();
        String address = plan.instanceAddressPrefix().replace(".1.", ".2.") + "11";
        Path logs = tmp.resolve("cp2-logs");
        Files.createDirectories(logs);
        ConnectionPointConfig c2 = new ConnectionPointConfig(CP2_FQDN, base.siteCode(), address, base.targets(),
                new TlsFiles(cert.toString(), key.toString()), base.trustRoots(), base.routes(), base.hosts(),
                new Endpoint(address, plan.port(9090)), base.channel(), logs.toString(), base.dnsServer(),
                base.siteControl(), base.sitePollMillis(), null);
        Path config = tmp.resolve("cmg-connection-point-2.json");
        Json.writeFile(config, c2);
        cp2 = new ComponentProcess("cmg-connection-point-2", plan.jar(LabPlan.CONNECTION_POINT), config, c2.admin(),
                plan.logDir(), E2eLab.HTTP);
        lab.extra.add(cp2);
        cp2.start();
        cp2.awaitReady(LabProcesses.READY_TIMEOUT);
        awaitConnectors(List.of(LabPlan.CP_FQDN, CP2_FQDN));
    }

    @AfterAll
    static void stopLab() throws Exception {
        if (relaunched != null) {
            relaunched.stop();
        }
        if (lab != null) {
            lab.close();
            assertThat(E2eLab.grep(tmp.resolve("cp2-logs"), "LEAK:")).isEmpty();
        }
    }

    /** Connector name → requests the CMG sent over its ready channels. */
    private static Map<String, Long> requestsPerConnector() throws Exception {
        Map<String, Long> m = new HashMap<>();
        for (JsonNode c : LabProcesses.readyChannels(lab.lab.adminGet(plan.cmgAdmin(0), "/status"))) {
            m.merge(c.path("connector").asText(), c.path("requests").asLong(), Long::sum);
        }
        return m;
    }

    private static void awaitConnectors(List<String> want) {
        await("cmg-service-0 to list ready channels of " + want).atMost(Duration.ofSeconds(30))
                .pollInterval(E2eLab.POLL).ignoreExceptions().until(() -> {
                    List<String> have = LabProcesses.readyChannels(lab.lab.adminGet(plan.cmgAdmin(0), "/status"))
                            .stream().map(c -> c.path("connector").asText()).sorted().toList();
                    return have.equals(want.stream().sorted().toList());
                });
    }

    @Test
    @Order(1)
    void theCmgSpreadsRequestsOverBothConnectionPoints() throws Exception {
        Map<String, Long> before = requestsPerConnector();
        int n = 12;
        for (int i = 0; i < n; i++) {
            E2eLab.Client.Response r = E2eLab.Client.vipGet(plan, E2eLab.MPLIST);
            assertThat(r.status()).as("GET %d: %s", i, r.statusLine()).isEqualTo(200);
        }
        Map<String, Long> after = requestsPerConnector();
        long one = after.getOrDefault(LabPlan.CP_FQDN, 0L) - before.getOrDefault(LabPlan.CP_FQDN, 0L);
        long two = after.getOrDefault(CP2_FQDN, 0L) - before.getOrDefault(CP2_FQDN, 0L);
        System.out.printf("RESULT two-cps spread of %d GETs: %s=%d %s=%d%n", n, LabPlan.CP_FQDN, one, CP2_FQDN, two);
        assertThat(one + two).isEqualTo(n);
        assertThat(one).as("requests over %s (round-robin)", LabPlan.CP_FQDN).isBetween(n / 2L - 2, n / 2L + 2);
        assertThat(two).as("requests over %s (round-robin)", CP2_FQDN).isBetween(n / 2L - 2, n / 2L + 2);
    }

    @Test
    @Order(2)
    void killingOneConnectionPointUnderLoadLosesNoGet() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger okAfterKill = new AtomicInteger();
        AtomicBoolean killed = new AtomicBoolean();
        List<String> failed = new CopyOnWriteArrayList<>();
        List<Thread> loops = new java.util.ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread loop = new Thread(() -> {
                long end = System.nanoTime() + Duration.ofSeconds(30).toNanos(); // bounded whatever happens
                while (!stop.get() && System.nanoTime() < end) {
                    try {
                        E2eLab.Client.Response r = E2eLab.Client.vipGet(plan, E2eLab.MPLIST);
                        if (r.status() == 200) {
                            ok.incrementAndGet();
                            if (killed.get()) {
                                okAfterKill.incrementAndGet();
                            }
                        } else {
                            failed.add(r.statusLine() + " " + r.text());
                        }
                    } catch (Exception e) {
                        failed.add(e.toString());
                    }
                }
            }, "e2e-request-loop-" + t);
            loops.add(loop);
            loop.start();
        }
        try {
            await("requests flowing").atMost(Duration.ofSeconds(10)).until(() -> ok.get() >= 12);
            cp2.kill(); // SIGKILL
            killed.set(true);
            await("requests after the kill").atMost(Duration.ofSeconds(15)).until(() -> okAfterKill.get() >= 24);
        } finally {
            stop.set(true);
            for (Thread t : loops) {
                t.join(30_000);
            }
        }
        List<String> retried = E2eLab.grep(lab.out(LabPlan.cmgServiceName(0)), "retrying once");
        System.out.printf("RESULT two-cps kill -9 under load: ok=%d okAfterKill=%d failed=%d retriedOnTheOtherCp=%d%n",
                ok.get(), okAfterKill.get(), failed.size(), retried.size());
        assertThat(failed).as("GETs lost when one of two connection points was killed").isEmpty();
        awaitConnectors(List.of(LabPlan.CP_FQDN));
        for (int i = 0; i < 5; i++) {
            assertThat(E2eLab.Client.vipGet(plan, E2eLab.MPLIST).status()).as("the survivor serves").isEqualTo(200);
        }
        assertThat(lab.cp().isAlive()).isTrue();
    }

    /**
     * Both connection points (the killed one restarted first) ride out a CMG instance restart: during a 6 s outage
     * each dials at most 4 times (backoff 1 s, 2 s, 4 s ± 20 %), then both are back after the relaunch.
     */
    @Test
    @Order(3)
    void cmgRestartCausesNoReconnectStorm() throws Exception {
        cp2.start();
        cp2.awaitReady(LabProcesses.READY_TIMEOUT);
        awaitConnectors(List.of(LabPlan.CP_FQDN, CP2_FQDN));
        List<ComponentProcess> cps = List.of(lab.cp(), cp2);
        long[] before = new long[2];
        String[] oldIds = new String[2];
        for (int i = 0; i < 2; i++) {
            JsonNode ch = E2eLab.channel(E2eLab.status(cps.get(i)), 0);
            before[i] = E2eLab.attempts(ch);
            oldIds[i] = ch.path("connectionId").asText();
        }
        ProcessHandle h = ProcessHandle.of(lab.instancePid(0)).orElseThrow();
        long t0 = System.nanoTime();
        h.destroyForcibly();
        h.onExit().get(10, TimeUnit.SECONDS);
        for (ComponentProcess c : cps) {
            E2eLab.awaitStatus(c, s -> !"Connected".equals(E2eLab.channel(s, 0).path("state").asText()),
                    Duration.ofSeconds(5), "the channel lost");
        }
        long outageMs = 6_000;
        await().during(Duration.ofMillis(outageMs - (System.nanoTime() - t0) / 1_000_000))
                .atMost(Duration.ofMillis(outageMs + 10_000)).pollInterval(E2eLab.POLL)
                .until(() -> cps.stream().noneMatch(c -> {
                    try {
                        return "Connected".equals(E2eLab.channel(E2eLab.status(c), 0).path("state").asText());
                    } catch (Exception e) {
                        return false;
                    }
                }));
        long[] during = new long[2];
        for (int i = 0; i < 2; i++) {
            during[i] = E2eLab.attempts(E2eLab.channel(E2eLab.status(cps.get(i)), 0)) - before[i];
        }

        Path config;
        try (var s = Files.walk(plan.stateDir().resolve("azure"))) {
            config = s.filter(f -> f.getFileName().toString().equals("instance-0.json")).findFirst().orElseThrow();
        }
        long t1 = System.nanoTime();
        relaunched = new ComponentProcess(LabPlan.cmgServiceName(0) + "-relaunched", plan.jar(LabPlan.CMG_SERVICE),
                config, plan.cmgAdmin(0), plan.logDir(), E2eLab.HTTP);
        relaunched.start();
        relaunched.awaitReady(LabProcesses.READY_TIMEOUT);
        long[] total = new long[2];
        for (int i = 0; i < 2; i++) {
            String old = oldIds[i];
            JsonNode back = E2eLab.awaitStatus(cps.get(i), s -> "Connected".equals(E2eLab.channel(s, 0).path("state")
                    .asText()) && !old.equals(E2eLab.channel(s, 0).path("connectionId").asText()),
                    Duration.ofSeconds(40), "reconnect after the CMG restart");
            total[i] = E2eLab.attempts(E2eLab.channel(back, 0)) - before[i];
        }
        awaitConnectors(List.of(LabPlan.CP_FQDN, CP2_FQDN));
        System.out.printf("RESULT two-cps cmg-restart attemptsDuring%dms=%s attemptsUntilBack=%s backAfterRelaunchMs=%d%n",
                outageMs, java.util.Arrays.toString(during), java.util.Arrays.toString(total),
                (System.nanoTime() - t1) / 1_000_000);
        for (int i = 0; i < 2; i++) {
            assertThat(during[i]).as("dial attempts of %s during a 6 s refusing outage (1 s, 2 s, 4 s ± 20 %%)",
                    cps.get(i).name()).isBetween(1L, 4L);
            assertThat(total[i]).as("dial attempts of %s until back", cps.get(i).name()).isLessThanOrEqualTo(8L);
        }
        for (int i = 0; i < 4; i++) {
            assertThat(E2eLab.Client.vipGet(plan, E2eLab.MPLIST).status()).isEqualTo(200);
        }
    }
}
