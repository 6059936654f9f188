package org.cmglab.azure.arm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.JWTClaimsSet;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.cmglab.azure.dns.DnsZone;
import org.cmglab.azure.http.RequestInfo;
import org.cmglab.azure.instances.CloudFabric;
import org.cmglab.azure.instances.FakeLauncher;
import org.cmglab.proto.config.AzureEnvironment;
import org.cmglab.proto.config.AzureSimConfig;
import org.cmglab.proto.config.ChannelTimings;
import org.cmglab.proto.config.CmgServiceConfig;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.jwt.JwtSigner;
import org.cmglab.proto.jwt.JwtVerifier;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.runtime.EventLoops;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResourceManagerServiceTest {
    static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    static final String SUB = "11111111-2222-3333-4444-555555555555";
    static final String VIP = "127.88.2.5";
    static final int OFFSET = 30000;
    static final String API = "?api-version=2024-07-01";
    static final String VMSS = "/subscriptions/" + SUB + "/resourceGroups/cmg-rg/providers/Microsoft.Compute/"
            + "virtualMachineScaleSets/";
    static final String CLASSIC = "/subscriptions/" + SUB + "/resourceGroups/cmg-rg/providers/"
            + "Microsoft.ClassicCompute/domainNames/";
    static LabCa ca;
    static IssuedCert cert;
    static JwtSigner signer;

    @TempDir
    Path dir;
    EventLoopGroup group;
    FakeLauncher launcher;
    static final String UUID_HIERARCHY = "6f1b4c2a-1d2e-4f3a-9b8c-7d6e5f4a3b2c";
    CloudFabric fabric;
    FakeZone zone;
    ResourceManagerService arm;
    /** The lab's CMG keep-alive (not the defaults), which every instance config must carry. */
    static final ChannelTimings CMG_CHANNEL = new ChannelTimings(1_500, 700);

    @BeforeAll
    static void pki() {
        ca = LabCa.createEphemeral();
        cert = ca.issue(CertSpec.server("GraniteFalls.contoso.com", List.of("GraniteFalls.contoso.com"), List.of()));
        signer = JwtSigner.generate("k1");
    }

    @BeforeEach
    void start() {
        group = EventLoops.newGroup(2, "arm-test");
        launcher = new FakeLauncher(group);
        AzureSimConfig cfg = new AzureSimConfig("public", TENANT, SUB, new Endpoint("127.88.2.1", 0),
                new Endpoint("127.88.2.1", 0), new Endpoint("127.88.2.1", 0), null, List.of(), List.of(), VIP,
                "127.88.2.", OFFSET, "none.jar", List.of(), dir.resolve("state").toString(),
                dir.resolve("logs").toString(), "127.88.5.10", null, List.of(), CMG_CHANNEL);
        fabric = new CloudFabric(cfg, group, launcher, "127.88.5.10")
                .timings(Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofMillis(200))
                .tokenAuth(new org.cmglab.proto.config.TokenAuthConfig(UUID_HIERARCHY, "sms-token-signing.crt.pem", null,
                        TENANT, "https://sts.windows.net/" + TENANT + "/", "https://ConfigMgrService", "server", "client",
                        null, signer.publicJwkSetJson(), null, List.of(), 0));
        zone = new FakeZone();
        JwtVerifier verifier = JwtVerifier.forKeys(signer.publicJwkSet(), ResourceManagerService.issuer(TENANT),
                ResourceManagerService.AUDIENCE);
        arm = new ResourceManagerService(AzureEnvironment.PUBLIC, SUB, TENANT, verifier, zone, fabric);
    }

    @AfterEach
    void stop() {
        arm.close();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    static String token(String iss, String aud, long expSeconds) {
        return signer.sign(new JWTClaimsSet.Builder().issuer(iss).audience(aud).subject("scp")
                .expirationTime(new Date(System.currentTimeMillis() + expSeconds * 1000)).build());
    }

    static String goodToken() {
        return token(ResourceManagerService.issuer(TENANT), ResourceManagerService.AUDIENCE, 3600);
    }

    record Res(int status, JsonNode body, Map<String, String> headers) {
        String code() {
            return body.at("/error/code").asText();
        }
    }

    Res call(HttpMethod m, String uri, Object body, String token) {
        byte[] b = body == null ? new byte[0] : (body instanceof String s ? s : Json.writeCompact(body))
                .getBytes(StandardCharsets.UTF_8);
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, m, uri, Unpooled.wrappedBuffer(b));
        req.headers().set("Host", "management.azure.com");
        if (token != null) {
            req.headers().set("Authorization", "Bearer " + token);
        }
        QueryStringDecoder q = new QueryStringDecoder(uri);
        FullHttpResponse r;
        try {
            r = arm.handle(req, new RequestInfo("management.azure.com", q.path(), q.parameters(),
                    new InetSocketAddress("127.0.0.1", 5555)));
        } finally {
            req.release();
        }
        try {
            String text = r.content().toString(StandardCharsets.UTF_8);
            Map<String, String> h = new LinkedHashMap<>();
            r.headers().forEach(e -> h.put(e.getKey(), e.getValue()));
            return new Res(r.status().code(), text.isEmpty() ? Json.MAPPER.createObjectNode()
                    : Json.MAPPER.readTree(text), h);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        } finally {
            r.release();
        }
    }

    Res call(HttpMethod m, String uri, Object body) {
        return call(m, uri, body, goodToken());
    }

    static Map<String, Object> spec(String location, int capacity, IssuedCert c, String serviceName) {
        Map<String, Object> cmg = new LinkedHashMap<>();
        cmg.put("serviceName", serviceName);
        cmg.put("siteCode", "P01");
        cmg.put("certificatePem", Pem.toPem(c.certificate()));
        cmg.put("privateKeyPem", Pem.toPem(c.privateKey()));
        cmg.put("trustedRootsPem", List.of(Pem.toPem(ca.root())));
        cmg.put("connectorRootsPem", List.of(Pem.toPem(ca.root())));
        cmg.put("publishedRoles", List.of(Map.of("roleId", "72057594037927939", "kind", "MP", "siteCode", "P01")));
        return Map.of("location", location, "sku", Map.of("name", "Standard_B2s", "capacity", capacity),
                "properties", Map.of("cmg", cmg));
    }

    static Map<String, Object> spec(int capacity) {
        return spec("westus", capacity, cert, "GraniteFalls.contoso.com");
    }

    /** Follows the Azure-AsyncOperation header until the operation ends. */
    JsonNode awaitOperation(Res r) {
        String url = r.headers().get("Azure-AsyncOperation");
        assertThat(url).startsWith("https://management.azure.com/subscriptions/" + SUB + "/providers/");
        String uri = url.substring("https://management.azure.com".length());
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
            Res op = call(HttpMethod.GET, uri, null);
            assertThat(op.status()).isEqualTo(200);
            last[0] = op.body();
            return !"InProgress".equals(op.body().get("status").asText());
        });
        return last[0];
    }

    static String readLine(String host, int port) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 2000);
            s.setSoTimeout(3000);
            InputStream in = s.getInputStream();
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) != -1 && c != '\n') {
                sb.append((char) c);
            }
            return sb.toString();
        }
    }

    // ------------------------------------------------------------------ errors

    @Test
    void authenticationErrorsUseArmCodesAndWwwAuthenticate() {
        Res missing = call(HttpMethod.GET, VMSS + "granitefalls" + API, null, null);
        assertThat(missing.status()).isEqualTo(401);
        assertThat(missing.code()).isEqualTo("AuthenticationFailed");
        assertThat(missing.headers().get("www-authenticate"))
                .startsWith("Bearer authorization_uri=\"https://login.microsoftonline.com/" + TENANT + "\"")
                .contains("error=\"invalid_token\"");

        Res expired = call(HttpMethod.GET, VMSS + "granitefalls" + API, null,
                token(ResourceManagerService.issuer(TENANT), ResourceManagerService.AUDIENCE, -3600));
        assertThat(expired.status()).isEqualTo(401);
        assertThat(expired.code()).isEqualTo("ExpiredAuthenticationToken");

        Res wrongAud = call(HttpMethod.GET, VMSS + "granitefalls" + API, null,
                token(ResourceManagerService.issuer(TENANT), "https://graph.microsoft.com/", 3600));
        assertThat(wrongAud.code()).isEqualTo("InvalidAuthenticationToken");
        Res wrongIss = call(HttpMethod.GET, VMSS + "granitefalls" + API, null,
                token("https://sts.windows.net/other/", ResourceManagerService.AUDIENCE, 3600));
        assertThat(wrongIss.code()).isEqualTo("InvalidAuthenticationToken");
        String forged = JwtSigner.generate("k1").sign(new JWTClaimsSet.Builder()
                .issuer(ResourceManagerService.issuer(TENANT)).audience(ResourceManagerService.AUDIENCE)
                .expirationTime(new Date(System.currentTimeMillis() + 60_000)).build());
        Res bad = call(HttpMethod.GET, VMSS + "granitefalls" + API, null, forged);
        assertThat(bad.status()).isEqualTo(401);
        assertThat(bad.code()).isEqualTo("InvalidAuthenticationToken");
        assertThat(bad.body().at("/error/message").asText()).contains("signature");
    }

    @Test
    void requestErrors() {
        assertThat(call(HttpMethod.GET, VMSS + "granitefalls", null).code()).isEqualTo("MissingApiVersionParameter");
        Res sub = call(HttpMethod.GET, VMSS.replace(SUB, "99999999-2222-3333-4444-555555555555") + "x" + API, null);
        assertThat(sub.status()).isEqualTo(404);
        assertThat(sub.code()).isEqualTo("SubscriptionNotFound");
        Res get = call(HttpMethod.GET, VMSS + "granitefalls" + API, null);
        assertThat(get.status()).isEqualTo(404);
        assertThat(get.code()).isEqualTo("ResourceNotFound");
        Res del = call(HttpMethod.DELETE, CLASSIC + "granitefalls" + API, null);
        assertThat(del.status()).isEqualTo(404);
        assertThat(del.code()).isEqualTo("ResourceNotFound");
        Res junk = call(HttpMethod.PUT, VMSS + "granitefalls" + API, "{not json");
        assertThat(junk.status()).isEqualTo(400);
        assertThat(junk.code()).isEqualTo("InvalidRequestContent");
    }

    @Test
    void namingAndInputRulesAreEnforcedAndNothingIsStarted() {
        Res shortName = call(HttpMethod.PUT, VMSS + "ab" + API, spec(1));
        assertThat(shortName.status()).isEqualTo(400);
        assertThat(shortName.code()).isEqualTo("InvalidResourceName");
        assertThat(shortName.body().at("/error/message").asText()).contains("3-24");
        assertThat(call(HttpMethod.PUT, VMSS + "1granite" + API, spec(1)).body().at("/error/message").asText())
                .contains("start with a letter");
        assertThat(call(HttpMethod.PUT, VMSS + "gran--ite" + API, spec(1)).body().at("/error/message").asText())
                .contains("consecutive hyphens");
        Res hyphen = call(HttpMethod.PUT, VMSS + "gran-ite" + API, spec(1));
        assertThat(hyphen.code()).isEqualTo("StorageAccountNameInvalid");
        assertThat(hyphen.body().at("/error/message").asText()).contains("lowercase letters and digits");
        Res rg = call(HttpMethod.PUT, VMSS.replace("cmg-rg", "CMG_RG") + "granitefalls" + API, spec(1));
        assertThat(rg.code()).isEqualTo("InvalidResourceGroupName");
        assertThat(rg.body().at("/error/message").asText()).contains("lowercase");
        Res tooMany = call(HttpMethod.PUT, VMSS + "granitefalls" + API, spec(17));
        assertThat(tooMany.code()).isEqualTo("InvalidParameter");
        assertThat(tooMany.body().at("/error/message").asText()).isEqualTo("capacity: 17 (expected: 1..16)");
        assertThat(call(HttpMethod.PUT, VMSS + "granitefalls" + API, spec(0)).body().at("/error/message").asText())
                .isEqualTo("capacity: 0 (expected: 1..16)");
        Res prefixMismatch = call(HttpMethod.PUT, VMSS + "otherfalls" + API, spec(1));
        assertThat(prefixMismatch.status()).isEqualTo(400);
        assertThat(prefixMismatch.body().at("/error/message").asText()).contains("first label");
        IssuedCert wrongCn = ca.issue(CertSpec.server("Other.contoso.com", List.of(), List.of()));
        Res cn = call(HttpMethod.PUT, VMSS + "granitefalls" + API,
                spec("westus", 1, wrongCn, "GraniteFalls.contoso.com"));
        assertThat(cn.code()).isEqualTo("InvalidParameter");
        assertThat(cn.body().at("/error/message").asText()).contains("CN 'Other.contoso.com'");
        Map<String, Object> mismatched = new LinkedHashMap<>(spec(1));
        @SuppressWarnings("unchecked")
        Map<String, Object> cmg = new LinkedHashMap<>((Map<String, Object>) ((Map<String, Object>) mismatched
                .get("properties")).get("cmg"));
        cmg.put("privateKeyPem", Pem.toPem(wrongCn.privateKey()));
        mismatched.put("properties", Map.of("cmg", cmg));
        Res key = call(HttpMethod.PUT, VMSS + "granitefalls" + API, mismatched);
        assertThat(key.code()).isEqualTo("InvalidParameter");
        assertThat(key.body().at("/error/message").asText()).contains("does not belong");
        assertThat(launcher.launched).isEmpty();
        assertThat(zone.records).isEmpty();
        assertThat(fabric.loadBalancer().rules()).isEmpty();
    }

    // ------------------------------------------------------------------ lifecycle

    @Test
    void scaleSetLifecycleOneThenThreeThenTwoThenDeleted() throws Exception {
        Res created = call(HttpMethod.PUT, VMSS + "GraniteFalls" + API, spec(1));
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.body().at("/properties/provisioningState").asText()).isEqualTo("Creating");
        assertThat(created.headers().get("retry-after")).isEqualTo("1");
        assertThat(awaitOperation(created).get("status").asText()).isEqualTo("Succeeded");

        Res get = call(HttpMethod.GET, VMSS + "GraniteFalls" + API, null);
        JsonNode p = get.body().get("properties");
        assertThat(get.body().get("id").asText()).isEqualTo(VMSS + "GraniteFalls");
        assertThat(get.body().get("type").asText()).isEqualTo("Microsoft.Compute/virtualMachineScaleSets");
        assertThat(p.get("provisioningState").asText()).isEqualTo("Succeeded");
        assertThat(p.get("deploymentName").asText()).isEqualTo("granitefalls.westus.cloudapp.azure.com");
        assertThat(p.at("/instances/0/roleInstance").asText()).isEqualTo("ProxyService_IN_0");
        assertThat(p.at("/instances/0/state").asText()).isEqualTo("ReadyRole");
        assertThat(p.at("/instances/0/address").asText()).isEqualTo("127.88.2.10");
        assertThat(p.at("/vip/natHttpsPorts")).isEmpty();
        assertThat(p.at("/keyVault/name").asText()).isEqualTo("granitefalls");
        assertThat(zone.records).containsEntry("granitefalls.westus.cloudapp.azure.com", "A " + VIP)
                .containsEntry("granitefalls.blob.core.windows.net", "A 127.88.5.10")
                .containsKey("granitefalls.vault.azure.net");
        assertThat(launcher.launched.get(0).channelHttps()).isNull();
        assertThat(launcher.launched.get(0).tokenAuth().entraJwks()).as("the tenant's keys go with the deployment")
                .isEqualTo(signer.publicJwkSetJson());
        assertThat(launcher.launched.get(0).tokenAuth().signingKeyFile()).isNull();
        Path cfg = dir.resolve("state/deployments/granitefalls/instance-0.json");
        assertThat(Files.readString(cfg)).contains("\"instanceIndex\" : 0");
        assertThat(launcher.launched).extracting(CmgServiceConfig::channel).containsOnly(CMG_CHANNEL);
        assertThat(Files.readString(cfg)).contains("\"pingIntervalMillis\" : 1500").contains("\"pingTimeoutMillis\" : 700");
        Path key = Path.of(launcher.launched.get(0).serverTls().keyFile());
        assertThat(Files.getPosixFilePermissions(key)).containsExactlyInAnyOrder(
                java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        assertThat(readLine(VIP, 443 + OFFSET)).isEqualTo("instance-0");

        Res st = call(HttpMethod.GET, "/subscriptions/" + SUB + "/resourceGroups/cmg-rg/providers/"
                + "Microsoft.Storage/storageAccounts/granitefalls" + API, null);
        assertThat(st.status()).isEqualTo(200);
        assertThat(st.body().at("/properties/primaryEndpoints/blob").asText())
                .isEqualTo("https://granitefalls.blob.core.windows.net/");

        // another deployment method with the same name is a conflict
        Res conflict = call(HttpMethod.PUT, CLASSIC + "granitefalls" + API, spec(1));
        assertThat(conflict.status()).isEqualTo(409);
        assertThat(conflict.code()).isEqualTo("Conflict");

        Res out = call(HttpMethod.PATCH, VMSS + "GraniteFalls" + API, Map.of("sku", Map.of("capacity", 3)));
        assertThat(out.status()).isEqualTo(202);
        assertThat(out.body().at("/properties/provisioningState").asText()).isEqualTo("Updating");
        assertThat(awaitOperation(out).get("status").asText()).isEqualTo("Succeeded");
        p = call(HttpMethod.GET, VMSS + "GraniteFalls" + API, null).body().get("properties");
        assertThat(p.get("instances")).hasSize(3);
        assertThat(p.at("/vip/natHttpsPorts").toString()).isEqualTo("[40124,40125,40126]");
        // NAT rule i reaches instance i's channel port; the channel moved off the front door on instance 0
        assertThat(readLine(VIP, 10124 + 2 + OFFSET)).isEqualTo("instance-2");
        assertThat(readLine(VIP, 10124 + OFFSET)).isEqualTo("instance-0");
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            seen.add(readLine(VIP, 443 + OFFSET));
        }
        assertThat(seen).contains("instance-0", "instance-1", "instance-2");

        Res in = call(HttpMethod.PATCH, VMSS + "GraniteFalls" + API, Map.of("sku", Map.of("capacity", 2)));
        assertThat(awaitOperation(in).get("status").asText()).isEqualTo("Succeeded");
        p = call(HttpMethod.GET, VMSS + "GraniteFalls" + API, null).body().get("properties");
        assertThat(p.get("instances")).hasSize(2);
        assertThat(fabric.loadBalancer().rule("granitefalls/nat-https-2")).isNull();
        assertThat(launcher.current.get(2).isAlive()).isFalse();

        Res del = call(HttpMethod.DELETE, VMSS + "GraniteFalls" + API, null);
        assertThat(del.status()).isEqualTo(202);
        assertThat(del.headers().get("location")).contains("/operationResults/");
        awaitOperation(del);
        Res gone = call(HttpMethod.GET, VMSS + "GraniteFalls" + API, null);
        assertThat(gone.status()).isEqualTo(404);
        assertThat(gone.code()).isEqualTo("ResourceNotFound");
        assertThat(zone.records).isEmpty();
        assertThat(fabric.loadBalancer().rules()).isEmpty();
        assertThat(launcher.current.values()).noneMatch(FakeLauncher.FakeInstance::isAlive);
    }

    @Test
    void classicWithTwoInstancesHasTcpTlsNatRulesThatRefuseCleanly() throws Exception {
        Res created = call(HttpMethod.PUT, CLASSIC + "granitefalls" + API, spec(2));
        assertThat(created.status()).isEqualTo(201);
        assertThat(awaitOperation(created).get("status").asText()).isEqualTo("Succeeded");
        JsonNode p = call(HttpMethod.GET, CLASSIC + "granitefalls" + API, null).body().get("properties");
        assertThat(p.get("deploymentName").asText()).isEqualTo("granitefalls.cloudapp.net");
        assertThat(p.at("/vip/natTcpTlsPorts").toString()).isEqualTo("[40140,40141]");
        assertThat(p.has("keyVault")).isFalse();
        assertThat(zone.records).containsEntry("granitefalls.cloudapp.net", "A " + VIP)
                .doesNotContainKey("granitefalls.vault.azure.net");
        assertThat(readLine(VIP, 10125 + OFFSET)).isEqualTo("instance-1");
        // nobody listens on the instance's TCP-TLS port yet: the NAT rule accepts and closes
        assertThat(readLine(VIP, 10141 + OFFSET)).isEmpty();
        assertThat(fabric.loadBalancer().rule("granitefalls/nat-tcptls-1").status().get("backendConnectFailures"))
                .isEqualTo(1L);
        Res vault = call(HttpMethod.GET, "/subscriptions/" + SUB + "/resourceGroups/cmg-rg/providers/"
                + "Microsoft.KeyVault/vaults/granitefalls" + API, null);
        assertThat(vault.status()).isEqualTo(404);
    }

    @Test
    void failedDeploymentLeavesNothingBehind() {
        launcher.neverReady = true;
        Res created = call(HttpMethod.PUT, VMSS + "granitefalls" + API, spec(2));
        assertThat(created.status()).isEqualTo(201);
        JsonNode op = awaitOperation(created);
        assertThat(op.get("status").asText()).isEqualTo("Failed");
        assertThat(op.at("/error/code").asText()).isEqualTo("VMStartTimedOut");
        assertThat(op.at("/error/message").asText()).contains("ProxyService_IN_0").contains("503");
        JsonNode p = call(HttpMethod.GET, VMSS + "granitefalls" + API, null).body().get("properties");
        assertThat(p.get("provisioningState").asText()).isEqualTo("Failed");
        assertThat(p.get("instances")).isEmpty();
        assertThat(launcher.current.values()).hasSize(2).noneMatch(FakeLauncher.FakeInstance::isAlive);
        assertThat(fabric.loadBalancer().rules()).isEmpty();
        assertThat(zone.records).isEmpty();
    }

    @Test
    void crashedInstanceIsReportedAndTakenOutOfRotation() throws Exception {
        Res created = call(HttpMethod.PUT, VMSS + "granitefalls" + API, spec(2));
        assertThat(awaitOperation(created).get("status").asText()).isEqualTo("Succeeded");
        launcher.current.get(1).crash(7);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            JsonNode p = call(HttpMethod.GET, VMSS + "granitefalls" + API, null).body().get("properties");
            assertThat(p.get("provisioningState").asText()).isEqualTo("Succeeded");
            assertThat(p.at("/instances/1/state").asText()).isEqualTo("Crashed");
            assertThat(p.at("/instances/1/exitCode").asInt()).isEqualTo(7);
            assertThat(p.at("/instanceView/statuses/Crashed").asInt()).isEqualTo(1);
        });
        for (int i = 0; i < 4; i++) {
            assertThat(readLine(VIP, 443 + OFFSET)).isEqualTo("instance-0");
        }
    }

    @Test
    void certificateUpdateRestartsEveryInstanceWithTheNewCertificate() {
        Res created = call(HttpMethod.PUT, VMSS + "granitefalls" + API, spec(2));
        assertThat(awaitOperation(created).get("status").asText()).isEqualTo("Succeeded");
        IssuedCert renewed = ca.issue(CertSpec.server("GraniteFalls.contoso.com", List.of(), List.of()));
        Res upd = call(HttpMethod.PATCH, VMSS + "granitefalls" + API, Map.of("properties", Map.of("cmg", Map.of(
                "certificatePem", Pem.toPem(renewed.certificate()), "privateKeyPem", Pem.toPem(renewed.privateKey())))));
        assertThat(upd.status()).isEqualTo(202);
        assertThat(awaitOperation(upd).get("status").asText()).isEqualTo("Succeeded");
        assertThat(launcher.launched).hasSize(4);
        assertThat(launcher.launched.get(3).serverTls().certFile()).endsWith("server-2.crt.pem");
        JsonNode p = call(HttpMethod.GET, VMSS + "granitefalls" + API, null).body().get("properties");
        assertThat(p.at("/instances/0/restarts").asInt()).isEqualTo(1);
        assertThat(p.at("/instances/1/state").asText()).isEqualTo("ReadyRole");
    }

    /** A DnsZone that records what was put. */
    static final class FakeZone implements DnsZone {
        final Map<String, String> records = new ConcurrentHashMap<>();

        @Override
        public void putA(String name, String address) {
            records.put(name.toLowerCase(), "A " + address);
        }

        @Override
        public void putCname(String name, String target) {
            records.put(name.toLowerCase(), "CNAME " + target);
        }

        @Override
        public boolean remove(String name) {
            return records.remove(name.toLowerCase()) != null;
        }

        @Override
        public List<String> describe() {
            return records.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).toList();
        }
    }
}
