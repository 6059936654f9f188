package org.cmglab.scp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.config.PublishedRole;
import org.cmglab.proto.config.ScpConfig;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.flow.FlowEvent;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.runtime.AdminServer;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.HostMap;
import org.cmglab.proto.runtime.Json;
import org.cmglab.proto.runtime.LabHttpClient;
import org.cmglab.scp.CloudServiceManager.State;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CloudMgr against a fake Azure (HTTPS on loopback, lab-CA certificate, Entra ID token + Resource Manager contract). */
class CloudServiceManagerTest {
    private static final CloudServiceManager.Settings FAST =
            new CloudServiceManager.Settings(Duration.ofSeconds(1), Duration.ofMillis(50), Duration.ofSeconds(30));

    @TempDir
    static Path dir;
    private static LabCa ca;
    private static ComponentRuntime rt;
    private static FakeAzure azure;
    private static Path rootFile;
    private static TlsFiles serverCert;
    private CloudServiceManager mgr;

    @BeforeAll
    static void start() throws Exception {
        ca = LabCa.createEphemeral();
        rt = new ComponentRuntime("service-connection-point", dir.resolve("logs"), "CloudMgr.log",
                "SMS_CLOUD_SERVICES_MANAGER", 2);
        azure = new FakeAzure(rt.group(), ca, "127.0.7.1");
        rootFile = dir.resolve("lab-root.pem");
        Files.writeString(rootFile, Pem.toPem(ca.root()));
        serverCert = issueServerCert("granitefalls.contoso.com", "cmg");
    }

    @AfterAll
    static void stop() {
        azure.close();
        rt.close();
    }

    @AfterEach
    void closeManager() {
        if (mgr != null) {
            mgr.close();
        }
    }

    private static TlsFiles issueServerCert(String cn, String name) throws Exception {
        IssuedCert c = ca.issue(CertSpec.server(cn, List.of(cn), List.of()));
        Path cert = dir.resolve(name + ".crt.pem");
        Path key = dir.resolve(name + ".key.pem");
        c.writePem(cert, key);
        return new TlsFiles(cert.toString(), key.toString());
    }

    private static ScpConfig config(String service, String method, int instances, String secret) {
        return new ScpConfig("AzurePublicCloud", "contoso-tenant", "scp-app", secret, "sub-1", "cmg-rg", "westus",
                method, instances, "Standard_B2s", service, serverCert, List.of(rootFile.toString()),
                List.of(rootFile.toString()), List.of(new PublishedRole("72057594037927939", "MP", "PS1")), "PS1",
                new Endpoint("127.0.0.53", 53), List.of(rootFile.toString()), new Endpoint("127.0.7.2", 0), false,
                azure.portOffset(), dir.toString(), dir.resolve("logs").toString());
    }

    private CloudServiceManager manager(ScpConfig c) throws Exception {
        mgr = ScpMain.build(c, rt, LabHttpClient.staticResolver(new HostMap(azure.hosts())), FAST);
        mgr.startMonitoring();
        return mgr;
    }

    private static List<State> states(CloudServiceManager m) {
        return m.history().stream().map(CloudServiceManager.StateChange::state).toList();
    }

    private static State done(java.util.concurrent.CompletableFuture<State> f) throws Exception {
        return f.get(60, TimeUnit.SECONDS);
    }

