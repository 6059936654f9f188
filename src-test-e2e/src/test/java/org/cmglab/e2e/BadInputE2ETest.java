package org.cmglab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
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
import org.cmglab.lab.LabPlan;
import org.cmglab.proto.config.Endpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live-lab cases of the bad-input matrix and the admin token, every component its own JVM: admin POSTs without or
 * with a wrong token are refused (401) by a lab component and by a CMG instance azure-sim started (so the token
 * reached it), malformed and oversize requests at the CMG front door get their 4xx, and a client's mplist is still
 * served through the whole chain afterwards; no process leaks a buffer and no log holds the token.
 */
class BadInputE2ETest {
    @TempDir
    static Path tmp;
    static E2eLab e2e;
    static String token;

    @BeforeAll
    static void start() throws Exception {
        e2e = E2eLab.startAll(tmp.resolve("state"));
        token = Files.readString(e2e.plan.adminTokenFile()).strip();
    }

    @AfterAll
    static void stop() throws Exception {
        if (e2e != null) {
            Path logs = e2e.plan.logDir();
            e2e.close();
            assertThat(E2eLab.grep(logs, token)).as("the admin token in a log").isEmpty();
        }
    }

    static int post(Endpoint at, String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + at + path)).timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return E2eLab.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
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
}
