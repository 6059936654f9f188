package org.cmglab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cmglab.lab.ComponentProcess;
import org.cmglab.lab.LabPlan;
import org.cmglab.lab.LabProcesses;
import org.cmglab.proto.config.ClientSimConfig;
import org.cmglab.proto.config.ClientTokenConfig;
import org.cmglab.proto.flow.FlowEvent;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.runtime.Json;
import org.cmglab.proto.token.SiteTokenService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token authentication end to end, every component its own JVM: client-sim obtains a CCM token through the CMG with
 * an Entra device token ({@code --auth entra}: AADAuthInfo at the CMG, azure-sim's device grant, CCM_STS on the MP)
 * and with a bulk registration token from {@code site-sim bulk-token} ({@code --auth token}: ServiceMetadata at the
 * CMG, registration, CCM_STS with the client token and signed CCMClient* headers); an expired bulk token is refused
 * by the CMG with {@code 401 CMGService_Invalid_Token}, a blocked one by the site.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TokenAuthE2ETest {
    @TempDir
    static Path tmp;
    static LabPlan plan;
    static LabProcesses lab;
    static E2eLab e2e;

    @BeforeAll
    static void startLab() throws Exception {
        e2e = E2eLab.startAll(tmp.resolve("state"));
        plan = e2e.plan;
        lab = e2e.lab;
    }

    /** Stops every process; fails if one is still alive or a log reports a Netty LEAK ({@link E2eLab#close()}). */
    @AfterAll
    static void stopLab() throws IOException {
        if (e2e != null) {
            e2e.close();
        }
    }

    /** One client-sim or site-sim run: exit code, RESULT json, output. */
    record Run(int exit, JsonNode result, String output) {
        int status() {
            return result == null ? 0 : result.path("status").asInt();
        }

        String text(String f) {
            return result == null ? null : result.path(f).asText(null);
        }
    }

    static Run run(String module, List<String> args) throws Exception {
        Path jar = plan.jar(module);
        Process p = new ProcessBuilder(ComponentProcess.javaCommand(jar, e2e.lab.jvmOptions(jar), args))
                .redirectErrorStream(true).start();
        byte[][] out = new byte[1][];
        Thread reader = new Thread(() -> {
            try {
                out[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                out[0] = new byte[0];
            }
        });
        reader.start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        reader.join(5_000);
        String text = out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8);
        JsonNode result = null;
        for (String line : text.split("\\R")) {
            if (line.startsWith("RESULT ")) {
                result = Json.MAPPER.readTree(line.substring(7));
            }
        }
        return new Run(p.exitValue(), result, text);
    }

    static Run token(Path config, String trace, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--config", config.toString(), "token", "--trace", trace));
        args.addAll(List.of(extra));
        return run(LabPlan.CLIENT_SIM, args);
    }

    /** A client config with its own state folder (a new device without a client token). */
    static Path freshClient(String name) throws IOException {
        ClientSimConfig base = plan.clientSimConfig();
        ClientTokenConfig t = base.tokens();
        ClientSimConfig c = new ClientSimConfig(base.name(), base.sourceAddress(), base.cmgServiceName(), base.cmgPort(),
                base.mpRoleId(), base.clientTls(), base.trustRoots(), base.hosts(), base.logDir(), base.dnsServer(),
                new ClientTokenConfig(tmp.resolve(name).toString(), t.entraTenantId(), t.entraAuthority(), t.deviceTls(),
                        t.siteAdmin()));
        Path f = tmp.resolve(name + ".json");
        Json.writeFile(f, c);
        return f;
    }

    static String stsLog() throws IOException {
        Path f = plan.logDir().resolve("CCM_STS.log");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    @Test
    @Order(1)
    void entraDeviceTokenIsExchangedForACcmTokenThroughTheCmg() throws Exception {
        String trace = TraceContext.newTraceId();
        Run r = token(plan.configFile(LabPlan.CLIENT_SIM), trace, "--auth", "entra");
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.text("tokenType")).isEqualTo("UDA");
        assertThat(r.text("step")).isEqualTo("CCM_STS");
        assertThat(r.result().path("expiresIn").asLong()).isEqualTo(28_800);
        assertThat(stsLog()).contains("Validated AAD token. TokenType: UDA TenantId " + LabPlan.TENANT_ID)
                .contains("Created SCCM token, token type: UDA, hierarchyId " + LabPlan.HIERARCHY_ID).contains("Issued token");
        List<FlowEvent> events = lab.collectEvents(trace).events();
        assertThat(events).anySatisfy(e -> {
            assertThat(e.step()).isEqualTo("F3");
            assertThat(e.component()).startsWith("cmg-service");
            assertThat(e.auth()).startsWith("Entra device token");
            assertThat(e.detail()).contains("/CCM_Proxy_ServerAuth/" + LabPlan.MP_ROLE_ID + "/CCM_STS");
        });
        assertThat(events).anySatisfy(e -> assertThat(e.step() + " " + e.component()).startsWith("F5 site-sim"));

        Run again = token(plan.configFile(LabPlan.CLIENT_SIM), TraceContext.newTraceId(), "--auth", "entra");
        assertThat(again.exit()).as(again.output()).isZero();
        assertThat(again.text("step")).as("the cached CCM token is reused until near expiry").isEqualTo("cache");
        assertThat(again.result().path("renewed").asBoolean()).isFalse();
    }

    @Test
    @Order(2)
    void bulkTokenRegistersAndTheClientTokenGetsACcmTokenThroughTheCmg() throws Exception {
        Run bulk = run(LabPlan.SITE_SIM, List.of("bulk-token", "--config", plan.configFile(LabPlan.SITE_SIM).toString(),
                "--lifetime", "60"));
        assertThat(bulk.exit()).as(bulk.output()).isZero();
        String uniqueId = bulk.text("uniqueId");
        assertThat(bulk.output()).contains("Token UniqueId: " + uniqueId);
        Path tokenFile = tmp.resolve("bulk.jwt");
        Files.writeString(tokenFile, bulk.text("token"));

        Path client = freshClient("client-token");
        Run r = token(client, TraceContext.newTraceId(), "--auth", "token", "--bulk-token-file", tokenFile.toString());
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.text("tokenType")).isEqualTo("Device");
        assertThat(Files.readString(tmp.resolve("client-token").resolve("client-token.jwt"))).isNotBlank();
        // registered on MP_ClientRegistration through the CMG: the MP assigned the SMSID and issued the client token
        String smsId = Files.readString(tmp.resolve("client-token").resolve("smsid")).strip();
        assertThat(r.text("smsId")).isEqualTo(smsId);
        assertThat(Files.readString(plan.logDir().resolve("MP_RegistrationManager.log")))
                .contains("issued a client token to " + smsId);
        assertThat(stsLog()).contains("Created SCCM token, token type: Device");

        // a renewal uses the stored client token (no bulk token needed any more)
        Run renew = token(client, TraceContext.newTraceId(), "--auth", "token", "--renew");
        assertThat(renew.exit()).as(renew.output()).isZero();
        assertThat(renew.text("step")).isEqualTo("CCM_STS");
    }

    @Test
    @Order(3)
    void expiredBulkTokenIsRefusedByTheCmg() throws Exception {
        IssuedCert signing = IssuedCert.readPem(Path.of(plan.tokenSigningTls().certFile()),
                Path.of(plan.tokenSigningTls().keyFile()));
        SiteTokenService yesterday = SiteTokenService.forSigning(signing, LabPlan.HIERARCHY_ID,
                Clock.offset(Clock.systemUTC(), Duration.ofDays(-1)), SiteTokenService.DEFAULT_SKEW);
        String trace = TraceContext.newTraceId();
        Run r = token(freshClient("expired"), trace, "--auth", "token", "--bulk-token",
                yesterday.issueBulk(Duration.ofMinutes(60)).token());
        assertThat(r.exit()).as(r.output()).isEqualTo(1);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.text("reason")).isEqualTo("CMGService_Invalid_Token");
        assertThat(r.text("step")).isEqualTo("ServiceMetadata");
        assertThat(r.text("error")).contains("IDX10223: Lifetime validation failed. The token is expired.");
        assertThat(lab.collectEvents(trace).events()).anySatisfy(e -> {
            assertThat(e.component()).startsWith("cmg-service");
            assertThat(e.status()).isEqualTo(401);
        });
    }

    @Test
    @Order(4)
    void blockedBulkTokenIsRefusedByTheSite() throws Exception {
        Run bulk = run(LabPlan.SITE_SIM, List.of("bulk-token", "--config", plan.configFile(LabPlan.SITE_SIM).toString()));
        assertThat(bulk.exit()).as(bulk.output()).isZero();
        HttpResponse<String> block = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build().send(
                org.cmglab.proto.runtime.AdminToken.authorize(HttpRequest.newBuilder(URI.create("http://"
                        + plan.siteSimAdmin().address() + ":" + plan.siteSimAdmin().port() + "/block-bulk-token?uniqueId="
                        + bulk.text("uniqueId"))), org.cmglab.proto.runtime.AdminToken.read(plan.pkiDir()))
                        .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(block.statusCode()).as(block.body()).isEqualTo(200);
        Run r = token(freshClient("blocked"), TraceContext.newTraceId(), "--auth", "token", "--bulk-token",
                bulk.text("token"));
        assertThat(r.exit()).as(r.output()).isEqualTo(1);
        assertThat(r.text("step")).isEqualTo("registration");
        assertThat(r.status()).as("the MP refuses a blocked bulk token on MP_ClientRegistration").isEqualTo(403);
        assertThat(Files.readString(plan.logDir().resolve("MP_RegistrationManager.log")))
                .contains("PreAuth token validation failed").contains(bulk.text("uniqueId") + " is blocked");
    }

    /**
     * {@code client-sim load --auth token}: each simulated client gets its own CCM token (its own Entra device
     * certificate from the lab CA → azure-sim's device grant → CCM_STS through the CMG) and sends the mix through the
     * CMG on {@code CCM_Proxy_ServerAuth} with it; the MP checks every message's SourceID against its token.
     */
    @Test
    @Order(5)
    void loadModeTokenClientsEachGetTheirOwnCcmTokenAndSendTheMixWithIt() throws Exception {
        Run r = run(LabPlan.CLIENT_SIM, List.of("--config", plan.configFile(LabPlan.CLIENT_SIM).toString(), "load",
                "--count", "4", "--auth", "token", "--requests", "40", "--duration", "60s", "--no-progress",
                "--ca-dir", plan.pkiDir().toString(), "--pool-dir", tmp.resolve("load-pool").toString()));
        assertThat(r.exit()).as(r.output()).isZero();
        JsonNode res = r.result();
        assertThat(res.path("token").path("ok").asLong()).as(r.output()).isEqualTo(4);
        assertThat(res.path("total").path("ok").asLong()).isEqualTo(40);
        assertThat(res.path("total").path("errors").asLong()).isZero();
        assertThat(res.path("kinds").path("location").path("ok").asLong()).isPositive();
        assertThat(res.path("kinds").path("policy").path("ok").asLong()).isPositive();
        String sts = stsLog();
        for (int i = 0; i < 4; i++) {
            String smsId = "GUID:" + java.util.UUID.nameUUIDFromBytes(("cmglab-load-client-" + i)
                    .getBytes(StandardCharsets.UTF_8)).toString().toUpperCase(java.util.Locale.ROOT);
            assertThat(sts.toUpperCase(java.util.Locale.ROOT)).as("CCM_STS issued a UDA token for load client " + i)
                    .contains(("token type: UDA, hierarchyId " + LabPlan.HIERARCHY_ID + ", deviceId " + smsId)
                            .toUpperCase(java.util.Locale.ROOT));
        }
        // a second run reuses the cached tokens: no new CCM_STS exchange
        Run again = run(LabPlan.CLIENT_SIM, List.of("--config", plan.configFile(LabPlan.CLIENT_SIM).toString(), "load",
                "--count", "4", "--auth", "token", "--requests", "8", "--duration", "60s", "--no-progress",
                "--ca-dir", plan.pkiDir().toString(), "--pool-dir", tmp.resolve("load-pool").toString()));
        assertThat(again.exit()).as(again.output()).isZero();
        assertThat(again.result().path("token").path("cached").asLong()).isEqualTo(4);
        assertThat(again.result().path("token").path("ok").asLong()).isZero();
    }
}
