package org.cmglab.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.resolver.dns.DnsNameResolver;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.cmglab.lab.ComponentProcess;
import org.cmglab.lab.LabPlan;
import org.cmglab.lab.LabProcesses;
import org.cmglab.proto.runtime.EventLoops;
import org.cmglab.proto.runtime.Json;
import org.cmglab.proto.runtime.LabDns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Flow F1 with every component its own process: the service connection point gets an Entra ID token from azure-sim
 * and deploys a scale-set CMG with 1 instance, scales it to 3 and back to 2, and deletes it; then a classic CMG with
 * 2 instances. Each VM instance is a separate cmg-service process started by azure-sim; the service name resolves
 * through the lab DNS (CNAME → deployment name → VIP); the SCP's status history shows each state in order.
 */
class AzureDeploymentE2ETest {
    private static final Duration STEP = Duration.ofSeconds(90);

    @TempDir
    static Path tmp;
    static LabPlan plan;
    static LabProcesses lab;
    static EventLoopGroup group;
    static final HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY)
            .connectTimeout(Duration.ofSeconds(2)).build();
    static final List<ProcessHandle> seen = new ArrayList<>();

    @BeforeAll
    static void startAzure() throws Exception {
        int net = 100 + ThreadLocalRandom.current().nextInt(100);
        plan = LabPlan.builder().stateDir(tmp.resolve("state")).net(net).build();
        plan.materialize();
        lab = new LabProcesses(plan, System.out);
        lab.startAzurite();
        ComponentProcess azure = lab.component(LabPlan.AZURE_SIM);
        azure.start();
        azure.awaitReady(LabProcesses.READY_TIMEOUT);
        seen.add(azure.process().toHandle());
        group = EventLoops.newGroup(1, "e2e-dns");
    }

    @AfterAll
    static void stop() throws Exception {
        if (lab != null) {
            lab.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
        for (ProcessHandle h : seen) {
            h.onExit().get(15, TimeUnit.SECONDS);
            assertThat(h.isAlive()).as("process %d still alive after the lab stopped", h.pid()).isFalse();
        }
    }

    @Test
    void scaleSetThenClassicDeployedScaledAndDeletedThroughTheServiceConnectionPoint() throws Exception {
        // --- scale set, 1 instance, deployed on start
        ComponentProcess scp = lab.component(LabPlan.SCP);
        scp.start();
        scp.awaitReady(LabProcesses.READY_TIMEOUT);
        seen.add(scp.process().toHandle());
        JsonNode st = awaitState(scp, "Ready", 1);
        assertThat(st.path("deployment").path("deploymentName").asText()).isEqualTo(LabPlan.DEPLOYMENT_NAME);
        assertThat(st.path("deployment").path("deploymentMethod").asText()).isEqualTo("VirtualMachineScaleSet");
        assertInstancesAreSeparateProcesses(st, 1);
        assertResolvesToVip(LabPlan.SERVICE_NAME, LabPlan.DEPLOYMENT_NAME);

        // --- scale out to 3, then in to 2
        post(scp, "/scale?count=3");
        st = awaitState(scp, "Ready", 3);
        assertInstancesAreSeparateProcesses(st, 3);
        post(scp, "/scale?count=2");
        st = awaitState(scp, "Ready", 2);
        assertInstancesAreSeparateProcesses(st, 2);

        // --- certificate renewal (a new server-auth certificate from the lab CA) without losing the service
        Path cert = tmp.resolve("renewed.crt.pem");
        Path key = tmp.resolve("renewed.key.pem");
        org.cmglab.proto.pki.LabCa.loadOrCreate(plan.pkiDir()).issue(org.cmglab.proto.pki.CertSpec.server(
                LabPlan.SERVICE_NAME, List.of(LabPlan.SERVICE_NAME, LabPlan.DEPLOYMENT_NAME), List.of()))
                .writePem(cert, key);
        String thumbprint = org.cmglab.proto.pki.IssuedCert.readPem(cert, key).thumbprintSha1Hex();
        post(scp, "/renew-certificate", Json.writeCompact(java.util.Map.of("certFile", cert.toString(),
                "keyFile", key.toString())));
        st = awaitState(scp, "Ready", 2);
        assertThat(st.path("lastUpgradeMinReadyInstances").asInt()).as("instances serving during the renewal")
                .isPositive();
        assertThat(azureStatus().toString()).as("azure-sim records the renewed certificate").containsIgnoringCase(thumbprint);
        for (int i = 0; i < 4; i++) { // through the load balancer: every instance now presents the renewed certificate
            assertThat(servedThumbprint()).isEqualToIgnoringCase(thumbprint);
        }

        // --- delete
        post(scp, "/delete");
        st = awaitState(scp, "Deleted", 0);
        assertThat(states(st)).containsSubsequence("Provisioning", "Ready", "Upgrading", "Ready", "Upgrading", "Ready",
                "Upgrading", "Ready", "Deleting", "Deleted");
        assertNoLongerResolves(LabPlan.DEPLOYMENT_NAME);
        assertThat(azureStatus().path("fabric").path("deployments").size()).as("deployments left in azure-sim").isZero();
        scp.stop();

        // --- classic, 2 instances: a second SCP configured for the classic method; the admin points the CNAME at it
        LabPlan classic = LabPlan.builder().home(plan.home()).stateDir(plan.stateDir()).net(plan.net())
                .portOffset(plan.portOffset()).classic(true).instances(2).build();
        classic.materialize();
        post(lab.component(LabPlan.AZURE_SIM), "/dns?name=" + LabPlan.SERVICE_NAME + "&type=CNAME&value="
                + classic.deploymentName());
        ComponentProcess scp2 = new ComponentProcess("service-connection-point-classic", plan.jar(LabPlan.SCP),
                classic.configFile(LabPlan.SCP), classic.scpAdmin(), plan.logDir(), http);
        try {
            scp2.start();
            scp2.awaitReady(LabProcesses.READY_TIMEOUT);
            seen.add(scp2.process().toHandle());
            st = awaitState(scp2, "Ready", 2);
            assertThat(st.path("deployment").path("deploymentMethod").asText()).isEqualTo("CloudServiceClassic");
            assertThat(st.path("deployment").path("deploymentName").asText()).isEqualTo("granitefalls.cloudapp.net");
            assertInstancesAreSeparateProcesses(st, 2);
            assertResolvesToVip(LabPlan.SERVICE_NAME, "granitefalls.cloudapp.net");
            post(scp2, "/delete");
            st = awaitState(scp2, "Deleted", 0);
            assertThat(states(st)).containsSubsequence("Provisioning", "Ready", "Deleting", "Deleted");
        } finally {
            scp2.stop();
        }
    }

    /** Polls the SCP status until {@code state} with {@code instances} instances; fails fast on Error. */
    private static JsonNode awaitState(ComponentProcess scp, String state, int instances) {
        java.util.concurrent.atomic.AtomicReference<JsonNode> last = new java.util.concurrent.atomic.AtomicReference<>();
        try {
            await().atMost(STEP).pollInterval(Duration.ofMillis(200)).until(() -> {
                JsonNode st = Json.MAPPER.readTree(scp.adminGet("/status"));
                last.set(st);
                assertThat(st.path("state").asText()).as("SCP state (reason: %s)", st.path("reason").asText())
                        .isNotEqualTo("Error");
                boolean idle = st.path("task").isNull() || st.path("task").isMissingNode()
                        || st.path("task").asText().isEmpty();
                long ready = 0;
                for (JsonNode i : st.path("instances")) {
                    if ("ReadyRole".equals(i.path("state").asText())) {
                        ready++;
                    }
                }
                return state.equals(st.path("state").asText()) && idle && ready == instances
                        && st.path("instances").size() == instances;
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            JsonNode st = last.get();
            throw new AssertionError("the SCP did not reach " + state + " with " + instances + " instances within "
                    + STEP.toSeconds() + " s (last: " + (st == null ? "no status" : st.path("state").asText() + " "
                    + st.path("reason").asText() + " instances=" + st.path("instances").size()) + "); see "
                    + scp.outFile(), e);
        }
        return last.get();
    }

    /** The SHA-1 thumbprint of the certificate the CMG presents at VIP:443, verified as the service name. */
    private static String servedThumbprint() throws Exception {
        var ctx = org.cmglab.proto.pki.TlsContexts.jdkClient(List.of(
                org.cmglab.proto.pki.Pem.readCertificates(plan.rootCertFile()).get(0)), null);
        try (var s = (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket()) {
            s.connect(new java.net.InetSocketAddress(plan.vipAddress(), plan.port(443)), 5_000);
            var p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setServerNames(List.of(new javax.net.ssl.SNIHostName(LabPlan.SERVICE_NAME)));
            s.setSSLParameters(p);
            s.startHandshake();
            var leaf = (java.security.cert.X509Certificate) s.getSession().getPeerCertificates()[0];
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-1")
                    .digest(leaf.getEncoded()));
        }
    }

    private static List<String> states(JsonNode st) {
        List<String> out = new ArrayList<>();
        st.path("history").forEach(h -> out.add(h.path("state").asText()));
        return out;
    }

    /** Every instance the SCP sees is a live cmg-service process of its own, and answers on its admin endpoint. */
    private static void assertInstancesAreSeparateProcesses(JsonNode st, int n) throws Exception {
        List<Long> pids = new ArrayList<>();
        for (JsonNode i : st.path("instances")) {
            long pid = i.path("pid").asLong();
            assertThat(pid).as("pid of %s", i.path("roleInstance").asText()).isPositive();
            ProcessHandle h = ProcessHandle.of(pid).orElseThrow();
            assertThat(h.isAlive()).isTrue();
            assertThat(h.info().commandLine().orElse("")).contains("cmg-service.jar");
            pids.add(pid);
            seen.add(h);
            String health = lab.adminGet(new org.cmglab.proto.config.Endpoint(i.path("address").asText(),
                    plan.port(9090)), "/health");
            assertThat(health).contains("UP");
        }
        assertThat(pids).hasSize(n).doesNotHaveDuplicates();
    }

    /** Through the lab DNS: name is a CNAME to {@code deploymentName}, which resolves to the VIP. */
    private static void assertResolvesToVip(String name, String deploymentName) throws Exception {
        InetAddress a = LabDns.resolve(group, plan.dns().socketAddress(), name, Duration.ofSeconds(5));
        assertThat(a.getHostAddress()).isEqualTo(plan.vipAddress());
        DnsNameResolver r = LabDns.builder(plan.dns().socketAddress()).eventLoop(group.next()).build();
        try {
            var env = r.query(new DefaultDnsQuestion(name, DnsRecordType.CNAME)).get(5, TimeUnit.SECONDS);
            try {
                DnsRecord cname = env.content().recordAt(DnsSection.ANSWER, 0);
                assertThat(cname.type()).isEqualTo(DnsRecordType.CNAME);
                var raw = (io.netty.handler.codec.dns.DnsRawRecord) cname;
                String target = io.netty.handler.codec.dns.DefaultDnsRecordDecoder.decodeName(raw.content().duplicate());
                assertThat(target).isEqualToIgnoringCase(deploymentName + ".");
            } finally {
                env.release();
            }
        } finally {
            r.close();
        }
    }

    private static void assertNoLongerResolves(String name) {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> LabDns.resolve(group, plan.dns().socketAddress(), name,
                Duration.ofSeconds(3))).isInstanceOf(java.net.UnknownHostException.class);
    }

    private static JsonNode azureStatus() throws Exception {
        return Json.MAPPER.readTree(lab.component(LabPlan.AZURE_SIM).adminGet("/status"));
    }

    private static void post(ComponentProcess c, String pathAndQuery) throws Exception {
        post(c, pathAndQuery, "");
    }

    private static void post(ComponentProcess c, String pathAndQuery, String body) throws Exception {
        HttpResponse<String> r = http.send(c.adminRequest(pathAndQuery).timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("POST %s → %s", pathAndQuery, r.body()).isEqualTo(200);
    }
}
