package org.cmglab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.cmglab.e2e.netns.NamespaceRelay;
import org.cmglab.e2e.netns.SplitNetwork;
import org.cmglab.lab.ClientRun;
import org.cmglab.lab.HopTrace;
import org.cmglab.lab.LabPlan;
import org.cmglab.lab.LabProcesses;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.flow.FlowEvent;
import org.cmglab.proto.flow.TraceContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * "No inbound port on-prem", proved with network namespaces (docs/ports.md, "The no-inbound-port test"). The on-prem
 * side (site-sim's MP, the service connection point, cmg-connection-point) runs in one namespace whose firewall drops
 * every inbound connection; the cloud side (Azurite, azure-sim with its DNS, load balancer and the CMG instances it
 * starts, and client-sim) runs in another, joined by a veth pair. The full request flow still works, because the
 * only path between the sides that carries requests is the channel the connection point opened; and a connection
 * from the cloud namespace to the MP or the connection point times out. The test JVM (root namespace) reads the
 * admin endpoints through {@link NamespaceRelay}s over Unix sockets.
 *
 * <p>Needs root, {@code ip netns} and iptables; skipped with the reason otherwise.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NoInboundPortOnPremE2ETest {
    private static final List<String> CLOUD_SIDE = List.of(LabPlan.AZURE_SIM, LabPlan.CLIENT_SIM, LabProcesses.AZURITE);
    private static final List<String> ON_PREM_SIDE = List.of(LabPlan.SITE_SIM, LabPlan.SCP, LabPlan.CONNECTION_POINT);

    @TempDir
    static Path tmp;

    static LabPlan plan;
    static SplitNetwork network;
    static final List<NamespaceRelay> relays = new ArrayList<>();
    static LabProcesses lab;

    @BeforeAll
    static void startSplitLab() throws Exception {
        String why = SplitNetwork.unsupportedReason();
        if (why != null) {
            System.out.println("SKIPPED NoInboundPortOnPremE2ETest: " + why);
        }
        Assumptions.assumeTrue(why == null, "network namespaces unavailable: " + why);

        // 200..249: away from the 100..199 the other e2e tests pick, since the relays bind admin ports in the root
        // namespace
        int net = ThreadLocalRandom.current().nextInt(200, 250);
        plan = LabPlan.builder().stateDir(tmp.resolve("state")).net(net).build();
        plan.materialize();
        network = SplitNetwork.create(net, List.of(1, 4, 5, 10), List.of(2, 3, 6), plan.azureAddress(),
                plan.connectionPointAddress());
        System.out.println("split network: cloud namespace " + network.cloud() + ", on-prem namespace "
                + network.onPrem() + " (iptables INPUT DROP except lo and ESTABLISHED,RELATED)");

        Path sockets = Files.createTempDirectory("cmglab-relay");
        List<Endpoint> cloudAdmin = new ArrayList<>(List.of(plan.azureAdmin(),
                new Endpoint(plan.azuriteAddress(), plan.azuriteBlobPort()),
                new Endpoint(plan.azuriteAddress(), plan.azuriteQueuePort()),
                new Endpoint(plan.azuriteAddress(), plan.azuriteTablePort())));
        for (int i = 0; i < plan.instances(); i++) {
            cloudAdmin.add(plan.cmgAdmin(i));
        }
        relays.add(NamespaceRelay.start(network.cloud(), sockets, cloudAdmin));
        relays.add(NamespaceRelay.start(network.onPrem(), sockets,
                List.of(plan.siteSimAdmin(), plan.scpAdmin(), plan.connectionPointAdmin())));

        lab = new LabProcesses(plan, System.out);
        CLOUD_SIDE.forEach(c -> lab.commandPrefix(c, SplitNetwork.execIn(network.cloud())));
        ON_PREM_SIDE.forEach(c -> lab.commandPrefix(c, SplitNetwork.execIn(network.onPrem())));
        lab.startAll();
    }

    @AfterAll
    static void stopSplitLab() {
        List<ProcessHandle> started = new ArrayList<>();
        try {
            if (lab != null) {
                started.addAll(lab.processHandles());
                lab.close();
            }
        } finally {
            relays.forEach(r -> {
                started.add(r.handle());
                r.close();
            });
            relays.clear();
            if (network != null) {
                network.close();
            }
        }
        for (ProcessHandle h : started) {
            assertThat(h.isAlive()).as("process %d still alive after stop", h.pid()).isFalse();
        }
        if (network != null) {
            assertThat(SplitNetwork.run(List.of("ip", "netns", "list")).output())
                    .as("namespaces left behind").doesNotContain(network.cloud()).doesNotContain(network.onPrem());
        }
    }

    @Test
    @Order(1)
    void fullFlowRunsOverTheChannelTheConnectionPointOpened() throws Exception {
        lab.awaitChannel(Duration.ofSeconds(30));
        String trace = TraceContext.newTraceId();
        ClientRun run = lab.runClient(trace);

        assertThat(run.exitCode()).as("client-sim exit (in %s); output:\n%s", network.cloud(), run.output()).isZero();
        assertThat(run.status()).isEqualTo(200);
        assertThat(run.mps()).contains(new ClientRun.Mp(LabPlan.MP_NAME, LabPlan.MP_FQDN));

        List<FlowEvent> events = HopTrace.order(lab.collectEvents(trace).events());
        HopTrace.Verdict verdict = HopTrace.analyze(events, run.exitCode(), run.summary());
        assertThat(verdict.ok()).as(verdict.message() + "\n" + String.join("\n", HopTrace.format(events))).isTrue();
        assertThat(events.stream().filter(e -> e.step().matches("F[345]")).toList())
                .extracting(e -> e.step() + " " + e.phase())
                .containsExactly("F3 request", "F4 request", "F5 request", "F5 response", "F4 response", "F3 response");
    }

    @Test
    @Order(2)
    void cloudCannotOpenAConnectionToAnythingOnPrem() {
        Endpoint mp = plan.mp();
        Endpoint cp = plan.connectionPointAdmin();
        // controls: both listen (reachable inside their namespace), and the cloud side reaches its own CMG
        assertThat(network.tcpConnect(network.onPrem(), mp.address(), mp.port(), 2)).as("MP from on-prem").isZero();
        assertThat(network.tcpConnect(network.onPrem(), cp.address(), cp.port(), 2)).as("CP admin from on-prem")
                .isZero();
        Endpoint front = plan.cmgFrontDoor(0);
        assertThat(network.tcpConnect(network.cloud(), front.address(), front.port(), 2)).as("CMG from the cloud")
                .isZero();

        long droppedBefore = network.onPremDroppedPackets();
        // 124 = still connecting when `timeout` fired: the SYNs were dropped (a refusal would be 1 at once)
        assertThat(network.tcpConnect(network.cloud(), mp.address(), mp.port(), 2))
                .as("cloud → MP %s (124 = timed out)", mp).isEqualTo(124);
        assertThat(network.tcpConnect(network.cloud(), cp.address(), cp.port(), 2))
                .as("cloud → connection point %s (124 = timed out)", cp).isEqualTo(124);
        assertThat(network.onPremDroppedPackets()).as("packets the on-prem firewall dropped")
                .isGreaterThan(droppedBefore);
    }
}
