package org.cmglab.site;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.config.SiteSimConfig;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.flow.FlowEvent;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SiteSimTest {
    private static final String FQDN = "mp01.corp.contoso.com";

    @TempDir
    Path dir;

    @Test
    void httpsMpServesMplistRecordsF5AndReportsStatus() throws Exception {
        LabCa ca = LabCa.createEphemeral();
        IssuedCert mpCert = ca.issue(CertSpec.server(FQDN, List.of(FQDN), List.of("127.0.0.1")));
        Path crt = dir.resolve("mp01.crt.pem");
        Path key = dir.resolve("mp01.key.pem");
        mpCert.writePem(crt, key);
        SiteSimConfig config = new SiteSimConfig("P01", "MP01", FQDN, "72057594037927939", true,
                new Endpoint("127.0.0.1", 0), new TlsFiles(crt.toString(), key.toString()),
                new Endpoint("127.0.0.1", 0), dir.resolve("logs").toString());

        ComponentRuntime runtime = new ComponentRuntime("site-sim", dir.resolve("logs"), "MP_GetAuth.log",
                "MP_GetAuth", 2);
        InetSocketAddress mp;
        try {
            SiteSim sim = SiteSim.launch(config, runtime);
            mp = sim.boundAddress();
            assertThat(mp.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
            assertThat(mp.getPort()).isPositive();
            assertThat(sim.url()).isEqualTo("https://" + FQDN + ":" + mp.getPort());
            assertThat(runtime.isReady()).isTrue();

            String trace = TraceContext.newTraceId();
            HttpClient https = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .sslContext(TlsContexts.jdkClient(List.of(ca.root()), null))
                    .connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> r = https.send(HttpRequest.newBuilder(
                            URI.create("https://127.0.0.1:" + mp.getPort() + "/SMS_MP/.sms_aut?MPLIST"))
                    .header("User-Agent", "SMS CCM 5.0").header("traceparent", TraceContext.traceparent(trace))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("<MPList><MP Name=\"MP01\" FQDN=\"" + FQDN + "\"><Version>9128</Version>"
                    + "<Capabilities SchemaVersion=\"1.0\"><Property Name=\"SSLState\" Value=\"1\"/>"
                    + "</Capabilities></MP></MPList>");

            List<FlowEvent> f5 = runtime.events().snapshot(trace);
            assertThat(f5).singleElement().satisfies(e -> {
                assertThat(e.step()).isEqualTo("F5");
                assertThat(e.protocol()).isEqualTo("HTTPS");
                assertThat(e.port()).isEqualTo(mp.getPort());
                assertThat(e.status()).isEqualTo(200);
                assertThat(e.detail()).isEqualTo("GET /SMS_MP/.sms_aut?MPLIST");
            });

            // the admin endpoint main starts
            HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String admin = "http://127.0.0.1:" + sim.adminAddress().getPort();
            HttpResponse<String> status = plain.send(HttpRequest.newBuilder(URI.create(admin + "/status"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode s = Json.MAPPER.readTree(status.body());
            assertThat(s.path("siteCode").asText()).isEqualTo("P01");
            assertThat(s.path("mp").path("name").asText()).isEqualTo("MP01");
            assertThat(s.path("mp").path("fqdn").asText()).isEqualTo(FQDN);
            assertThat(s.path("mp").path("listening").asText()).isEqualTo("127.0.0.1:" + mp.getPort());
            assertThat(s.path("mp").path("https").asBoolean()).isTrue();
            assertThat(s.path("mp").path("roleId").asText()).isEqualTo("72057594037927939");
            assertThat(s.path("requestsServed").asLong()).isEqualTo(1);
            HttpResponse<String> ready = plain.send(HttpRequest.newBuilder(URI.create(admin + "/ready"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(200);
        } finally {
            runtime.close();
        }
        assertThatThrownBy(() -> new Socket(mp.getAddress(), mp.getPort()).close())
                .isInstanceOf(ConnectException.class);
    }

    @Test
    void httpMpWithoutCertificateFilesUsesThrowAwayCertAndStableGuids() throws Exception {
        SiteSimConfig config = new SiteSimConfig("P01", null, FQDN, "72057594037927939", false,
                new Endpoint("127.0.0.1", 0), null, new Endpoint("127.0.0.1", 0), dir.toString());
        ComponentRuntime runtime = new ComponentRuntime("site-sim", dir.resolve("logs"), "MP_GetAuth.log",
                "MP_GetAuth", 1);
        try {
            SiteSim sim = SiteSim.start(config, runtime);
            assertThat(sim.identity().name()).isEqualTo("MP01");
            assertThat(sim.identity().unknownMachineGuidX64())
                    .isEqualTo(SiteSim.unknownMachineGuid("p01", "x64"))
                    .isNotEqualTo(sim.identity().unknownMachineGuidX86())
                    .isNotEqualTo(SiteSim.unknownMachineGuid("P02", "x64"));
            HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> r = plain.send(HttpRequest.newBuilder(URI.create(
                            "http://127.0.0.1:" + sim.boundAddress().getPort() + "/SMS_MP/.sms_aut?MPKEYINFORMATIONMEDIA"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("x64UnknownMachineGUID=\"" + sim.identity().unknownMachineGuidX64() + "\"");
            assertThat(runtime.events().snapshot(null)).singleElement()
                    .satisfies(e -> assertThat(e.protocol()).isEqualTo("HTTP"));
        } finally {
            runtime.close();
        }
    }

    @Test
    void httpsMpWithAnExtraHttpListenerServesMessagingOnBoth() throws Exception {
        LabCa ca = LabCa.createEphemeral();
        IssuedCert mpCert = ca.issue(CertSpec.server(FQDN, List.of(FQDN), List.of("127.0.0.1")));
        Path crt = dir.resolve("mp01.crt.pem");
        Path key = dir.resolve("mp01.key.pem");
        mpCert.writePem(crt, key);
        SiteSimConfig config = new SiteSimConfig("P01", "MP01", FQDN, "72057594037927939", true,
                new Endpoint("127.0.0.1", 0), new TlsFiles(crt.toString(), key.toString()),
                new Endpoint("127.0.0.1", 0), dir.resolve("logs").toString(),
                new org.cmglab.proto.config.MpMessagingConfig(null, null, "GraniteFalls.contoso.com", 443,
                        "72057594037927939", null, null, null, null, new Endpoint("127.0.0.1", 0)));
        ComponentRuntime runtime = new ComponentRuntime("site-sim", dir.resolve("logs"), "MP_GetAuth.log",
                "MP_GetAuth", 1);
        try {
            SiteSim sim = SiteSim.start(config, runtime);
            assertThat(sim.extraHttpAddress()).isNotNull();
            var cert = org.cmglab.proto.ccm.ClientSigningCert.generate(java.time.Instant.now());
            var requests = new org.cmglab.proto.ccm.ClientRequests("CLIENT01", "client01", FQDN, "P01",
                    cert.keyPair().getPrivate(), cert.certificate());
            HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            HttpClient https = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .sslContext(TlsContexts.jdkClient(List.of(ca.root()), null)).connectTimeout(Duration.ofSeconds(5))
                    .build();
            for (var c : List.of(java.util.Map.entry(https, "https://127.0.0.1:" + sim.boundAddress().getPort()),
                    java.util.Map.entry(plain, "http://127.0.0.1:" + sim.extraHttpAddress().getPort()))) {
                HttpResponse<byte[]> r = c.getKey().send(HttpRequest.newBuilder(URI.create(c.getValue()
                                + "/ccm_system/request")).header("Content-Type",
                                org.cmglab.proto.ccm.CcmMultipart.CONTENT_TYPE)
                        .method("CCM_POST", HttpRequest.BodyPublishers.ofByteArray(
                                requests.registration(java.time.Instant.now()).bytes()))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
                assertThat(r.statusCode()).as(c.getValue()).isEqualTo(200);
            }
            assertThat(sim.status().messaging()).containsEntry("registeredClients", 2);
            assertThat(runtime.logDir().resolve("MP_RegistrationManager.log")).exists();
        } finally {
            runtime.close();
        }
    }
}
