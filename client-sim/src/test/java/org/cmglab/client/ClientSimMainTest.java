package org.cmglab.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.EventLoopGroup;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.config.ClientSimConfig;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.runtime.EventLoops;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole command line ({@code --config .. mplist ..}) against a tiny HTTPS CMG on 127.0.0.1. */
class ClientSimMainTest {
    static final String SERVICE = "GraniteFalls.contoso.com";
    static final String ROLE_ID = "72057594037927939";
    static final String PATH = "/CCM_Proxy_MutualAuth/" + ROLE_ID + "/SMS_MP/.sms_aut?MPLIST";

    static LabCa ca;
    static IssuedCert cmgCert;
    static IssuedCert clientCert;
    static EventLoopGroup serverGroup;

    @TempDir
    Path dir;

    @BeforeAll
    static void setUp() {
        ca = LabCa.createEphemeral();
        cmgCert = ca.issue(CertSpec.server(SERVICE, List.of(SERVICE), List.of()));
        clientCert = ca.issue(CertSpec.client("client01.corp.contoso.com"));
        serverGroup = EventLoops.newGroup(1, "tiny-cmg");
    }

    @AfterAll
    static void tearDown() {
        serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    @Test
    void mplistWithClientCertificate() throws Exception {
        try (TinyCmg cmg = new TinyCmg(serverGroup, cmgCert, ca.root(), false)) {
            String trace = TraceContext.newTraceId();
            Run run = run(config(cmg.port(), true), "mplist", "--trace", trace);

            assertThat(run.exit).as(run.out).isZero();
            JsonNode r = run.result();
            assertThat(r.path("traceId").asText()).isEqualTo(trace);
            assertThat(r.path("status").asInt()).isEqualTo(200);
            assertThat(r.path("reason").asText()).isEqualTo("OK");
            assertThat(r.path("contentType").asText()).isEqualTo("text/xml");
            assertThat(r.path("bodyBytes").asInt()).isEqualTo(TinyCmg.MPLIST.length());
            assertThat(r.path("mps").toString()).isEqualTo("[{\"name\":\"MP01\",\"fqdn\":\"mp01.corp.contoso.com\"},"
                    + "{\"name\":\"MP02\",\"fqdn\":\"mp02.corp.contoso.com\"}]");
            assertThat(r.has("error")).isFalse();

            TinyCmg.Seen seen = cmg.take();
            assertThat(seen).isNotNull();
            assertThat(seen.uri()).isEqualTo(PATH);
            assertThat(TraceContext.traceId(seen.headers().get("traceparent"))).isEqualTo(trace);
            assertThat(seen.headers().get("User-Agent")).isEqualTo("SMS CCM 5.0");
            assertThat(seen.headers().get("Host")).isEqualTo(SERVICE + ":" + cmg.port());
            assertThat(seen.peerChain()).isNotEmpty();
            assertThat(seen.peerChain().get(0)).isEqualTo(clientCert.certificate());
            assertThat(seen.remote().getAddress().getHostAddress()).isEqualTo("127.0.0.2");

            List<JsonNode> flow = flowEvents();
            assertThat(flow).singleElement().satisfies(e -> {
                assertThat(e.path("step").asText()).isEqualTo("F3");
                assertThat(e.path("phase").asText()).isEqualTo("response");
                assertThat(e.path("traceId").asText()).isEqualTo(trace);
                assertThat(e.path("from").asText()).isEqualTo("cmg-service");
                assertThat(e.path("to").asText()).isEqualTo("client-sim");
                assertThat(e.path("auth").asText()).isEqualTo("PKI client certificate");
                assertThat(e.path("outcome").asText()).isEqualTo("ok");
                assertThat(e.path("port").asInt()).isEqualTo(cmg.port());
                assertThat(e.path("detail").asText()).isEqualTo("GET " + PATH);
            });
            assertThat(Files.readString(dir.resolve("logs/LocationServices.log")))
                    .contains("Rotating internet management point, new management point [1] is: https://" + SERVICE
                            + ":" + cmg.port() + "/CCM_Proxy_MutualAuth/" + ROLE_ID + " (0)");
        }
    }

    @Test
    void noClientCertSendsNoneAndReportsThe403() throws Exception {
        try (TinyCmg cmg = new TinyCmg(serverGroup, cmgCert, ca.root(), false)) {
            Run run = run(config(cmg.port(), true), "mplist", "--no-client-cert");

            assertThat(run.exit).as(run.out).isEqualTo(1);
            JsonNode r = run.result();
            assertThat(r.path("status").asInt()).isEqualTo(403);
            assertThat(r.path("reason").asText()).isEqualTo("CMGConnector_Clientcertificaterequired");
            assertThat(r.has("mps")).isFalse();
            assertThat(run.out).contains("[CCMHTTP] ERROR: URL=https://" + SERVICE + PATH + ", Port=" + cmg.port()
                    + ", Options=31, Code=0, Text=CCM_E_BAD_HTTP_STATUS_CODE");
            assertThat(run.out).contains("StatusCode=403 StatusText=CMGConnector_Clientcertificaterequired");
            TinyCmg.Seen seen = cmg.take();
            assertThat(seen.peerChain()).isEmpty();
            assertThat(flowEvents()).singleElement().satisfies(e -> {
                assertThat(e.path("auth").asText()).isEqualTo("none");
                assertThat(e.path("outcome").asText()).isEqualTo("http-403");
                assertThat(e.path("status").asInt()).isEqualTo(403);
            });
        }
    }

    @Test
    void serverCertificateForAnotherNameIsATlsFailure() throws Exception {
        IssuedCert other = ca.issue(CertSpec.server("other.contoso.com", List.of("other.contoso.com"), List.of()));
        try (TinyCmg cmg = new TinyCmg(serverGroup, other, ca.root(), false)) {
            Run run = run(config(cmg.port(), true), "mplist");

            assertThat(run.exit).as(run.out).isEqualTo(3);
            assertThat(run.out).contains("[CCMHTTP] ERROR: URL=https://" + SERVICE + PATH + ", Port=" + cmg.port()
                    + ", Options=31, Code=12175, Text=ERROR_WINHTTP_SECURE_FAILURE");
            JsonNode r = run.result();
            assertThat(r.path("status").asInt()).isZero();
            assertThat(r.path("error").asText()).isNotBlank();
            assertThat(cmg.seen).isEmpty();
            assertThat(flowEvents()).singleElement()
                    .satisfies(e -> assertThat(e.path("outcome").asText()).isEqualTo("tls-failed"));
        }
    }

    @Test
    void serverFromAnotherCaIsATlsFailure() throws Exception {
        LabCa rogue = LabCa.createEphemeral();
        IssuedCert rogueCert = rogue.issue(CertSpec.server(SERVICE, List.of(SERVICE), List.of()));
        try (TinyCmg cmg = new TinyCmg(serverGroup, rogueCert, ca.root(), false)) {
            Run run = run(config(cmg.port(), true), "mplist");
            assertThat(run.exit).as(run.out).isEqualTo(3);
            assertThat(run.out).contains("WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CA");
            assertThat(cmg.seen).isEmpty();
        }
    }

    @Test
    void nothingListeningIsAConnectFailure() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        Run run = run(config(port, false), "mplist");
        assertThat(run.exit).as(run.out).isEqualTo(4);
        assertThat(run.result().path("error").asText()).containsIgnoringCase("refused");
        assertThat(flowEvents()).singleElement()
                .satisfies(e -> assertThat(e.path("outcome").asText()).isEqualTo("connect-failed"));
    }

