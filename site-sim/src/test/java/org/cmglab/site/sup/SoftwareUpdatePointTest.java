package org.cmglab.site.sup;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.ClientAuthMode;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.EventLoops;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.assertj.core.api.Assertions;

/** The emulated WSUS on loopback (HTTP and HTTPS) driven the way Windows Update Agent scans. */
class SoftwareUpdatePointTest {
    static final String SUP = "sup01.corp.contoso.com";
    static io.netty.channel.EventLoopGroup group;
    static SoftwareUpdatePointServer server;
    static FlowEventLog events = new FlowEventLog("site-sim", null);
    static HttpClient https;
    static HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        LabCa ca = LabCa.createEphemeral();
        IssuedCert cert = ca.issue(CertSpec.server(SUP, List.of(SUP), List.of("127.0.0.1")));
        group = EventLoops.newGroup(1, "sup-test");
        server = SoftwareUpdatePointServer.start("SUP01", new Endpoint("127.0.0.1", 0), new Endpoint("127.0.0.1", 0),
                TlsContexts.server(cert, ClientAuthMode.NONE, List.of()), events, group);
        https = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .sslContext(TlsContexts.jdkClient(List.of(ca.root()), null)).build();
    }

    @AfterAll
    static void stop() {
        server.close();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    static String envelope(String ns, String inner) {
        return "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/"
                + "envelope/\"><soap:Body>" + inner.replace("%NS%", ns) + "</soap:Body></soap:Envelope>";
    }

    static HttpResponse<String> soap(boolean tls, String path, String action, String body) throws Exception {
        var a = tls ? server.httpsAddress() : server.httpAddress();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create((tls ? "https://127.0.0.1:" : "http://127.0.0.1:")
                        + a.getPort() + path)).header("Content-Type", "text/xml; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(10));
        if (action != null) {
            b.header("SOAPAction", "\"" + action + "\"");
        }
        return (tls ? https : http).send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String between(String s, String tag) {
        Matcher m = Pattern.compile("<" + tag + ">([^<]*)</" + tag + ">").matcher(s);
        Assertions.assertThat(m.find()).as("<%s> in %s", tag, s).isTrue();
        return m.group(1);
    }

    @Test
    void windowsUpdateAgentScanGetsConfigCookiesAndTheFixedUpdateSet() throws Exception {
        String ns = WsusSoap.NS;
        HttpResponse<String> cfg = soap(true, "/ClientWebService/client.asmx", ns + "/GetConfig",
                envelope(ns, "<GetConfig xmlns=\"%NS%\"><protocolVersion>1.20</protocolVersion></GetConfig>"));
        assertThat(cfg.statusCode()).isEqualTo(200);
        assertThat(cfg.headers().firstValue("content-type")).contains("text/xml; charset=utf-8");
        assertThat(cfg.body()).contains("<PlugInID>SimpleTargeting</PlugInID>")
                .contains("<ServiceUrl>SimpleAuthWebService/SimpleAuth.asmx</ServiceUrl>");

        String an = WsusSoap.AUTH_NS;
        HttpResponse<String> auth = soap(true, "/SimpleAuthWebService/SimpleAuth.asmx", an + "/GetAuthorizationCookie",
                envelope(an, "<GetAuthorizationCookie xmlns=\"%NS%\"><clientId>GUID-1</clientId>"
                        + "<targetGroupName/><dnsName>client01.corp.contoso.com</dnsName></GetAuthorizationCookie>"));
        assertThat(auth.statusCode()).isEqualTo(200);
        String authCookie = between(auth.body(), "CookieData");

        HttpResponse<String> cookie = soap(true, "/ClientWebService/client.asmx", ns + "/GetCookie",
                envelope(ns, "<GetCookie xmlns=\"%NS%\"><authCookies><AuthorizationCookie><PlugInId>SimpleTargeting"
                        + "</PlugInId><CookieData>" + authCookie + "</CookieData></AuthorizationCookie></authCookies>"
                        + "<protocolVersion>1.20</protocolVersion></GetCookie>"));
        assertThat(cookie.statusCode()).as(cookie.body()).isEqualTo(200);
        String c = between(cookie.body(), "EncryptedData");

        HttpResponse<String> sync = soap(false, "/ClientWebService/client.asmx", ns + "/SyncUpdates",
                envelope(ns, "<SyncUpdates xmlns=\"%NS%\"><cookie><Expiration>x</Expiration><EncryptedData>" + c
                        + "</EncryptedData></cookie><parameters><ExpressQuery>false</ExpressQuery></parameters>"
                        + "</SyncUpdates>"));
        assertThat(sync.statusCode()).as(sync.body()).isEqualTo(200);
        for (WsusSoap.Update u : WsusSoap.UPDATES) {
            assertThat(sync.body()).contains("<ID>" + u.revisionId() + "</ID>").contains(u.updateId());
        }
        assertThat(sync.body()).contains("<Truncated>false</Truncated>").contains("<NewCookie>");
        assertThat(events.snapshot(null)).anySatisfy(e -> {
            assertThat(e.step()).isEqualTo("F5");
            assertThat(e.to()).isEqualTo("site-sim/SUP01");
            assertThat(e.detail()).isEqualTo("POST /ClientWebService/client.asmx");
        });
    }

    @Test
    void badSoapGetsAClientFaultNever500() throws Exception {
        String ns = WsusSoap.NS;
        String path = "/ClientWebService/client.asmx";
        record Case(String action, String body, String code, String text) {}
        List<Case> cases = List.of(
                new Case(null, envelope(ns, "<GetConfig xmlns=\"%NS%\"/>"), "Client", "SOAPAction"),
                new Case(ns + "/Nope", envelope(ns, "<Nope xmlns=\"%NS%\"/>"), "Client", "did not recognize"),
                new Case(ns + "/GetConfig", "<soap:Envelope", "Client", "malformed XML"),
                new Case(ns + "/GetConfig", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>",
                        "Client", "malformed XML"),
                new Case(ns + "/GetConfig", "<Envelope/>", "VersionMismatch", "not a SOAP 1.1 envelope"),
                new Case(ns + "/GetConfig", envelope(ns, "<GetCookie xmlns=\"%NS%\"/>"), "Client", "no GetConfig"),
                new Case(ns + "/SyncUpdates", envelope(ns, "<SyncUpdates xmlns=\"%NS%\"/>"), "Client", "missing"),
                new Case(ns + "/SyncUpdates", envelope(ns, "<SyncUpdates xmlns=\"%NS%\"><cookie><EncryptedData>"
                        + "MTl8Zm9yZ2Vk</EncryptedData></cookie></SyncUpdates>"), "InvalidCookie", "not issued"),
                new Case(ns + "/SyncUpdates", envelope(ns, "<SyncUpdates xmlns=\"%NS%\"><cookie><EncryptedData>"
                        + "***</EncryptedData></cookie></SyncUpdates>"), "InvalidCookie", "not base64"));
        for (Case k : cases) {
            HttpResponse<String> r = soap(false, path, k.action(), k.body());
            assertThat(r.statusCode()).as("%s: %s", k, r.body()).isEqualTo(400);
            assertThat(r.body()).as(k.toString()).contains("<soap:Fault>").contains("<ErrorCode>" + k.code() + "</ErrorCode>")
                    .contains(k.text());
            assertThat(r.body()).doesNotContain("root:");
        }
    }

    @Test
    void anExpiredCookieIsRefused() {
        WsusSoap past = new WsusSoap(Clock.fixed(Instant.parse("2020-01-01T00:00:00Z"), ZoneOffset.UTC));
        String old = past.cookie();
        Assertions.assertThatThrownBy(() -> past.check(old + "x", "cookie")).isInstanceOf(WsusSoap.SoapFault.class);
        WsusSoap now = new WsusSoap(Clock.systemUTC());
        Assertions.assertThatThrownBy(() -> now.check(old, "cookie")).hasMessageContaining("not issued by this server");
        WsusSoap later = new WsusSoap(Clock.offset(Clock.systemUTC(), Duration.ZERO));
        Assertions.assertThatCode(() -> later.check(later.cookie(), "cookie")).doesNotThrowAnyException();
    }

    @Test
    void wuidentCabAnswersGetAndHeadAndOtherVerbsGet405() throws Exception {
        String base = "http://127.0.0.1:" + server.httpAddress().getPort();
        HttpResponse<byte[]> get = http.send(HttpRequest.newBuilder(URI.create(base + "/selfupdate/wuident.cab"))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).startsWith('M', 'S', 'C', 'F').isEqualTo(WsusHttpHandler.WUIDENT_CAB);
        HttpResponse<byte[]> head = http.send(HttpRequest.newBuilder(URI.create(base + "/selfupdate/wuident.cab"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValueAsLong("content-length")).hasValue(WsusHttpHandler.WUIDENT_CAB.length);
        assertThat(head.body()).isEmpty();
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(base + "/selfupdate/wuident.cab"))
                .PUT(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).isEqualTo(405);
        assertThat(put.headers().firstValue("allow")).contains("GET, HEAD");
        HttpResponse<String> getAsmx = http.send(HttpRequest.newBuilder(URI.create(base + "/ClientWebService/client.asmx"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(getAsmx.statusCode()).isEqualTo(405);
        HttpResponse<String> other = http.send(HttpRequest.newBuilder(URI.create(base + "/ApiRemoting30/WebService.asmx"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(other.statusCode()).isEqualTo(404);
    }
}
