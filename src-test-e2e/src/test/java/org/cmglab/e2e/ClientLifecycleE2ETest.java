package org.cmglab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.cmglab.lab.ClientRun;
import org.cmglab.lab.LabPlan;
import org.cmglab.lab.LabProcesses;
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
 * The client lifecycle (issue 5, PKI mode) end to end, every component its own process: {@code client-sim lifecycle
 * --auth pki} registers, gets policy (the secret one decrypted), asks for locations and the SUP — through DNS, the
 * CMG ({@code CCM_Proxy_MutualAuth}, mutual TLS) and the connection point to the MP; then the same directly to the
 * MP. Asserted on the client's RESULT, the MP's status counters, the flow events of the trace and the CMTrace logs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClientLifecycleE2ETest {
    static final String SUP_ROLE_ID = "72057594037927941";

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

    static JsonNode mpMessaging() throws Exception {
        return Json.MAPPER.readTree(lab.adminGet(plan.siteSimAdmin(), "/status")).path("messaging");
    }

    @Test
    @Order(1)
    void pkiLifecycleThroughTheCmg() throws Exception {
        String trace = TraceContext.newTraceId();
        ClientRun run = lab.runClientCommand(plan.configFile(LabPlan.CLIENT_SIM), "lifecycle", trace,
                List.of("--auth", "pki"));
        assertThat(run.exitCode()).as("client-sim output:\n%s", run.output()).isZero();
        JsonNode r = run.result();
        assertThat(r.path("route").asText()).isEqualTo("cmg");
        assertThat(r.path("steps")).extracting(JsonNode::asText)
                .containsExactly("register", "policy", "location", "sup");
        assertThat(r.path("supGetConfig").asText()).isEqualTo("ok");
        assertThat(r.path("smsId").asText()).matches("GUID:[0-9A-F-]{36}");
        assertThat(r.path("approved").asBoolean()).isTrue();
        assertThat(r.path("policies")).hasSize(3).allSatisfy(p -> {
            assertThat(p.path("status").asInt()).isEqualTo(200);
            assertThat(p.path("hashOk").asBoolean()).isTrue();
        });
        assertThat(r.path("policies")).filteredOn(p -> p.path("secret").asBoolean()).singleElement()
                .satisfies(p -> assertThat(p.path("decrypted").asBoolean()).isTrue());
        assertThat(r.path("secretPolicyAccount").asText()).isEqualTo("CORP\\svc-cmglab-naa");
        String cmg = LabPlan.SERVICE_NAME + (plan.port(443) == 443 ? "" : ":" + plan.port(443));
        assertThat(r.path("internetMp").asText()).isEqualTo(cmg + "/CCM_Proxy_MutualAuth/" + LabPlan.MP_ROLE_ID);
        assertThat(r.path("siteCode").asText()).isEqualTo(LabPlan.SITE_CODE);
        assertThat(r.path("wsusUrl").asText()).isEqualTo("https://" + cmg + "/CCM_Proxy_MutualAuth/" + SUP_ROLE_ID);

        // the MP saw each message
        JsonNode m = mpMessaging();
        assertThat(m.path("registeredClients").asInt()).isEqualTo(1);
        assertThat(m.path("messages").path("MP_ClientRegistration").asLong()).isEqualTo(1);
        assertThat(m.path("messages").path("MP_PolicyManager").asLong()).isEqualTo(1);
        assertThat(m.path("messages").path("MP_LocationManager").asLong()).isEqualTo(3);
        assertThat(m.path("messages").path(".sms_pol").asLong()).isEqualTo(3);

        // every request went client → CMG → connection point → MP under the client's trace
        List<FlowEvent> events = lab.collectEvents(trace).events();
        List<FlowEvent> atMp = events.stream().filter(e -> e.step().equals("F5") && e.phase().equals("request")
                && e.component().equals("site-sim")).toList();
        assertThat(atMp).extracting(FlowEvent::detail)
                .filteredOn(d -> d.startsWith("CCM_POST /ccm_system/request")).hasSize(5);
        assertThat(atMp).extracting(FlowEvent::detail)
                .filteredOn(d -> d.startsWith("GET /SMS_MP/.sms_pol?")).hasSize(3);
        assertThat(atMp).allSatisfy(e -> assertThat(e.status()).isEqualTo(200));
        assertThat(events).filteredOn(e -> e.step().equals("F3") && e.phase().equals("request")
                && e.component().startsWith("cmg-service")).hasSize(9)
                .allSatisfy(e -> assertThat(e.auth()).isEqualTo("PKI client certificate"));
        assertThat(events).filteredOn(e -> e.component().equals("client-sim")).hasSize(9)
                .allSatisfy(e -> assertThat(e.outcome()).isEqualTo("ok"));

        // both sides wrote their CMTrace logs
        assertThat(log("MP_RegistrationManager.log")).contains(r.path("smsId").asText()).contains("<![LOG[");
        assertThat(log("MP_Policy.log")).contains("secret policy").contains("3DES-CBC");
        assertThat(log("MP_Location.log")).contains("WSUSLocationRequest");
        assertThat(log("LocationServices.log")).contains("WSUS Path='https://" + cmg);
        assertThat(log("ClientLocation.log")).contains("/CCM_Proxy_MutualAuth/" + LabPlan.MP_ROLE_ID);
        assertThat(log("CcmMessaging.log")).contains("MP_ClientRegistration");
        assertThat(log("ClientIDManagerStartup.log")).contains("Server assigned ClientID is " + r.path("smsId").asText());
        assertThat(log("PolicyAgent.log")).contains("decrypted");
    }

    @Test
    @Order(2)
    void pkiLifecycleDirectToTheMp() throws Exception {
        String trace = TraceContext.newTraceId();
        ClientRun run = lab.runClientCommand(plan.configFile(LabPlan.CLIENT_SIM), "lifecycle", trace,
                List.of("--auth", "pki", "--direct"));
        assertThat(run.exitCode()).as("client-sim output:\n%s", run.output()).isZero();
        JsonNode r = run.result();
        assertThat(r.path("route").asText()).isEqualTo("direct");
        assertThat(r.path("secretPolicyAccount").asText()).endsWith("\\svc-cmglab-naa");
        assertThat(r.path("wsusUrl").asText()).isEqualTo("https://sup01.corp.contoso.com:8531");
        JsonNode m = mpMessaging();
        assertThat(m.path("messages").path("MP_ClientRegistration").asLong()).isEqualTo(2);
        assertThat(m.path("registeredClients").asInt()).isEqualTo(2);
        assertThat(lab.collectEvents(trace).events()).filteredOn(e -> e.component().startsWith("cmg-service")).isEmpty();
    }

    /** What the MP counted so far for {@code key} under {@code messages}. */
    static long mpCount(JsonNode messaging, String key) {
        return messaging.path("messages").path(key).asLong(0);
    }

    /**
     * {@code lifecycle --auth entra|token} through the CMG with its own client state folder: the full lifecycle on
     * {@code CCM_Proxy_ServerAuth} / {@code ccm_system_tokenauth} with a CCM token, the SUP's GetConfig at the
     * ServerAuth WSUS URL; asserted on the RESULT, the MP's counters and the CMG's and MP's flow events.
     */
    JsonNode tokenLifecycle(String mode, String expectedCmgAuth, boolean bulkRegistration, int stsCalls,
                            List<String> extra) throws Exception {
        int registrations = 1;
        JsonNode before = mpMessaging();
        String trace = TraceContext.newTraceId();
        List<String> args = new java.util.ArrayList<>(List.of("--auth", mode, "--state",
                tmp.resolve("client-" + mode).toString()));
        args.addAll(extra);
        ClientRun run = lab.runClientCommand(plan.configFile(LabPlan.CLIENT_SIM), "lifecycle", trace, args);
        assertThat(run.exitCode()).as("client-sim output:\n%s", run.output()).isZero();
        JsonNode r = run.result();
        assertThat(r.path("auth").asText()).isEqualTo(mode);
        assertThat(r.path("route").asText()).isEqualTo("cmg");
        assertThat(r.path("steps")).extracting(JsonNode::asText).containsExactly("register", "policy", "location", "sup");
        assertThat(r.path("approved").asBoolean()).isTrue();
        assertThat(r.path("policies")).filteredOn(p -> p.path("secret").asBoolean()).singleElement()
                .satisfies(p -> assertThat(p.path("decrypted").asBoolean()).isTrue());
        assertThat(r.path("secretPolicyAccount").asText()).isEqualTo("CORP\\svc-cmglab-naa");
        String cmg = LabPlan.SERVICE_NAME + (plan.port(443) == 443 ? "" : ":" + plan.port(443));
        assertThat(r.path("wsusUrl").asText()).isEqualTo("https://" + cmg + "/CCM_Proxy_ServerAuth/" + SUP_ROLE_ID);
        assertThat(r.path("supGetConfig").asText()).isEqualTo("ok");
        String smsId = r.path("smsId").asText();
        assertThat(Files.readString(tmp.resolve("client-" + mode).resolve("smsid")).strip()).isEqualTo(smsId);

        JsonNode after = mpMessaging();
        assertThat(mpCount(after, "MP_ClientRegistration") - mpCount(before, "MP_ClientRegistration"))
                .isEqualTo(registrations);
        assertThat(mpCount(after, "MP_PolicyManager") - mpCount(before, "MP_PolicyManager")).isEqualTo(1);
        assertThat(mpCount(after, "MP_LocationManager") - mpCount(before, "MP_LocationManager")).isEqualTo(3);
        assertThat(mpCount(after, ".sms_pol") - mpCount(before, ".sms_pol")).isEqualTo(3);

        List<FlowEvent> events = lab.collectEvents(trace).events();
        List<FlowEvent> atMp = events.stream().filter(e -> e.step().equals("F5") && e.phase().equals("request")
                && e.component().equals("site-sim")).toList();
        assertThat(atMp).extracting(FlowEvent::detail)
                .filteredOn(d -> d.startsWith("CCM_POST /ccm_system_tokenauth/request")).hasSize(4 + registrations);
        assertThat(atMp).extracting(FlowEvent::detail).filteredOn(d -> d.startsWith("POST /CCM_STS"))
                .hasSize(stsCalls);
        assertThat(atMp).extracting(FlowEvent::detail).filteredOn(d -> d.startsWith("CCM_POST /ccm_system/request"))
                .isEmpty();
        // the CMG checked a CCM token on the lifecycle's 5 messages (4 when the bulk token registered), 3 policy
        // bodies and the SUP call
        List<FlowEvent> atCmg = events.stream().filter(e -> e.step().equals("F3") && e.phase().equals("request")
                && e.component().startsWith("cmg-service")).toList();
        assertThat(atCmg).filteredOn(e -> e.auth() != null && e.auth().startsWith(expectedCmgAuth))
                .hasSize((bulkRegistration ? 4 : 5) + 3 + 1);
        assertThat(atCmg).filteredOn(e -> e.auth() != null && e.auth().startsWith("bulk registration token"))
                .hasSize(bulkRegistration ? 1 : 0);
        assertThat(atCmg).filteredOn(e -> e.detail() != null && (e.detail().contains("/ccm_system_tokenauth/")
                || e.detail().contains(".sms_pol") || e.detail().contains("client.asmx")))
                .hasSize(4 + registrations + 3 + 1)
                .allSatisfy(e -> assertThat(e.auth()).satisfiesAnyOf(a -> assertThat(a).startsWith(expectedCmgAuth),
                        a -> assertThat(a).startsWith("bulk registration token")));
        assertThat(atCmg).noneSatisfy(e -> assertThat(e.detail()).contains("CCM_Proxy_MutualAuth"));
        assertThat(log("MP_RegistrationManager.log")).contains("issued a client token to " + smsId);
        assertThat(log("LocationServices.log")).contains("WSUS Path='https://" + cmg + "/CCM_Proxy_ServerAuth/");
        return r;
    }

    @Test
    @Order(3)
    void entraLifecycleThroughTheCmg() throws Exception {
        tokenLifecycle("entra", "CCM token (UDA)", false, 1, List.of());
        assertThat(log("CCM_STS.log")).contains("Validated AAD token. TokenType: UDA");
    }

    @Test
    @Order(4)
    void bulkTokenLifecycleThroughTheCmg() throws Exception {
        IssuedCert signing = IssuedCert.readPem(Path.of(plan.tokenSigningTls().certFile()),
                Path.of(plan.tokenSigningTls().keyFile()));
        String bulk = SiteTokenService.forSigning(signing, LabPlan.HIERARCHY_ID, java.time.Clock.systemUTC(),
                SiteTokenService.DEFAULT_SKEW).issueBulk(Duration.ofMinutes(60)).token();
        // the register step presents the bulk token (MP_ClientRegistration → ClientToken), CCM_STS turns the client
        // token into a Device CCM token, which every later request carries
        JsonNode r = tokenLifecycle("token", "CCM token (Device)", true, 1, List.of("--bulk-token", bulk));
        assertThat(Files.readString(tmp.resolve("client-token").resolve("client-token.jwt"))).isNotBlank();
        assertThat(log("CCM_STS.log")).contains("Validated client token. TokenType: Device DeviceId "
                + r.path("smsId").asText());
        // a second run needs no bulk token: the cached CCM token serves it (registration with the CCM token)
        tokenLifecycle("token", "CCM token (Device)", false, 0, List.of());
    }

    static String log(String name) throws IOException {
        return Files.readString(plan.logDir().resolve(name), StandardCharsets.UTF_8);
    }
}