    @Test
    void badTraceIdAndHalfACertificateAreUsageErrors() throws Exception {
        Path cfg = config(443, false);
        Run badTrace = run(cfg, "mplist", "--trace", "xyz");
        assertThat(badTrace.exit).isEqualTo(2);
        assertThat(badTrace.err).contains("--trace: xyz");
        Run halfCert = run(cfg, "mplist", "--client-cert", "a.pem");
        assertThat(halfCert.exit).isEqualTo(2);
        assertThat(halfCert.err).contains("--client-cert and --client-key go together");
    }

    private Path config(int port, boolean withClientCert) throws Exception {
        Path root = dir.resolve("root.crt.pem");
        Files.writeString(root, Pem.toPem(ca.root()));
        TlsFiles tls = null;
        if (withClientCert) {
            tls = new TlsFiles(dir.resolve("client01.crt.pem").toString(), dir.resolve("client01.key.pem").toString());
            clientCert.writePem(Path.of(tls.certFile()), Path.of(tls.keyFile()));
        }
        ClientSimConfig c = new ClientSimConfig("client01.corp.contoso.com", "127.0.0.2", SERVICE, port, ROLE_ID,
                tls, List.of(root.toString()), Map.of(SERVICE, "127.0.0.1"), dir.resolve("logs").toString(), null);
        Path file = dir.resolve("client.json");
        Json.writeFile(file, c);
        return file;
    }

    private List<JsonNode> flowEvents() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("logs/flow-client-sim.jsonl"))) {
            out.add(Json.MAPPER.readTree(line));
        }
        return out;
    }

    private static Run run(Path config, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] all = new String[args.length + 2];
        all[0] = "--config";
        all[1] = config.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        int exit = ClientSimMain.execute(all, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    record Run(int exit, String out, String err) {
        JsonNode result() throws Exception {
            String line = out.lines().filter(l -> l.startsWith("RESULT ")).reduce((a, b) -> b)
                    .orElseThrow(() -> new AssertionError("no RESULT line in: " + out));
            return Json.MAPPER.readTree(line.substring("RESULT ".length()));
        }
    }
}
