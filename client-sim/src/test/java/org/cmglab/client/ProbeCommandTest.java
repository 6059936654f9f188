package org.cmglab.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.EventLoopGroup;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

/** {@code client-sim probe} against the tiny HTTPS CMG on 127.0.0.1. */
class ProbeCommandTest {
    static final String SERVICE = "GraniteFalls.contoso.com";
    static LabCa ca;
    static IssuedCert cmgCert;
    static IssuedCert clientCert;
    static EventLoopGroup group;

    @TempDir
    Path dir;

    @BeforeAll
    static void setUp() {
        ca = LabCa.createEphemeral();
        cmgCert = ca.issue(CertSpec.server(SERVICE, List.of(SERVICE), List.of()));
        clientCert = ca.issue(CertSpec.client("client01.corp.contoso.com"));
        group = EventLoops.newGroup(1, "tiny-cmg");
    }

    @AfterAll
    static void tearDown() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    @Test
    void sendsAnyVerbWithHeadersSpelledAsGivenAndReportsTheResponse() throws Exception {
        try (TinyCmg cmg = new TinyCmg(group, cmgCert, ca.root(), false)) {
            String trace = TraceContext.newTraceId();
            Run run = run(config(cmg.port()), "probe", "--verb", "CCM_POST", "--path",
                    "/CCM_Proxy_MutualAuth/72057594037927939/ccm_system/request", "--trace", trace,
                    "--header", "CCMClientTimestampsSignature=0A0B", "--header", "CCMClientID=GUID:1",
                    "--body-text", "<Msg/>");
            assertThat(run.exit).as(run.out + run.err).isZero();
            JsonNode r = run.result();
            assertThat(r.path("verb").asText()).isEqualTo("CCM_POST");
            assertThat(r.path("status").asInt()).isEqualTo(200);
            assertThat(r.path("bodyBytes").asInt()).isEqualTo(TinyCmg.MPLIST.length());
            assertThat(r.path("bodyText").asText()).isEqualTo(TinyCmg.MPLIST);
            assertThat(r.path("headers").path("content-type").asText()).isEqualTo("text/xml");
            assertThat(r.path("clientReason").asText(null)).isNull();
            TinyCmg.Seen seen = cmg.take();
            assertThat(seen.headers().names()).contains("CCMClientTimestampsSignature", "CCMClientID");
            assertThat(seen.headers().get("Content-Length")).isEqualTo("6");
            assertThat(TraceContext.traceId(seen.headers().get("traceparent"))).isEqualTo(trace);
        }
    }

    @Test
    void aRefusedRequestCarriesTheClientSideReason() throws Exception {
        try (TinyCmg cmg = new TinyCmg(group, cmgCert, ca.root(), false)) {
            Run run = run(config(cmg.port()), "probe", "--verb", "PROPFIND", "--path", "/CCM_Proxy_MutualAuth/1/x",
                    "--no-client-cert", "--header", "Depth=1");
            assertThat(run.exit).isEqualTo(1);
            assertThat(run.result().path("clientReason").asText()).startsWith("CCM_E_BAD_HTTP_STATUS_CODE: 403")
                    .contains("client certificate required");
            assertThat(run.out).contains("[CCMHTTP] ERROR: PROPFIND /CCM_Proxy_MutualAuth/1/x");
        }
    }

    @Test
    void aPortWithoutListenerIsAConnectFailure() throws Exception {
        int dead;
        try (java.net.ServerSocket ss = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            dead = ss.getLocalPort();
        }
        Run run = run(config(dead), "probe", "--path", "/x");
        assertThat(run.exit).isEqualTo(4);
        assertThat(run.result().path("clientReason").asText()).startsWith("ERROR_WINHTTP_CANNOT_CONNECT (12029)");
    }

    @Test
    void badArgumentsAreUsageErrors() throws Exception {
        Path c = config(1);
        assertThat(run(c, "probe", "--path", "x").exit).isEqualTo(2);
        assertThat(run(c, "probe", "--path", "/x", "--verb", "get it").exit).isEqualTo(2);
        assertThat(run(c, "probe", "--path", "/x", "--header", "no-equals").exit).isEqualTo(2);
        assertThat(run(c, "probe", "--path", "/x", "--via", "10.0.0.1:443").exit).isEqualTo(2);
    }

    private Path config(int port) throws Exception {
        Path root = dir.resolve("root.crt.pem");
        Files.writeString(root, Pem.toPem(ca.root()));
        TlsFiles tls = new TlsFiles(dir.resolve("c.crt.pem").toString(), dir.resolve("c.key.pem").toString());
        clientCert.writePem(Path.of(tls.certFile()), Path.of(tls.keyFile()));
        ClientSimConfig c = new ClientSimConfig("client01.corp.contoso.com", "127.0.0.2", SERVICE, port,
                "72057594037927939", tls, List.of(root.toString()), Map.of(SERVICE, "127.0.0.1"),
                dir.resolve("logs").toString(), null);
        Path file = dir.resolve("client.json");
        Json.writeFile(file, c);
        return file;
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
                    .orElseThrow(() -> new AssertionError("no RESULT line in: " + out + err));
            return Json.MAPPER.readTree(line.substring("RESULT ".length()));
        }
    }
}
