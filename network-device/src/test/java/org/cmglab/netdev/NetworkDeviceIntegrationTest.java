package org.cmglab.netdev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.config.NetworkDeviceConfig;
import org.cmglab.proto.config.NetworkDeviceConfig.Hop;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.flow.FlowEvent;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.ClientAuthMode;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device on loopback between a raw client and a recording upstream: a TLS hop (device presents a lab certificate
 * for the upstream's name, re-encrypts upstream) and a plain HTTP hop, with rules changed through the admin endpoint.
 */
class NetworkDeviceIntegrationTest {
    private static final String HOST = "mp01.corp.contoso.com";
    private static final String HEADERS = "CCMClientID: GUID:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\r\n"
            + "CCMClientIDSignature: 0A1B2C3D\r\n"
            + "CCMClientTimestamp: 2026-11-29T06:00:00Z\r\n"
            + "CCMClientTimestampSignature: 4E5F6A7B\r\n"
            + "CCMClientTimestampsSignature: 8C9D\r\n"
            + "Range: bytes=0-99\r\n";

    @TempDir
    static Path dir;

    static LabCa ca;
    static ComponentRuntime runtime;
    static RecordingUpstream tlsUpstream;
    static RecordingUpstream plainUpstream;
    static NetworkDevice device;
    static HttpClient admin = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        ca = LabCa.createEphemeral();
        IssuedCert upstreamCert = ca.issue(CertSpec.server(HOST, List.of(HOST), List.of()));
        IssuedCert deviceCert = ca.issue(CertSpec.server(HOST, List.of(HOST), List.of()));
        deviceCert.writePem(dir.resolve("dev.crt.pem"), dir.resolve("dev.key.pem"));
        Path root = dir.resolve("root.pem");
        java.nio.file.Files.writeString(root, org.cmglab.proto.pki.Pem.toPem(ca.root()));
        runtime = new ComponentRuntime("network-device", dir.resolve("logs"), "NetworkDevice.log", "NetworkDevice", 2);
        tlsUpstream = new RecordingUpstream(runtime.group(), TlsContexts.server(upstreamCert, ClientAuthMode.NONE,
                List.of()));
        plainUpstream = new RecordingUpstream(runtime.group(), null);
        NetworkDeviceConfig config = new NetworkDeviceConfig("fw01", List.of(
                new Hop("cp-mp", "F5-device", "cmg-connection-point", "site-sim/MP01", new Endpoint("127.0.0.1", 0),
                        new TlsFiles(dir.resolve("dev.crt.pem").toString(), dir.resolve("dev.key.pem").toString()),
                        HOST, new Endpoint("127.0.0.1", tlsUpstream.port()), true, null, null),
                new Hop("plain", null, null, null, new Endpoint("127.0.0.1", 0), null, HOST,
                        new Endpoint("127.0.0.1", plainUpstream.port()), false, null, null)),
                List.of(root.toString()), new Endpoint("127.0.0.1", 0), dir.resolve("logs").toString());
        device = NetworkDevice.launch(config, runtime);
    }

    @AfterAll
    static void stop() {
        if (runtime != null) {
            tlsUpstream.close();
            plainUpstream.close();
            runtime.close();
        }
    }

    @BeforeEach
    void allowEverything() throws Exception {
        post("/allow-all");
        tlsUpstream.seen.clear();
        plainUpstream.seen.clear();
    }

    private static Socket tls() throws IOException {
        InetSocketAddress a = device.boundAddress("cp-mp");
        SSLSocket s = (SSLSocket) TlsContexts.jdkClient(List.of(ca.root()), null).getSocketFactory()
                .createSocket("127.0.0.1", a.getPort());
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName(HOST)));
        p.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(p);
        s.setSoTimeout(10_000);
        s.startHandshake();
        return s;
    }

    private static Socket plain() throws IOException {
        Socket s = new Socket("127.0.0.1", device.boundAddress("plain").getPort());
        s.setSoTimeout(10_000);
        return s;
    }

    static JsonNode post(String pathAndQuery) throws Exception {
        InetSocketAddress a = device.adminAddress();
        HttpResponse<String> r = admin.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort()
                + pathAndQuery)).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("POST %s: %s", pathAndQuery, r.body()).isEqualTo(200);
        return Json.MAPPER.readTree(r.body());
    }

    static JsonNode status() throws Exception {
        InetSocketAddress a = device.adminAddress();
        HttpResponse<String> r = admin.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort()
                + "/status")).build(), HttpResponse.BodyHandlers.ofString());
        return Json.MAPPER.readTree(r.body());
    }

    static JsonNode hopStatus(String hop) throws Exception {
        for (JsonNode h : status().path("hops")) {
            if (h.path("name").asText().equals(hop)) {
                return h;
            }
        }
        throw new AssertionError("no hop " + hop + " in " + status());
    }

    @Test
    void passesUnknownVerbsTheCcmHeadersAndTheBodyUnchangedThroughTlsInspection() throws Exception {
        byte[] body = new byte[70_000];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 7);
        }
        String trace = TraceContext.newTraceId();
        try (Socket s = tls()) {
            RawHttp.send(s, "CCM_POST /ccm_system/request HTTP/1.1\r\nHost: " + HOST + "\r\n" + HEADERS
                    + "traceparent: " + TraceContext.traceparent(trace) + "\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n", body);
            RawHttp.Response r = RawHttp.read(s.getInputStream(), false);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).isEqualTo("ok 70000 bytes");
            assertThat(r.headers()).containsEntry("x-upstream", "yes");
        }
        RecordingUpstream.Seen seen = tlsUpstream.seen.get(0);
        assertThat(seen.method()).isEqualTo("CCM_POST");
        assertThat(seen.uri()).isEqualTo("/ccm_system/request");
        assertThat(seen.names()).containsSubsequence("Host", "CCMClientID", "CCMClientIDSignature",
                "CCMClientTimestamp", "CCMClientTimestampSignature", "CCMClientTimestampsSignature", "Range");
        assertThat(seen.header("CCMClientTimestampSignature")).isEqualTo("4E5F6A7B");
        assertThat(seen.header("Range")).isEqualTo("bytes=0-99");
        assertThat(seen.body()).isEqualTo(body);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(runtime.events().snapshot(trace))
                .extracting(FlowEvent::phase).containsExactly("request", "response"));
        List<FlowEvent> ev = runtime.events().snapshot(trace);
        assertThat(ev.get(0).step()).isEqualTo("F5-device");
        assertThat(ev.get(0).detail()).isEqualTo("CCM_POST /ccm_system/request");
        assertThat(ev.get(1).status()).isEqualTo(200);
    }

    @Test
    void strippingAHeaderRemovesItUpstreamCountsItAndUndoRestoresIt() throws Exception {
        JsonNode rules = post("/strip?hop=cp-mp&header=range");
        assertThat(rules.path("cp-mp").path("stripHeaders")).extracting(JsonNode::asText).containsExactly("range");
        long before = hopStatus("cp-mp").path("counters").path("stripped").path("range").asLong();
        try (Socket s = tls()) {
            RawHttp.send(s, "GET /SMS_DP_SMSPKG$/P0100001/a.bin HTTP/1.1\r\nHost: " + HOST + "\r\n" + HEADERS + "\r\n",
                    null);
            assertThat(RawHttp.read(s.getInputStream(), false).status()).isEqualTo(200);
        }
        assertThat(tlsUpstream.seen.get(0).header("Range")).isNull();
        assertThat(tlsUpstream.seen.get(0).header("CCMClientID")).isNotNull();
        assertThat(hopStatus("cp-mp").path("counters").path("stripped").path("range").asLong()).isEqualTo(before + 1);

        post("/undo?hop=cp-mp");
        assertThat(hopStatus("cp-mp").path("rules").path("stripHeaders")).isEmpty();
        try (Socket s = tls()) {
            RawHttp.send(s, "GET /x HTTP/1.1\r\nHost: " + HOST + "\r\n" + HEADERS + "\r\n", null);
            assertThat(RawHttp.read(s.getInputStream(), false).status()).isEqualTo(200);
        }
        assertThat(tlsUpstream.seen.get(1).header("Range")).isEqualTo("bytes=0-99");
    }

    @Test
    void aRejectedVerbGets405NamingTheDeviceAndNeverReachesTheUpstream() throws Exception {
        post("/block?verb=PROPFIND&action=reject");
        try (Socket s = tls()) {
            RawHttp.send(s, "PROPFIND /SMS_DP_SMSPKG$/P0100001 HTTP/1.1\r\nHost: " + HOST
                    + "\r\nDepth: 1\r\nContent-Length: 5\r\n\r\n", "<a/>\n".getBytes(StandardCharsets.US_ASCII));
            RawHttp.Response r = RawHttp.read(s.getInputStream(), false);
            assertThat(r.status()).isEqualTo(405);
            assertThat(r.text()).contains("network device fw01").contains("PROPFIND");
            assertThat(r.headers()).containsEntry("connection", "close");
            assertThat(s.getInputStream().read()).as("closed after the block page").isEqualTo(-1);
        }
        assertThat(tlsUpstream.seen).isEmpty();
        assertThat(hopStatus("cp-mp").path("counters").path("blocked").path("PROPFIND").asLong()).isPositive();
        // other verbs still pass on a new connection
        try (Socket s = tls()) {
            RawHttp.send(s, "HEAD /x HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n", null);
            assertThat(RawHttp.read(s.getInputStream(), true).status()).isEqualTo(200);
        }
        assertThat(tlsUpstream.seen).extracting(RecordingUpstream.Seen::method).containsExactly("HEAD");
    }

    @Test
    void aBlockedPipelinedRequestIsAnsweredAfterTheResponseBeforeIt() throws Exception {
        post("/block?hop=plain&verb=PROPFIND");
        try (Socket s = plain()) {
            RawHttp.send(s, "GET /big?300000 HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n"
                    + "PROPFIND /x HTTP/1.1\r\nHost: " + HOST + "\r\nDepth: 1\r\n\r\n", null);
            RawHttp.Response first = RawHttp.read(s.getInputStream(), false);
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.body()).hasSize(300_000);
            RawHttp.Response second = RawHttp.read(s.getInputStream(), false);
            assertThat(second.status()).isEqualTo(405);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(plainUpstream.seen).extracting(RecordingUpstream.Seen::method).containsExactly("GET");
    }

    @Test
    void aResetVerbResetsTheConnection() throws Exception {
        post("/block?hop=plain&verb=BITS_POST&action=reset");
        try (Socket s = plain()) {
            RawHttp.send(s, "BITS_POST /CCM_Incoming/x.bin HTTP/1.1\r\nHost: " + HOST
                    + "\r\nBITS-Packet-Type: Ping\r\nContent-Length: 0\r\n\r\n", null);
            InputStream in = s.getInputStream();
            assertThatThrownBy(() -> in.read()).isInstanceOf(SocketException.class)
                    .hasMessageContaining("reset");
        }
        assertThat(plainUpstream.seen).isEmpty();
        assertThat(hopStatus("plain").path("counters").path("blocked").path("BITS_POST").asLong()).isPositive();
    }

    @Test
    void aResetVerbResetsTheTlsConnectionWithoutATlsCloseNotify() throws Exception {
        post("/block?hop=cp-mp&verb=CCM_POST&action=reset");
        try (Socket s = tls()) {
            RawHttp.send(s, "CCM_POST /ccm_system/request HTTP/1.1\r\nHost: " + HOST + "\r\nContent-Length: 0\r\n\r\n",
                    null);
            InputStream in = s.getInputStream();
            assertThatThrownBy(() -> in.read()).isInstanceOf(SocketException.class).hasMessageContaining("reset");
        }
        assertThat(tlsUpstream.seen).isEmpty();
    }

    @Test
    void keepsTheConnectionAliveAcrossRequestsAndStreamsLargeResponses() throws Exception {
        int big = 8 << 20;
        try (Socket s = plain()) {
            RawHttp.send(s, "GET /a HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n", null);
            assertThat(RawHttp.read(s.getInputStream(), false).text()).isEqualTo("ok 0 bytes");
            RawHttp.send(s, "GET /big?" + big + " HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n", null);
            RawHttp.Response r = RawHttp.read(s.getInputStream(), false);
            assertThat(r.headers()).containsEntry("transfer-encoding", "chunked");
            assertThat(r.body()).hasSize(big);
            RawHttp.send(s, "OPTIONS * HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n", null);
            assertThat(RawHttp.read(s.getInputStream(), false).status()).isEqualTo(200);
        }
        assertThat(plainUpstream.seen).extracting(RecordingUpstream.Seen::connection).hasSize(3).containsOnly(
                plainUpstream.seen.get(0).connection());
    }

    @Test
    void anUnreachableUpstreamGets502WithTheReason() throws Exception {
        // a hop whose upstream does not listen, started on the same runtime
        int dead;
        try (java.net.ServerSocket ss = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            dead = ss.getLocalPort();
        }
        NetworkDeviceConfig c = new NetworkDeviceConfig("fw02", List.of(new Hop("dead", null, null, null,
                new Endpoint("127.0.0.1", 0), null, HOST, new Endpoint("127.0.0.1", dead), false, null, null)),
                List.of(), new Endpoint("127.0.0.1", 0), null);
        try (NetworkDevice d = NetworkDevice.start(c, runtime); Socket s = new Socket("127.0.0.1",
                d.boundAddress("dead").getPort())) {
            s.setSoTimeout(10_000);
            RawHttp.send(s, "GET / HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n", null);
            RawHttp.Response r = RawHttp.read(s.getInputStream(), false);
            assertThat(r.status()).isEqualTo(502);
            assertThat(r.text()).contains("network device fw02").contains("cannot connect to " + HOST);
        }
    }

    @Test
    void aMalformedRequestGets400() throws Exception {
        try (Socket s = plain()) {
            RawHttp.send(s, "GET /x HTTP/1.1\r\nHost: a\r\nBad Header Line\r\n\r\n", null);
            assertThat(RawHttp.read(s.getInputStream(), false).status()).isEqualTo(400);
        }
        assertThat(plainUpstream.seen).isEmpty();
    }

    @Test
    void badAdminActionsAreRefusedWithTheReason() throws Exception {
        InetSocketAddress a = device.adminAddress();
        for (String q : List.of("/strip?hop=nope&header=Range", "/strip?header=bad%20name", "/block?verb=GET&action=drop",
                "/allow-verb?verb=PUT")) {
            HttpResponse<String> r = admin.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort() + q))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(q + ": " + r.body()).isEqualTo(400);
        }
        HttpResponse<String> r = admin.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort()
                + "/undo?hop=plain")).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        // allow-all in @BeforeEach is undoable; a second undo of a fresh history would be 409
        assertThat(r.statusCode()).isIn(200, 409);
    }
}