    @Test
    void scaleSetLifecycleDeployScaleRenewDelete() throws Exception {
        String svc = "granitefalls.contoso.com";
        manager(config(svc, CloudServiceManager.VMSS, 1, FakeAzure.SECRET));
        int tokensBefore = azure.tokensIssued.get();

        assertThat(done(mgr.deploy())).isEqualTo(State.Ready);
        assertThat(states(mgr)).containsExactly(State.Provisioning, State.Ready);
        assertThat(mgr.reason()).isEqualTo("Deployment instance status for service " + svc + " is ReadyRole");
        var res = azure.resource("granitefalls");
        assertThat(res.type).isEqualTo("Microsoft.Compute/virtualMachineScaleSets");
        assertThat(res.cmg.path("certificatePem").asText()).contains("BEGIN CERTIFICATE");
        assertThat(res.cmg.path("privateKeyPem").asText()).contains("PRIVATE KEY");
        assertThat(res.cmg.path("trustedRootsPem")).hasSize(1);
        assertThat(res.cmg.path("publishedRoles").get(0).path("roleId").asText()).isEqualTo("72057594037927939");
        assertThat(azure.requests).anyMatch(r -> r.startsWith("PUT management.azure.com /subscriptions/sub-1/"
                + "resourceGroups/cmg-rg/providers/Microsoft.Compute/virtualMachineScaleSets/granitefalls?api-version=2024-07-01"));

        // the monitor reads each instance's channel status and traffic counters
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Map<String, Object> st = mgr.status();
            assertThat(st.get("connectionPointChannelsReady")).isEqualTo(1);
            assertThat(st.get("traffic")).isEqualTo(Map.of("requests", 10L, "failures", 0L));
        });
        Map<String, Object> st = mgr.status();
        assertThat(st.get("state")).isEqualTo("Ready");
        @SuppressWarnings("unchecked")
        var inst = (List<Map<String, Object>>) st.get("instances");
        assertThat(inst).singleElement().satisfies(i -> {
            assertThat(i.get("roleInstance")).isEqualTo("ProxyService_IN_0");
            assertThat(i.get("state")).isEqualTo("ReadyRole");
            assertThat(i.get("healthy")).isEqualTo(true);
        });
        @SuppressWarnings("unchecked")
        var dep = (Map<String, Object>) st.get("deployment");
        assertThat(dep.get("deploymentName")).isEqualTo("granitefalls.westus.cloudapp.azure.com");
        assertThat(Json.write(st)).contains("\"history\"");

        assertThat(done(mgr.scale(3))).isEqualTo(State.Ready);
        assertThat(azure.resource("granitefalls").instances).hasSize(3);
        assertThat(mgr.status().get("lastUpgradeMinReadyInstances")).isEqualTo(1); // the service stayed up

        TlsFiles renewed = issueServerCert(svc, "cmg-renewed");
        assertThat(done(mgr.renewCertificate(renewed))).isEqualTo(State.Ready);
        assertThat(azure.resource("granitefalls").cmg.path("certificatePem").asText())
                .isEqualTo(Files.readString(Path.of(renewed.certFile())));

        assertThat(done(mgr.scale(2))).isEqualTo(State.Ready);
        assertThat(azure.resource("granitefalls").instances).hasSize(2);

        assertThat(done(mgr.delete())).isEqualTo(State.Deleted);
        assertThat(azure.resource("granitefalls")).isNull();
        assertThat(states(mgr)).containsExactly(State.Provisioning, State.Ready, State.Upgrading, State.Ready,
                State.Upgrading, State.Ready, State.Upgrading, State.Ready, State.Deleting, State.Deleted);
        // monitor rounds after the delete leave Deleted alone
        await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(10))
                .until(() -> mgr.state() == State.Deleted);

        // one token for the whole lifecycle (cached), F1 events for login and management
        assertThat(azure.tokensIssued.get() - tokensBefore).isEqualTo(1);
        List<FlowEvent> f1 = rt.events().snapshot(null).stream().filter(e -> "F1".equals(e.step())).toList();
        assertThat(f1).anySatisfy(e -> {
            assertThat(e.to()).isEqualTo("azure-sim/login");
            assertThat(e.port()).isEqualTo(443 + azure.portOffset());
        });
        assertThat(f1).anySatisfy(e -> {
            assertThat(e.to()).isEqualTo("azure-sim/management");
            assertThat(e.auth()).isEqualTo("Entra ID token (client credentials)");
            assertThat(e.protocol()).isEqualTo("HTTPS");
            assertThat(e.detail()).startsWith("PUT /subscriptions/sub-1/resourceGroups/cmg-rg/providers/Microsoft.Compute/");
        });

        String log = Files.readString(dir.resolve("logs/CloudMgr.log"));
        assertThat(log).contains("<![LOG[TaskManager: Task [CreateDeployment for service " + svc + "]")
                .contains("Starting to Deploy Service")
                .contains("Deployment instance status for service " + svc + " is ReadyRole")
                .contains("Resource Manager - Creating Microsoft.Compute/virtualMachineScaleSets granitefalls")
                .contains("component=\"SMS_CLOUD_SERVICES_MANAGER\"")
                .contains("AzureUSGovernmentCloud: login=login.microsoftonline.us management=management.usgovcloudapi.net");
    }

    @Test
    void classicCloudServiceWithTwoInstances() throws Exception {
        manager(config("classicfalls.contoso.com", CloudServiceManager.CLASSIC, 2, FakeAzure.SECRET));
        assertThat(done(mgr.deploy())).isEqualTo(State.Ready);
        var res = azure.resource("classicfalls");
        assertThat(res.type).isEqualTo("Microsoft.ClassicCompute/domainNames");
        assertThat(res.instances).hasSize(2).allMatch(i -> "ReadyRole".equals(i.state));
        assertThat(azure.requests).anyMatch(r -> r.contains("/Microsoft.ClassicCompute/domainNames/classicfalls?api-version=2016-11-01"));
        @SuppressWarnings("unchecked")
        var dep = (Map<String, Object>) mgr.status().get("deployment");
        assertThat(dep.get("deploymentName")).isEqualTo("classicfalls.cloudapp.net");
        assertThat(dep.get("capacity")).isEqualTo(2);
        assertThat(done(mgr.delete())).isEqualTo(State.Deleted);
        assertThat(states(mgr)).containsExactly(State.Provisioning, State.Ready, State.Deleting, State.Deleted);
    }

    @Test
    void wrongSecretIsAnErrorWithTheEntraReasonAndCreatesNothing() throws Exception {
        long armBefore = azure.armRequests();
        manager(config("wrongsecret.contoso.com", CloudServiceManager.VMSS, 1, "wrong-secret"));
        assertThat(done(mgr.deploy())).isEqualTo(State.Error);
        assertThat(states(mgr)).containsExactly(State.Provisioning, State.Error);
        assertThat(mgr.reason()).startsWith("Failed to get an Entra ID token for Resource Manager: invalid_client: AADSTS7000215");
        assertThat(azure.armRequests()).isEqualTo(armBefore);
        assertThat(azure.resource("wrongsecret")).isNull();
    }

    @Test
    void seventeenInstancesAreRefusedLocally() throws Exception {
        int before = azure.requests.size();
        manager(config("toomany.contoso.com", CloudServiceManager.VMSS, 17, FakeAzure.SECRET));
        assertThatThrownBy(() -> mgr.deploy()).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("The number of VM instances must be between 1 and 16 (requested 17)");
        assertThat(azure.requests).hasSize(before);
        assertThat(mgr.status().get("state")).isEqualTo("NotDeployed");
        assertThat(mgr.history()).isEmpty();
    }

    @Test
    void unknownVmSizeAndMethodAreRefusedLocally() throws Exception {
        ScpConfig base = config("badsize.contoso.com", CloudServiceManager.VMSS, 1, FakeAzure.SECRET);
        ScpConfig badSize = new ScpConfig(base.environment(), base.tenantId(), base.clientId(), base.clientSecret(),
                base.subscriptionId(), base.resourceGroup(), base.region(), base.deploymentMethod(), 1, "Standard_D64s",
                base.serviceName(), base.serverCertificate(), base.trustedRoots(), base.connectorRoots(),
                base.publishedRoles(), base.siteCode(), base.dnsServer(), base.azureTrustRoots(), base.admin(), false,
                base.portOffset(), base.stateDir(), base.logDir());
        manager(badSize);
        assertThatThrownBy(() -> mgr.deploy()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Unknown VM size Standard_D64s");
        mgr.close();
        manager(config("badmethod.contoso.com", "AzureServiceManager", 1, FakeAzure.SECRET));
        assertThatThrownBy(() -> mgr.deploy()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Unknown deployment method AzureServiceManager");
    }

    @Test
    void cloudDistributionPointIsRefusedWithTheDeprecationMessage() throws Exception {
        int before = azure.requests.size();
        manager(config("clouddp.contoso.com", CloudServiceManager.VMSS, 1, FakeAzure.SECRET));
        assertThatThrownBy(() -> mgr.deploy(CloudServiceManager.TYPE_CLOUD_DP))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("The implementation for sharing content from Azure has changed. Use a content-enabled "
                        + "cloud management gateway. Starting in version 2107, you can't create a traditional cloud "
                        + "distribution point.");
        mgr.close();
        manager(config("clouddp.contoso.com", CloudServiceManager.TYPE_CLOUD_DP, 1, FakeAzure.SECRET));
        assertThatThrownBy(() -> mgr.deploy()).hasMessageContaining("you can't create a traditional cloud distribution point");
        assertThat(azure.requests).hasSize(before);
    }

    @Test
    void crashedInstanceIsAnErrorThenRecovers() throws Exception {
        String svc = "crashfalls.contoso.com";
        manager(config(svc, CloudServiceManager.VMSS, 2, FakeAzure.SECRET));
        assertThat(done(mgr.deploy())).isEqualTo(State.Ready);
        azure.setInstanceState("crashfalls", 1, "Crashed");
        await().atMost(Duration.ofSeconds(10)).until(() -> mgr.state() == State.Error);
        assertThat(mgr.reason()).isEqualTo("Deployment instance status for service " + svc
                + " is Crashed (role instance ProxyService_IN_1)");
        azure.setInstanceState("crashfalls", 1, "ReadyRole");
        await().atMost(Duration.ofSeconds(10)).until(() -> mgr.state() == State.Ready);
        assertThat(states(mgr)).containsExactly(State.Provisioning, State.Ready, State.Error, State.Ready);
        done(mgr.delete());
    }

    @Test
    void failedCreateOperationIsAnErrorWithAzuresCode() throws Exception {
        azure.failNextCreate = "SkuNotAvailable";
        manager(config("skufalls.contoso.com", CloudServiceManager.VMSS, 1, FakeAzure.SECRET));
        assertThat(done(mgr.deploy())).isEqualTo(State.Error);
        assertThat(mgr.reason()).startsWith("SkuNotAvailable: The requested VM size");
        assertThat(states(mgr)).containsExactly(State.Provisioning, State.Error);
    }

    @Test
    void renewalWithAnotherServiceNameIsRefused() throws Exception {
        manager(config("renewfalls.contoso.com", CloudServiceManager.VMSS, 1, FakeAzure.SECRET));
        assertThat(done(mgr.deploy())).isEqualTo(State.Ready);
        TlsFiles other = issueServerCert("otherfalls.contoso.com", "other");
        assertThatThrownBy(() -> mgr.renewCertificate(other)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("doesn't match the service name renewfalls.contoso.com");
        assertThatThrownBy(() -> mgr.scale(0)).isInstanceOf(IllegalArgumentException.class);
        done(mgr.delete());
        assertThatThrownBy(() -> mgr.scale(2)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not deployed");
    }

    @Test
    void adminEndpointRunsTheOperations() throws Exception {
        manager(config("adminfalls.contoso.com", CloudServiceManager.VMSS, 1, FakeAzure.SECRET));
        try (AdminServer admin = AdminServer.start(new java.net.InetSocketAddress("127.0.7.3", 0), rt.group(),
                "service-connection-point", () -> true, mgr::status, rt.events(), rt.registry(),
                ScpAdminActions.of(mgr))) {
            String base = "http://127.0.7.3:" + admin.boundAddress().getPort();
            HttpClient http = HttpClient.newHttpClient();
            assertThat(post(http, base + "/deploy?serviceType=CloudDistributionPoint", "").statusCode()).isEqualTo(400);
            var ok = post(http, base + "/deploy", "");
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body()).contains("\"accepted\"");
            assertThat(post(http, base + "/scale?count=2", "").statusCode()).isEqualTo(409); // busy deploying
            await().atMost(Duration.ofSeconds(20)).until(() -> mgr.state() == State.Ready && !mgr.busy());
            assertThat(post(http, base + "/scale?count=17", "").statusCode()).isEqualTo(400);
            assertThat(post(http, base + "/scale?count=2", "").statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(20)).until(() -> mgr.state() == State.Ready && !mgr.busy());
            TlsFiles renewed = issueServerCert("adminfalls.contoso.com", "admin-renewed");
            assertThat(post(http, base + "/renew-certificate", Json.writeCompact(renewed)).statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(20)).until(() -> mgr.state() == State.Ready && !mgr.busy());
            assertThat(post(http, base + "/delete", "").statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(20)).until(() -> mgr.state() == State.Deleted);
            var status = http.send(HttpRequest.newBuilder(URI.create(base + "/status")).build(),
                    HttpResponse.BodyHandlers.ofString());
            var node = Json.MAPPER.readTree(status.body());
            assertThat(node.path("state").asText()).isEqualTo("Deleted");
            List<String> hist = new java.util.ArrayList<>();
            node.path("history").forEach(h -> hist.add(h.path("state").asText()));
            assertThat(hist).containsExactly("Provisioning", "Ready", "Upgrading", "Ready", "Upgrading", "Ready",
                    "Deleting", "Deleted");
        }
    }

    @Test
    void deployAdoptsAnExistingResource() throws Exception {
        manager(config("adoptfalls.contoso.com", CloudServiceManager.VMSS, 2, FakeAzure.SECRET));
        assertThat(done(mgr.deploy())).isEqualTo(State.Ready);
        mgr.close();
        long puts = azure.requests.stream().filter(r -> r.startsWith("PUT ")).count();
        // a restarted SCP (deployOnStart) finds the deployment and adopts it instead of creating it again
        manager(config("adoptfalls.contoso.com", CloudServiceManager.VMSS, 1, FakeAzure.SECRET));
        assertThat(done(mgr.deploy())).isEqualTo(State.Ready);
        assertThat(azure.requests.stream().filter(r -> r.startsWith("PUT ")).count()).isEqualTo(puts);
        @SuppressWarnings("unchecked")
        var dep = (Map<String, Object>) mgr.status().get("deployment");
        assertThat(dep.get("capacity")).isEqualTo(2);
        done(mgr.delete());
    }

    @Test
    void resolverFactoryResolvesThroughTheLabDnsOnly() throws Exception {
        ScpConfig c = config("dns.contoso.com", CloudServiceManager.VMSS, 1, FakeAzure.SECRET);
        assertThat(c.dnsServer()).isNotNull();
        assertThat(ResolverFactory.create(c)).isNotNull();
        ScpConfig noDns = new ScpConfig(c.environment(), c.tenantId(), c.clientId(), c.clientSecret(), c.subscriptionId(),
                c.resourceGroup(), c.region(), c.deploymentMethod(), c.instances(), c.vmSize(), c.serviceName(),
                c.serverCertificate(), c.trustedRoots(), c.connectorRoots(), c.publishedRoles(), c.siteCode(), null,
                c.azureTrustRoots(), c.admin(), c.deployOnStart(), c.portOffset(), c.stateDir(), c.logDir());
        assertThatThrownBy(() -> ResolverFactory.create(noDns)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("dnsServer");
    }

    private static HttpResponse<String> post(HttpClient http, String url, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
