package org.cmglab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.cmglab.lab.ComponentProcess;
import org.cmglab.lab.ClientRun;
import org.cmglab.lab.HopTrace;
import org.cmglab.lab.LabPlan;
import org.cmglab.lab.LabProcesses;
import org.cmglab.proto.config.ClientSimConfig;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.flow.FlowEvent;
import org.cmglab.proto.flow.TraceContext;
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
 * The basic flow end to end: Azurite, site-sim, cmg-service-0 and cmg-connection-point each run as their own JVM
 * (from their built jars) on a random 127.N.x.y network; client-sim runs as a one-shot process. Every assertion is
 * on what the processes said: the client's RESULT line and the flow events each component recorded.
 * The negative cases share the lab to keep the suite fast (also the live-lab cases of the bad-input matrix and the
 * admin token: admin POSTs without or with a wrong token are refused (401) by a lab component and by a CMG instance
 * azure-sim started, malformed and oversize requests at the CMG front door get their 4xx and a client's mplist is
 * still served afterwards; no log holds the token); killing the connection point comes last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BasicFlowE2ETest {

    @TempDir
    static Path tmp;

    static LabPlan plan;
    static LabProcesses lab;
    static E2eLab e2e;

    static String token;

    @BeforeAll
    static void startLab() throws Exception {
        e2e = E2eLab.startAll(tmp.resolve("state"));
        plan = e2e.plan;
        lab = e2e.lab;
        token = Files.readString(e2e.plan.adminTokenFile()).strip();
    }

    /**
     * Stops every process; fails if one is still alive or a log reports a Netty LEAK ({@link E2eLab#close()}), or a
     * log holds the lab's admin token.
     */
    @AfterAll
    static void stopLab() throws IOException {
        if (e2e != null) {
            Path logs = e2e.plan.logDir();
            e2e.close();
            assertThat(E2eLab.grep(logs, token)).as("the admin token in a log").isEmpty();
        }
    }

    private static int p443() {
        return plan.port(443);
    }

    @Test
    @Order(1)
    void f2ConnectionPointOpensTheChannel() throws Exception {
        List<JsonNode> channels = lab.awaitChannel(Duration.ofSeconds(30));
        assertThat(channels).as("ready channels in cmg-service-0 /status").isNotEmpty();
    }

    @Test
    @Order(2)
    void basicFlowGoesThroughEveryHop() throws Exception {
        lab.awaitChannel(Duration.ofSeconds(30));
        String trace = TraceContext.newTraceId();
        ClientRun run = lab.runClient(trace);

        assertThat(run.exitCode()).as("client-sim exit; output:\n%s", run.output()).isZero();
        assertThat(run.status()).isEqualTo(200);
        assertThat(run.bodyBytes()).isPositive();
        assertThat(run.mps()).contains(new ClientRun.Mp("MP01", "mp01.corp.contoso.com"));

        List<FlowEvent> events = HopTrace.order(lab.collectEvents(trace).events());
        assertThat(events).extracting(FlowEvent::traceId).containsOnly(trace);
        HopTrace.Verdict verdict = HopTrace.analyze(events, run.exitCode(), run.summary());
        assertThat(verdict.ok()).as(verdict.message() + "\n" + String.join("\n", HopTrace.format(events))).isTrue();

        List<FlowEvent> hops = events.stream().filter(e -> e.step().matches("F[345]")).toList();
        assertThat(hops).extracting(e -> e.step() + " " + e.phase()).containsExactly("F3 request", "F4 request",
                "F5 request", "F5 response", "F4 response", "F3 response");
        assertThat(hops).allSatisfy(e -> {
            assertThat(e.ok()).as("outcome of %s %s", e.step(), e.phase()).isTrue();
            assertThat(e.port()).as("port of %s %s", e.step(), e.phase()).isEqualTo(p443());
        });
        for (int i = 0; i < hops.size(); i++) {
            HopTrace.Hop want = HopTrace.BASIC_FLOW.get(i);
            FlowEvent got = hops.get(i);
            assertThat(got.component()).as("component recording " + want.label()).startsWith(want.component());
            assertThat(got.from()).as("from of " + want.label()).isEqualTo(want.from());
            assertThat(got.to()).as("to of " + want.label()).isEqualTo(want.to());
        }
        FlowEvent f3 = hops.get(0);
        assertThat(f3.protocol()).contains("HTTPS");
        assertThat(f3.auth()).isEqualTo("PKI client certificate");
        assertThat(f3.detail()).contains("/CCM_Proxy_MutualAuth/" + LabPlan.MP_ROLE_ID + "/SMS_MP/.sms_aut?MPLIST");
        assertThat(hops.get(1).protocol()).as("F4 rides the channel").containsIgnoringCase("channel");
        assertThat(hops.get(2).protocol()).contains("HTTPS");
    }

    @Test
    @Order(3)
    void clientWithoutCertificateIsRefused() throws Exception {
        String trace = TraceContext.newTraceId();
        ClientRun run = lab.runClient(trace, "--no-client-cert");

        assertThat(run.status()).as("client-sim output:\n%s", run.output()).isEqualTo(403);
        assertThat(run.exitCode()).isNotZero();
        assertThat(run.reason()).contains("CMGConnector_Clientcertificaterequired");
        List<FlowEvent> events = lab.collectEvents(trace).events();
        assertThat(HopTrace.find(events, HopTrace.BASIC_FLOW.get(0)))
                .hasValueSatisfying(e -> assertThat(e.ok()).as("F3 request outcome").isFalse());
        assertThat(HopTrace.analyze(events, run.exitCode(), run.summary()).hop().step()).isEqualTo("F3");
    }

    @Test
    @Order(4)
    void clientCertificateFromAnotherCaIsRefused() throws Exception {
        Path cert = tmp.resolve("foreign-client.crt.pem");
        Path key = tmp.resolve("foreign-client.key.pem");
        LabCa.createEphemeral().issue(CertSpec.client(LabPlan.CLIENT_FQDN)).writePem(cert, key);
        ClientSimConfig base = plan.clientSimConfig();
        ClientSimConfig foreign = new ClientSimConfig(base.name(), base.sourceAddress(), base.cmgServiceName(),
                base.cmgPort(), base.mpRoleId(), new TlsFiles(cert.toString(), key.toString()), base.trustRoots(),
                base.hosts(), base.logDir(), base.dnsServer());
        Path config = tmp.resolve("client-sim-foreign-ca.json");
        Json.writeFile(config, foreign);

        String trace = TraceContext.newTraceId();
        ClientRun run = lab.runClient(config, trace, List.of());
        assertThat(run.status()).as("client-sim output:\n%s", run.output()).isEqualTo(403);
        assertThat(run.exitCode()).isNotZero();
        assertThat(HopTrace.analyze(lab.collectEvents(trace).events(), run.exitCode(), run.summary()).ok()).isFalse();
    }

    @Test
    @Order(5)
    void unpublishedRoleIsNotFound() throws Exception {
        String trace = TraceContext.newTraceId();
        ClientRun run = lab.runClient(trace, "--path", "/CCM_Proxy_MutualAuth/72057594037927999/SMS_MP/.sms_aut?MPLIST");
        assertThat(run.status()).as("client-sim output:\n%s", run.output()).isEqualTo(404);
        assertThat(run.exitCode()).isNotZero();
        assertThat(run.reason()).isNotBlank();
    }

    // ------------------------------------------------------------------ bad input on the same lab (was BadInputE2ETest)

    static int post(Endpoint at, String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + at + path)).timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return E2eLab.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    @Order(6)
    void adminPostsNeedTheLabsAdminToken() throws Exception {
        ComponentProcess site = e2e.lab.component(LabPlan.SITE_SIM);
        assertThat(post(site.admin(), "/received?trace=0af7651916cd43dd8448eb211c80319c", null)).isEqualTo(401);
        assertThat(post(site.admin(), "/received?trace=0af7651916cd43dd8448eb211c80319c", "Bearer wrong")).isEqualTo(401);
        E2eLab.post(site, "/received?trace=0af7651916cd43dd8448eb211c80319c"); // asserts 200 with the token
        // a CMG instance azure-sim started got the token too: 401 without it, the usual 404 (no such action) with it
        Endpoint cmg = e2e.plan.cmgAdmin(0);
        assertThat(post(cmg, "/nothing", null)).isEqualTo(401);
        assertThat(post(cmg, "/nothing", "Bearer " + token)).isEqualTo(404);
        // reads stay open on loopback
        assertThat(site.adminGet("/status")).isNotEmpty();
        assertThat(E2eLab.grep(e2e.plan.logDir(), "refused (401): no Authorization header")).isNotEmpty();
    }

    /** Raw bytes to the first CMG instance's front door over mutual TLS; returns the status line. */
    static String raw(String request) throws Exception {
        Endpoint fd = e2e.plan.cmgFrontDoor(0);
        try (E2eLab.Client c = E2eLab.Client.open(e2e.plan, fd.address(), fd.port())) {
            c.out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            c.out.flush();
            InputStream in = c.in;
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                if (b != '\r') {
                    line.write(b);
                }
            }
            return line.toString(StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    @Order(7)
    void malformedRequestsAreRefusedAndTheNextClientIsServed() throws Exception {
        String host = "Host: " + LabPlan.SERVICE_NAME + "\r\n";
        String mp = "/CCM_Proxy_MutualAuth/" + LabPlan.MP_ROLE_ID + "/SMS_MP/.sms_aut?MPLIST";
        for (var c : List.of(
                List.of("HELLO\r\n\r\n", "HTTP/1.1 400 Bad Request"),
                List.of("GET " + mp + " HTTP/9.9\r\n" + host + "\r\n", "HTTP/1.1 505 HTTP Version Not Supported"),
                List.of("GET " + mp + "&x=" + "a".repeat(20_000) + " HTTP/1.1\r\n" + host + "\r\n", "HTTP/1.1 414 URI Too Long"),
                List.of("GET " + mp + " HTTP/1.1\r\n" + host + "X-Big: " + "b".repeat(40_000) + "\r\n\r\n",
                        "HTTP/1.1 431 Request Header Fields Too Large"),
                List.of("GET /CCM_Proxy_MutualAuth/" + LabPlan.MP_ROLE_ID + "/SMS_MP/../../x HTTP/1.1\r\n" + host + "\r\n",
                        "HTTP/1.1 400 Bad Request"),
                List.of("CCM_POST /CCM_Proxy_MutualAuth/" + LabPlan.MP_ROLE_ID + "/ccm_system/request HTTP/1.1\r\n" + host
                        + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", "HTTP/1.1 400 Bad Request"))) {
            assertThat(raw(c.get(0))).as(c.get(0).substring(0, Math.min(60, c.get(0).length()))).isEqualTo(c.get(1));
        }
        E2eLab.Client.Response r = E2eLab.Client.vipGet(e2e.plan, mp);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.text()).contains("MPList");
    }

    @Test
    @Order(9)
    void killedConnectionPointFailsAtF4() throws Exception {
        lab.kill(LabPlan.CONNECTION_POINT);
        assertThat(lab.component(LabPlan.CONNECTION_POINT).isAlive()).isFalse();
        lab.awaitNoChannel(Duration.ofSeconds(15));

        String trace = TraceContext.newTraceId();
        ClientRun run = lab.runClient(trace);
        assertThat(run.status()).as("client-sim output:\n%s", run.output()).isEqualTo(503);
        assertThat(run.exitCode()).isNotZero();

        List<FlowEvent> events = lab.collectEvents(trace).events();
        HopTrace.Verdict verdict = HopTrace.analyze(events, run.exitCode(), run.summary());
        assertThat(verdict.ok()).isFalse();
        assertThat(verdict.hop().step()).as(verdict.message()).isEqualTo("F4");
        assertThat(HopTrace.find(events, HopTrace.BASIC_FLOW.get(1))).hasValueSatisfying(e -> {
            assertThat(e.component()).startsWith("cmg-service");
            assertThat(e.ok()).isFalse();
            assertThat(e.status()).isEqualTo(503);
            assertThat(e.detail()).as("the CMG says no connection point channel serves the role").isNotBlank();
        });
        assertThat(verdict.message()).startsWith("FAILED at F4 request (cmg-service/0 → cmg-connection-point)");
    }
}
