package org.cmglab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.cmglab.lab.ClientRun;
import org.cmglab.lab.ComponentProcess;
import org.cmglab.lab.LabPlan;
import org.cmglab.lab.LabProcesses;
import org.cmglab.proto.ccm.CcmClientHeaders;
import org.cmglab.proto.ccm.CcmMultipart;
import org.cmglab.proto.ccm.ClientRequests;
import org.cmglab.proto.ccm.ClientSigningCert;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.config.NetworkDeviceConfig.Hop;
import org.cmglab.proto.config.NetworkDeviceConfig;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.IssuedCert;
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
 * The header/verb matrix (docs/network-device.md) in one lab run, every component its own process, with the network
 * device (fw01) in both places: between client and CMG (hop {@code client-cmg}, 127.N.7.10) and between the
 * connection point and the MP (hop {@code cp-mp}, 127.N.7.20; the lab DNS points mp01 at it). client-sim {@code probe}
 * sends each verb with every CCMClient* header (both spellings) and {@code Range}; site-sim's {@code POST /received}
 * shows what the MP got. Then the device strips and blocks, and each test shows what breaks.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HeaderVerbMatrixE2ETest {
    static final String MP = "/CCM_Proxy_MutualAuth/" + LabPlan.MP_ROLE_ID;
    static final String CONTENT = MP + "/SMS_DP_SMSPKG$/P0100001/lab-1MiB.bin";
    static final Map<String, String> CCM_HEADERS = ccmHeaders();

    @TempDir
    static Path tmp;

    static LabPlan plan;
    static LabProcesses lab;
    static ComponentProcess device;
    static Endpoint deviceAdmin;
    static String via;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static Map<String, String> ccmHeaders() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("CCMClientID", "GUID:5B0E3C2A-6F1D-4E8B-9A7C-0D1E2F3A4B5C");
        m.put("CCMClientIDSignature", "3A9F0C1D2E3F405162738495A6B7C8D9");
        m.put("CCMClientTimestamp", "2026-11-29T06:00:00Z");
        m.put("CCMClientTimestampSignature", "00112233445566778899AABBCCDDEEFF");
        m.put("CCMClientTimestampsSignature", "FFEEDDCCBBAA99887766554433221100");
        return m;
    }

    @BeforeAll
    static void startLab() throws Exception {
        int net = ThreadLocalRandom.current().nextInt(100, 200);
        plan = LabPlan.builder().stateDir(tmp.resolve("state")).net(net).build();
        LabCa ca = plan.materialize();
        String outside = "127." + net + ".7.10";
        String inside = "127." + net + ".7.20";
        Path pki = plan.pkiDir();
        TlsFiles asCmg = new TlsFiles(pki.resolve("fw01-as-cmg.crt.pem").toString(), pki.resolve("fw01-as-cmg.key.pem").toString());
        TlsFiles asMp = new TlsFiles(pki.resolve("fw01-as-mp.crt.pem").toString(), pki.resolve("fw01-as-mp.key.pem").toString());
        TlsFiles client = new TlsFiles(pki.resolve("fw01-client.crt.pem").toString(), pki.resolve("fw01-client.key.pem").toString());
        ca.issue(CertSpec.server(LabPlan.SERVICE_NAME, List.of(LabPlan.SERVICE_NAME), List.of()))
                .writePem(Path.of(asCmg.certFile()), Path.of(asCmg.keyFile()));
        ca.issue(CertSpec.server(LabPlan.MP_FQDN, List.of(LabPlan.MP_FQDN), List.of()))
                .writePem(Path.of(asMp.certFile()), Path.of(asMp.keyFile()));
        ca.issue(CertSpec.client("fw01.corp.contoso.com")).writePem(Path.of(client.certFile()), Path.of(client.keyFile()));
        deviceAdmin = new Endpoint(outside, plan.port(9090));
        NetworkDeviceConfig dc = new NetworkDeviceConfig("fw01", List.of(
                new Hop("client-cmg", "F3-device", "client-sim", "cmg-service", new Endpoint(outside, plan.port(443)),
                        asCmg, LabPlan.SERVICE_NAME, new Endpoint(plan.vipAddress(), plan.port(443)), true, client, null),
                new Hop("cp-mp", "F5-device", "cmg-connection-point", "site-sim/MP01", new Endpoint(inside, plan.port(443)),
                        asMp, LabPlan.MP_FQDN, plan.mp(), true, null, null)),
                List.of(plan.rootCertFile().toString()), deviceAdmin, plan.logDir().toString());
        Path deviceConfig = plan.configFile("network-device");
        Json.writeFile(deviceConfig, dc);
        // the connection point finds mp01 through the lab DNS: point the name at the device's inside address
        Path azure = plan.configFile(LabPlan.AZURE_SIM);
        ObjectNode tree = (ObjectNode) Json.MAPPER.readTree(azure.toFile());
        for (JsonNode r : tree.path("customerZone")) {
            if (r.path("name").asText().equals(LabPlan.MP_FQDN)) {
                ((ObjectNode) r).put("value", inside);
            }
        }
        Files.writeString(azure, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(tree));

        device = new ComponentProcess("network-device", plan.jar("network-device"), deviceConfig, deviceAdmin,
                plan.logDir(), http);
        device.start();
        device.awaitReady(LabProcesses.READY_TIMEOUT);
        via = outside + ":" + plan.port(443);
        lab = new LabProcesses(plan, System.out);
        lab.startAll();
        lab.awaitChannel(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stopLab() throws IOException {
        if (lab != null) {
            lab.close();
        }
        if (device != null) {
            device.stop();
            assertThat(device.isAlive()).isFalse();
        }
        if (plan != null && Files.isDirectory(plan.logDir())) {
            List<String> leaks = new ArrayList<>();
            try (var files = Files.list(plan.logDir())) {
                for (Path f : files.filter(f -> f.toString().endsWith(".out") || f.toString().endsWith(".log")).toList()) {
                    Files.readAllLines(f, StandardCharsets.UTF_8).stream().filter(l -> l.contains("LEAK:"))
                            .forEach(l -> leaks.add(f.getFileName() + ": " + l));
                }
            }
            assertThat(leaks).as("Netty LEAK reports in " + plan.logDir()).isEmpty();
        }
    }

    // ------------------------------------------------------------------ helpers

    record Probe(int exit, JsonNode result, String output) {
        int status() {
            return result.path("status").asInt();
        }

        String reason() {
            return result.path("clientReason").asText("");
        }
    }

    static Probe probe(String trace, String... args) throws Exception {
        List<String> a = new ArrayList<>(List.of("--config", plan.configFile(LabPlan.CLIENT_SIM).toString(), "probe",
                "--trace", trace));
        a.addAll(List.of(args));
        Path jar = plan.jar(LabPlan.CLIENT_SIM);
        Process p = new ProcessBuilder(ComponentProcess.javaCommand(jar, lab.jvmOptions(jar), a))
                .redirectErrorStream(true).start();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                in.transferTo(buf);
            } catch (IOException ignored) {
                // gone
            }
        });
        reader.start();
        if (!p.waitFor(LabProcesses.CLIENT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        reader.join(5_000);
        String out = buf.toString(StandardCharsets.UTF_8);
        Files.writeString(plan.logDir().resolve("client-sim.out"), "--- probe " + String.join(" ", a) + "\n" + out,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        JsonNode result = null;
        for (String line : out.split("\\R")) {
            if (line.startsWith("RESULT ")) {
                result = Json.MAPPER.readTree(line.substring(7));
            }
        }
        assertThat(result).as("RESULT line of probe %s:\n%s", args, out).isNotNull();
        return new Probe(p.exitValue(), result, out);
    }

    /** {@code --header K=V} for the five CCMClient* headers (both timestamp-signature spellings) plus extras. */
    static List<String> withHeaders(List<String> args, String... extra) {
        List<String> a = new ArrayList<>(args);
        CCM_HEADERS.forEach((k, v) -> a.addAll(List.of("--header", k + "=" + v)));
        for (String e : extra) {
            a.addAll(List.of("--header", e));
        }
        return a;
    }

    static JsonNode admin(Endpoint at, String pathAndQuery) throws Exception {
        HttpResponse<String> r = http.send(org.cmglab.proto.runtime.AdminToken.authorize(
                        HttpRequest.newBuilder(URI.create("http://" + at + pathAndQuery)),
                        org.cmglab.proto.runtime.AdminToken.read(plan.pkiDir()))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("POST %s: %s", pathAndQuery, r.body()).isEqualTo(200);
        return Json.MAPPER.readTree(r.body());
    }

    /** What the MP received for {@code trace} (site-sim's POST /received). */
    static List<JsonNode> atMp(String trace) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        admin(plan.siteSimAdmin(), "/received?trace=" + trace).forEach(out::add);
        return out;
    }

    static Map<String, String> headers(JsonNode received) {
        Map<String, String> m = new LinkedHashMap<>();
        for (JsonNode h : received.path("headers")) {
            m.putIfAbsent(h.get(0).asText(), h.get(1).asText());
        }
        return m;
    }

    static JsonNode deviceEvents(String trace) throws Exception {
        return Json.MAPPER.readTree(device.adminGet("/events?trace=" + trace));
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    static String[] arr(List<String> l) {
        return l.toArray(new String[0]);
    }

    // ------------------------------------------------------------------ allowed: every verb and header arrives unchanged

    @Test
    @Order(1)
    void everyVerbAndHeaderArrivesUnchangedAtTheMpThroughTheDeviceInBothPlaces() throws Exception {
        // a real CcmMessaging message (SiteInformationRequest for MP_LocationManager: multipart/mixed, UTF-16 header,
        // zlib-compressed UTF-16 body), so CCM_POST is answered 200 by the MP's messaging
        ClientSigningCert.Generated anyKey = ClientSigningCert.generate(java.time.Instant.now());
        byte[] message = new ClientRequests("MATRIX01", "matrix01.corp.contoso.com", LabPlan.MP_FQDN, LabPlan.SITE_CODE,
                anyKey.keyPair().getPrivate(), anyKey.certificate()).siteInformation(null, java.time.Instant.now()).bytes();
        Path messageFile = tmp.resolve("site-information.msg");
        Files.write(messageFile, message);
        record Case(String verb, String path, List<String> extra, Path body, int expectStatus) {}
        List<Case> cases = List.of(
                new Case("GET", MP + "/SMS_MP/.sms_aut?MPLIST", List.of("Range=bytes=0-99"), null, 200),
                new Case("HEAD", CONTENT, List.of("Range=bytes=0-99"), null, 200),
                new Case("CCM_POST", MP + "/ccm_system/request", List.of("Range=bytes=0-99",
                        "Content-Type=" + CcmMultipart.CONTENT_TYPE), messageFile, 200),
                new Case("BITS_POST", MP + "/CCM_Incoming/{5B0E3C2A}.xml", List.of("Range=bytes=0-99",
                        "BITS-Packet-Type=Ping"), null, 200),
                new Case("PROPFIND", MP + "/SMS_DP_SMSPKG$/P0100001", List.of("Range=bytes=0-99", "Depth=1"), null, 207));
        for (Case c : cases) {
            String trace = TraceContext.newTraceId();
            List<String> args = new ArrayList<>(List.of("--verb", c.verb(), "--path", c.path(), "--via", via));
            if (c.body() != null) {
                args.addAll(List.of("--body-file", c.body().toString()));
            }
            Probe p = probe(trace, arr(withHeaders(args, c.extra().toArray(new String[0]))));
            assertThat(p.status()).as("%s %s:\n%s", c.verb(), c.path(), p.output()).isEqualTo(c.expectStatus());
            if (c.verb().equals("CCM_POST")) {
                assertThat(p.result().path("headers").path("content-type").asText()).startsWith("multipart/mixed");
            }
            List<JsonNode> got = atMp(trace);
            assertThat(got).as("%s at the MP", c.verb()).singleElement();
            JsonNode rx = got.get(0);
            assertThat(rx.path("method").asText()).isEqualTo(c.verb());
            assertThat(rx.path("uri").asText()).isEqualTo(c.path().substring(MP.length()));
            Map<String, String> h = headers(rx);
            CCM_HEADERS.forEach((k, v) -> assertThat(h).as("%s: header %s at the MP", c.verb(), k).containsEntry(k, v));
            assertThat(h).containsEntry("Range", "bytes=0-99");
            if (c.body() != null) {
                assertThat(rx.path("bodySha256").asText()).isEqualTo(sha256(Files.readAllBytes(c.body())));
            }
            // the request crossed the device twice: client → CMG and connection point → MP
            List<String> steps = new ArrayList<>();
            deviceEvents(trace).forEach(e -> steps.add(e.path("step").asText() + " " + e.path("phase").asText()));
            assertThat(steps).as("device events of %s", c.verb()).contains("F3-device request", "F5-device request",
                    "F5-device response", "F3-device response");
        }
    }

    @Test
    @Order(2)
    void rangedGetIs206AndTheBitsStyleDownloadCompletes() throws Exception {
        String trace = TraceContext.newTraceId();
        Probe p = probe(trace, "--path", CONTENT, "--via", via, "--header", "Range=bytes=100-199");
        assertThat(p.status()).as(p.output()).isEqualTo(206);
        assertThat(p.result().path("headers").path("content-range").asText()).isEqualTo("bytes 100-199/1048576");
        assertThat(p.result().path("bodyBytes").asLong()).isEqualTo(100);

        Probe bits = probe(TraceContext.newTraceId(), "--path", CONTENT, "--via", via, "--bits-download");
        assertThat(bits.exit()).as(bits.output()).isZero();
        assertThat(bits.result().path("bits").path("state").asText()).isEqualTo("TRANSFERRED");
        assertThat(bits.result().path("bits").path("transferred").asLong()).isEqualTo(1 << 20);
    }

    @Test
    @Order(3)
    void bitsUploadBodyArrivesIntact() throws Exception {
        String path = MP + "/CCM_Incoming/{7F3E}.xml";
        Probe create = probe(TraceContext.newTraceId(), "--verb", "BITS_POST", "--path", path, "--via", via,
                "--header", "BITS-Packet-Type=Create-Session",
                "--header", "BITS-Supported-Protocols={7df0354d-249b-430f-820d-3d2a9bef4931}");
        assertThat(create.status()).as(create.output()).isEqualTo(200);
        String sid = create.result().path("headers").path("bits-session-id").asText();
        assertThat(sid).startsWith("{");
        byte[] data = "<InventoryReport>lab upload through CMG and device</InventoryReport>".getBytes(StandardCharsets.UTF_8);
        Path f = tmp.resolve("upload.xml");
        Files.write(f, data);
        Probe frag = probe(TraceContext.newTraceId(), "--verb", "BITS_POST", "--path", path, "--via", via,
                "--header", "BITS-Packet-Type=Fragment", "--header", "BITS-Session-Id=" + sid,
                "--header", "Content-Range=bytes 0-" + (data.length - 1) + "/" + data.length, "--body-file", f.toString());
        assertThat(frag.result().path("headers").path("bits-received-content-range").asText())
                .as(frag.output()).isEqualTo(Integer.toString(data.length));
        Probe close = probe(TraceContext.newTraceId(), "--verb", "BITS_POST", "--path", path, "--via", via,
                "--header", "BITS-Packet-Type=Close-Session", "--header", "BITS-Session-Id=" + sid);
        assertThat(close.result().path("headers").path("bits-packet-type").asText()).isEqualTo("Ack");
        assertThat(close.result().path("headers").path("x-cmglab-upload-sha256").asText()).isEqualTo(sha256(data));
    }

    // ------------------------------------------------------------------ what breaks

    @Test
    @Order(10)
    void strippingRangeGivesTheFullBodyAndFailsTheBitsDownload() throws Exception {
        admin(deviceAdmin, "/strip?hop=client-cmg&header=Range");
        try {
            String trace = TraceContext.newTraceId();
            Probe p = probe(trace, "--path", CONTENT, "--via", via, "--header", "Range=bytes=100-199");
            assertThat(p.status()).as(p.output()).isEqualTo(200);
            assertThat(p.result().path("bodyBytes").asLong()).as("the whole file instead of 100 bytes").isEqualTo(1 << 20);
            assertThat(headers(atMp(trace).get(0))).doesNotContainKey("Range");

            Probe bits = probe(TraceContext.newTraceId(), "--path", CONTENT, "--via", via, "--bits-download");
            assertThat(bits.exit()).isNotZero();
            assertThat(bits.result().path("bits").path("errorCode").asText()).isEqualTo("0x80200013");
            assertThat(bits.reason()).contains("ignored the Range header");
            JsonNode hop = status("client-cmg");
            assertThat(hop.path("counters").path("stripped").path("range").asLong()).isGreaterThanOrEqualTo(2);
        } finally {
            admin(deviceAdmin, "/undo?hop=client-cmg");
        }
        assertThat(status("client-cmg").path("rules").path("stripHeaders")).isEmpty();
    }

    /** {@code --path <policy> --via <device>} with the four CCMClient* headers signed now by {@code key}. */
    static String[] signedPolicyGet(String path, String smsId, IssuedCert key) {
        List<String> a = new ArrayList<>(List.of("--path", path, "--via", via));
        CcmClientHeaders.ccmClient(smsId, key.privateKey(), java.time.Instant.now())
                .forEach((k, v) -> a.addAll(List.of("--header", k + "=" + v)));
        return arr(a);
    }

    static long mpRefused(String kind) throws Exception {
        return Json.MAPPER.readTree(lab.adminGet(plan.siteSimAdmin(), "/status")).path("messaging").path("refused")
                .path(kind).asLong(0);
    }

    @Test
    @Order(11)
    void strippingCcmClientTimestampSignatureMakesTheMpRefuseTheSignedPolicyRequest() throws Exception {
        // a registered client (client-sim register, its own state folder) and headers really signed by its key
        Path state = tmp.resolve("signed-client");
        ClientRun reg = lab.runClientCommand(plan.configFile(LabPlan.CLIENT_SIM), "register", TraceContext.newTraceId(),
                List.of("--auth", "pki", "--state", state.toString()));
        assertThat(reg.exitCode()).as(reg.output()).isZero();
        String smsId = Files.readString(state.resolve("smsid")).strip();
        IssuedCert key = IssuedCert.readPem(state.resolve("signing.crt.pem"), state.resolve("signing.key.pem"));
        String policy = "{" + UUID.nameUUIDFromBytes(("cmglab:" + LabPlan.SITE_CODE + ":policy:ClientAgentConfig")
                .getBytes(StandardCharsets.UTF_8)) + "}";
        String path = MP + "/SMS_MP/.sms_pol?" + policy;
        Probe intact = probe(TraceContext.newTraceId(), signedPolicyGet(path, smsId, key));
        assertThat(intact.status()).as("signed headers intact: the MP verifies them\n%s", intact.output()).isEqualTo(200);

        admin(deviceAdmin, "/strip?hop=cp-mp&header=CCMClientTimestampSignature");
        try {
            long before = mpRefused("403 MISSING_SIGNATURE");
            String trace = TraceContext.newTraceId();
            Probe p = probe(trace, signedPolicyGet(path, smsId, key));
            assertThat(p.status()).as("the MP refuses the request the device took the signature from:\n%s", p.output())
                    .isEqualTo(403);
            Map<String, String> h = headers(atMp(trace).get(0));
            assertThat(h).doesNotContainKey("CCMClientTimestampSignature").containsEntry("CCMClientID", smsId)
                    .containsKeys("CCMClientIDSignature", "CCMClientTimestamp");
            assertThat(mpRefused("403 MISSING_SIGNATURE")).as("counted (and logged) as MISSING_SIGNATURE")
                    .isEqualTo(before + 1);
            assertThat(status("cp-mp").path("counters").path("stripped").path("ccmclienttimestampsignature").asLong())
                    .isPositive();
        } finally {
            admin(deviceAdmin, "/undo?hop=cp-mp");
        }
        Probe again = probe(TraceContext.newTraceId(), signedPolicyGet(path, smsId, key));
        assertThat(again.status()).as("rule undone:\n%s", again.output()).isEqualTo(200);
    }

    @Test
    @Order(12)
    void blockedVerbsFailAtTheClientWithAClearReason() throws Exception {
        admin(deviceAdmin, "/block?hop=client-cmg&verb=PROPFIND&action=reject");
        admin(deviceAdmin, "/block?hop=client-cmg&verb=BITS_POST&action=reset");
        admin(deviceAdmin, "/block?hop=cp-mp&verb=CCM_POST&action=reject");
        try {
            String t1 = TraceContext.newTraceId();
            Probe propfind = probe(t1, "--verb", "PROPFIND", "--path", MP + "/SMS_DP_SMSPKG$/P0100001", "--via", via,
                    "--header", "Depth=1");
            assertThat(propfind.status()).as(propfind.output()).isEqualTo(405);
            assertThat(propfind.reason()).contains("405").contains("network device fw01").contains("PROPFIND");
            assertThat(atMp(t1)).isEmpty();

            String t2 = TraceContext.newTraceId();
            Probe bits = probe(t2, "--verb", "BITS_POST", "--path", MP + "/CCM_Incoming/x.xml", "--via", via,
                    "--header", "BITS-Packet-Type=Ping");
            assertThat(bits.status()).as(bits.output()).isZero();
            assertThat(bits.exit()).as("TLS or no-response failure").isIn(3, 5);
            assertThat(bits.reason()).contains("reset").contains("BITS_POST");
            assertThat(atMp(t2)).isEmpty();

            // blocked between the connection point and the MP: the 405 travels back through the CP and the CMG
            String t3 = TraceContext.newTraceId();
            Probe ccm = probe(t3, "--verb", "CCM_POST", "--path", MP + "/ccm_system/request", "--via", via,
                    "--body-text", "<Msg/>");
            assertThat(ccm.status()).as(ccm.output()).isEqualTo(405);
            assertThat(ccm.reason()).contains("network device fw01").contains("CCM_POST");
            assertThat(atMp(t3)).isEmpty();

            assertThat(status("client-cmg").path("counters").path("blocked").path("PROPFIND").asLong()).isPositive();
            assertThat(status("client-cmg").path("counters").path("blocked").path("BITS_POST").asLong()).isPositive();
            assertThat(status("cp-mp").path("counters").path("blocked").path("CCM_POST").asLong()).isPositive();
        } finally {
            admin(deviceAdmin, "/allow-all");
        }
        String trace = TraceContext.newTraceId();
        Probe again = probe(trace, "--verb", "PROPFIND", "--path", MP + "/SMS_DP_SMSPKG$/P0100001", "--via", via,
                "--header", "Depth=0");
        assertThat(again.status()).as("allowed again:\n%s", again.output()).isEqualTo(207);
    }

    @Test
    @Order(20)
    void theSoftwareUpdatePointAnswersThroughTheCmg() throws Exception {
        String ns = "http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService";
        String env = "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/"
                + "soap/envelope/\"><soap:Body><GetConfig xmlns=\"" + ns + "\"><protocolVersion>1.20</protocolVersion>"
                + "</GetConfig></soap:Body></soap:Envelope>";
        Probe p = probe(TraceContext.newTraceId(), "--verb", "POST", "--path", "/CCM_Proxy_MutualAuth/"
                + LabPlan.SUP_ROLE_ID + "/ClientWebService/client.asmx", "--header", "SOAPAction=\"" + ns + "/GetConfig\"",
                "--header", "Content-Type=text/xml; charset=utf-8", "--body-text", env);
        assertThat(p.status()).as(p.output()).isEqualTo(200);
        assertThat(p.result().path("bodyText").asText()).contains("<PlugInID>SimpleTargeting</PlugInID>");
        Probe cab = probe(TraceContext.newTraceId(), "--verb", "HEAD", "--path", "/CCM_Proxy_MutualAuth/"
                + LabPlan.SUP_ROLE_ID + "/selfupdate/wuident.cab");
        assertThat(cab.status()).as(cab.output()).isEqualTo(200);
    }

    static JsonNode status(String hop) throws Exception {
        for (JsonNode h : Json.MAPPER.readTree(device.adminGet("/status")).path("hops")) {
            if (h.path("name").asText().equals(hop)) {
                return h;
            }
        }
        throw new AssertionError("no hop " + hop);
    }
}
