package org.cmglab.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.cmglab.lab.ComponentProcess;
import org.cmglab.lab.LabPlan;
import org.cmglab.proto.config.ChannelTimings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scale out and in without restarting the connection point, every component its own process (docs/channel-protocol.md,
 * "Which channels the connection point keeps"). A scale-set CMG starts with one instance (channel on HTTPS 443); the
 * service connection point's admin action scales it to 2, then 3, and the running connection point (reading the site
 * every 500 ms) opens a channel to each new instance on 10124+i — never 443 once there are several (azure-sim restarts
 * instance 0 when the count crosses 1 → 2, since its channel listener moves from 443 to 10124). Scaling in to 2 drains
 * the removed instance: a download in flight through it completes intact, and requests through the VIP never fail.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScaleOutInE2ETest {
    @TempDir
    static Path tmp;
    static E2eLab lab;
    static LabPlan plan;
    static long cpPid;

    @BeforeAll
    static void startLab() throws Exception {
        lab = E2eLab.start(tmp.resolve("state"), b -> b.instances(1),
                c -> E2eLab.with(c, c.channel() == null ? ChannelTimings.defaults() : c.channel(), 500, c.proxy()));
        plan = lab.plan;
        cpPid = lab.cp().pid();
    }

    @AfterAll
    static void stopLab() throws Exception {
        if (lab != null) {
            lab.close();
        }
    }

    private static List<String> ports(JsonNode cpStatus) {
        List<String> out = new ArrayList<>();
        for (JsonNode ch : cpStatus.path("channels")) {
            out.add(ch.path("instanceIndex").asInt() + "@" + ch.path("transport").asText() + ":" + ch.path("port").asInt()
                    + ":" + ch.path("state").asText());
        }
        return out;
    }

    @Test
    @Order(1)
    void oneInstanceUsesHttps443() throws Exception {
        JsonNode st = E2eLab.awaitStatus(lab.cp(), s -> ports(s).equals(List.of("0@HTTPS:" + plan.port(443)
                + ":Connected")), Duration.ofSeconds(20), "one channel on 443");
        assertThat(st.path("site").path("lastError").isNull()).as("site config readable: %s", st.path("site")).isTrue();
        assertThat(E2eLab.Client.vipGet(plan, E2eLab.MPLIST).status()).isEqualTo(200);
    }

    @Test
    @Order(2)
    void scaleOutGivesTheRunningConnectionPointAChannelToTheNewInstanceOn10124PlusI() throws Exception {
        long t0 = System.nanoTime();
        E2eLab.post(lab.lab.component(LabPlan.SCP), "/scale?count=2");
        lab.awaitDeployment(2, Duration.ofSeconds(120));
        long deployedMs = (System.nanoTime() - t0) / 1_000_000;
        List<String> want = List.of("0@HTTPS:" + plan.port(10124) + ":Connected",
                "1@HTTPS:" + plan.port(10125) + ":Connected");
        E2eLab.awaitStatus(lab.cp(), s -> ports(s).equals(want), Duration.ofSeconds(30),
                "channels to 2 instances on 10124+i");
        System.out.printf("RESULT scale-out-1-to-2 deployedMs=%d channelsMs=%d%n", deployedMs,
                (System.nanoTime() - t0) / 1_000_000);
        assertThat(lab.cp().pid()).as("the same connection point process").isEqualTo(cpPid);
        assertThat(lab.cp().isAlive()).isTrue();
        Path cpOut = lab.out(LabPlan.CONNECTION_POINT);
        assertThat(E2eLab.grep(cpOut, "adding instance ProxyService_IN_1")).isNotEmpty();
        assertThat(E2eLab.grep(cpOut, "replacing the channel to instance ProxyService_IN_0")).as("443 → 10124")
                .isNotEmpty();
        assertNever443(2);
        for (int i = 0; i < 2; i++) {
            try (E2eLab.Client c = E2eLab.Client.open(plan, lab.instanceAddress(i), plan.port(443))) {
                assertThat(c.get(E2eLab.MPLIST).status()).as("GET through instance %d", i).isEqualTo(200);
            }
        }
    }

    /** Never 443 once there are several instances: neither in the targets nor on any CMG instance. */
    private static void assertNever443(int n) throws Exception {
        JsonNode st = E2eLab.status(lab.cp());
        assertThat(st.path("targets").toString()).doesNotContain("\"port\":" + plan.port(443) + ",");
        for (int i = 0; i < n; i++) {
            int inst = i;
            await("instance " + i + " lists its channel on 10124+" + i).atMost(Duration.ofSeconds(20))
                    .pollInterval(E2eLab.POLL).until(() -> readyPorts(inst).equals(List.of(plan.port(10124 + inst))));
        }
    }

    @Test
    @Order(3)
    void scaleOutAgainLeavesTheExistingChannelsAlone() throws Exception {
        JsonNode before = E2eLab.status(lab.cp());
        String id0 = E2eLab.channel(before, 0).path("connectionId").asText();
        String id1 = E2eLab.channel(before, 1).path("connectionId").asText();
        E2eLab.post(lab.lab.component(LabPlan.SCP), "/scale?count=3");
        lab.awaitDeployment(3, Duration.ofSeconds(120));
        List<String> want = List.of("0@HTTPS:" + plan.port(10124) + ":Connected",
                "1@HTTPS:" + plan.port(10125) + ":Connected", "2@HTTPS:" + plan.port(10126) + ":Connected");
        JsonNode st = E2eLab.awaitStatus(lab.cp(), s -> ports(s).equals(want), Duration.ofSeconds(30),
                "channels to 3 instances on 10124+i");
        assertThat(E2eLab.channel(st, 0).path("connectionId").asText()).isEqualTo(id0);
        assertThat(E2eLab.channel(st, 1).path("connectionId").asText()).isEqualTo(id1);
        assertThat(E2eLab.grep(lab.out(LabPlan.CONNECTION_POINT), "adding instance ProxyService_IN_2")).isNotEmpty();
        assertNever443(3);
        assertThat(lab.cp().pid()).isEqualTo(cpPid);
    }

    @Test
    @Order(4)
    void scaleInDrainsTheRemovedInstanceAndRequestsKeepFlowing() throws Exception {
        ComponentProcess cp = lab.cp();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger ok = new AtomicInteger();
        List<String> failed = new CopyOnWriteArrayList<>();
        Thread loop = new Thread(() -> {
            long end = System.nanoTime() + Duration.ofSeconds(90).toNanos(); // bounded whatever happens
            while (!stop.get() && System.nanoTime() < end) {
                try {
                    E2eLab.Client.Response r = E2eLab.Client.vipGet(plan, E2eLab.MPLIST);
                    if (r.status() == 200) {
                        ok.incrementAndGet();
                    } else {
                        failed.add(r.statusLine());
                    }
                } catch (Exception e) {
                    failed.add(e.toString());
                }
            }
        }, "e2e-request-loop");
        long size = 8L << 20; // the instance drains for at most 5 s: the rest must arrive within that on a busy machine
        try (E2eLab.Client download = E2eLab.Client.open(plan, lab.instanceAddress(2), plan.port(443))) {
            download.send("/CCM_Proxy_MutualAuth/" + LabPlan.MP_ROLE_ID + "/SMS_DP_SMSPKG$/P0100001/lab-8MiB.bin");
            String[] head = download.readHead();
            assertThat(head[0]).startsWith("HTTP/1.1 200");
            long off = download.readAndCheck(0, 1 << 20); // 1 MiB, then the reader pauses: a stream in flight
            loop.start();
            await("a few requests before the scale-in").atMost(Duration.ofSeconds(10)).until(() -> ok.get() >= 3);

            E2eLab.post(lab.lab.component(LabPlan.SCP), "/scale?count=2");
            // instance 2 is being stopped: it drains its channel (GOAWAY, the stream in flight may finish)
            await("instance 2 draining its channel").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                    .ignoreExceptions().until(() -> {
                        for (JsonNode c : lab.status(lab.instanceAdmin(2)).path("channels")) {
                            if (c.path("draining").asBoolean()) {
                                return true;
                            }
                        }
                        return false;
                    });
            off += download.readAndCheck(off, size - off);
            assertThat(off).as("the download in flight through the removed instance completes").isEqualTo(size);
        }
        lab.awaitDeployment(2, Duration.ofSeconds(60));
        List<String> want = List.of("0@HTTPS:" + plan.port(10124) + ":Connected",
                "1@HTTPS:" + plan.port(10125) + ":Connected");
        E2eLab.awaitStatus(cp, s -> ports(s).equals(want), Duration.ofSeconds(20), "channels to the 2 instances left");
        await("some requests after the scale-in").atMost(Duration.ofSeconds(10)).until(() -> ok.get() >= 6);
        stop.set(true);
        loop.join(30_000);
        System.out.printf("RESULT scale-in-3-to-2 requestsOk=%d failed=%s%n", ok.get(), failed);
        assertThat(failed).as("requests through the VIP during the scale-in").isEmpty();
        assertThat(E2eLab.grep(lab.out(LabPlan.CONNECTION_POINT), "removing instance ProxyService_IN_2")).isNotEmpty();
        assertThat(cp.pid()).isEqualTo(cpPid);
        assertThat(E2eLab.grep(lab.out(LabPlan.cmgServiceName(2)), "Drained")).as("instance 2 drained its channel")
                .isNotEmpty();
    }

    /** Ports of the ready channels a CMG instance lists. */
    private static List<Integer> readyPorts(int instance) throws Exception {
        return org.cmglab.lab.LabProcesses.readyChannels(lab.lab.adminGet(lab.instanceAdmin(instance), "/status"))
                .stream().map(c -> c.path("port").asInt()).toList();
    }
}
