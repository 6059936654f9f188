package org.cmglab.cmg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jwt.JWTClaimsSet;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.channel.ChannelPipelines;
import org.cmglab.proto.channel.ConnectorUpgradeHandler;
import org.cmglab.proto.config.ChannelTimings;
import org.cmglab.proto.config.CmgServiceConfig;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.config.PublishedRole;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.config.TokenAuthConfig;
import org.cmglab.proto.jwt.JwtSigner;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.EventLoops;
import org.cmglab.proto.runtime.Json;
import org.cmglab.proto.token.SiteTokenPki;
import org.cmglab.proto.token.SiteTokenService;
import org.cmglab.proto.token.SiteTokenType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real CMG instance with token authentication and a fake connection point: each accepted bearer is forwarded
 * unchanged (the fake MP echoes the headers it got), each refused one gets {@code 401 CMGService_Invalid_Token}; the
 * CMG's own AADAuthInfo and ServiceMetadata; 413 over a published endpoint's content limit.
 */
class CmgServerAuthIntegrationTest {
    static final String SVC = CmgServiceIntegrationTest.SVC;
    static final String ROLE = CmgServiceIntegrationTest.ROLE;
    static final String TENANT = "11111111-2222-4333-8444-555555555555";
    static final String HIERARCHY = "6f1b4c2a-1d2e-4f3a-9b8c-7d6e5f4a3b2c";
    static final String SMSID = "GUID:0F3C8A55-1B2C-4D5E-8F90-123456789ABC";
    static final JwtSigner ENTRA = JwtSigner.generate("entra");

    @TempDir
    static Path dir;
    static LabCa ca;
    static ComponentRuntime rt;
    static CmgService cmg;
    static InetSocketAddress frontDoor;
    static Channel cp;
    static SiteTokenService site;
    static SiteTokenService siteThreeHoursAgo;

    @BeforeAll
    static void start() throws Exception {
        ca = LabCa.createEphemeral();
        Path root = dir.resolve("root.pem");
        Files.writeString(root, Pem.toPem(ca.root()));
        IssuedCert server = ca.issue(CertSpec.server(SVC, List.of(SVC), List.of()));
        server.writePem(dir.resolve("cmg.crt.pem"), dir.resolve("cmg.key.pem"));
        SiteTokenPki pki = SiteTokenPki.loadOrCreate(dir.resolve("pki"));
        site = SiteTokenService.forSigning(pki.signing(), HIERARCHY, Clock.systemUTC(), Duration.ofMinutes(5));
        siteThreeHoursAgo = SiteTokenService.forSigning(pki.signing(), HIERARCHY, Clock.offset(Clock.systemUTC(),
                Duration.ofHours(-3)), Duration.ofMinutes(5));
        TokenAuthConfig auth = new TokenAuthConfig(HIERARCHY, dir.resolve("pki").resolve(SiteTokenPki.SIGNING_CERT_FILE)
                .toString(), null, TENANT, "https://sts.windows.net/" + TENANT + "/", "https://ConfigMgrService",
                "server-app", "client-app", null, ENTRA.publicJwkSetJson(), null, List.of(), 0);
        CmgServiceConfig c = new CmgServiceConfig(SVC, "granitefalls.westus.cloudapp.azure.com", "P01", 0,
                new Endpoint("127.0.0.1", 0), null, new Endpoint("127.0.0.1", 0),
                new TlsFiles(dir.resolve("cmg.crt.pem").toString(), dir.resolve("cmg.key.pem").toString()),
                List.of(root.toString()), List.of(root.toString()), List.of(new PublishedRole(ROLE, "MP", "P01")),
                1 << 20, new ChannelTimings(15_000, 5_000), dir.resolve("logs").toString(), null, auth);
        Json.writeFile(dir.resolve("cmg.json"), c);
        c = Json.readFile(dir.resolve("cmg.json"), CmgServiceConfig.class);
        assertThat(c.tokenAuth().entraJwks()).isNotNull();
        rt = new ComponentRuntime("cmg-service-token-test", dir.resolve("logs"), "CMGService.log", "CMGService", 2);
        cmg = CmgService.start(c, rt);
        frontDoor = cmg.boundAddresses().get(0);
        SslContext cpTls = TlsContexts.client(List.of(ca.root()), ca.issue(CertSpec.client("cmgcp01.corp.contoso.com")),
                "http/1.1");
        Promise<Void> up = rt.group().next().newPromise();
        cp = new Bootstrap().group(rt.group()).channel(EventLoops.socketChannelClass())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(cpTls.newHandler(ch.alloc(), SVC, frontDoor.getPort()), new HttpClientCodec(),
                                new ConnectorUpgradeHandler(SVC, "conn-token", "cmgcp01.corp.contoso.com", "P01", up,
                                        ctx -> ChannelPipelines.installConnectorSide(ctx.channel(),
                                                new ChannelTimings(15_000, 5_000).toSettings(), "fake-cp",
                                                new CmgServiceIntegrationTest.FakeStreams(),
                                                new ChannelInboundHandlerAdapter())));
                    }
                }).connect(frontDoor).sync().channel();
        assertThat(up.await(10, TimeUnit.SECONDS) && up.isSuccess()).as("upgrade %s", up.cause()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> !cmg.registry().status().isEmpty());
    }

    @AfterAll
    static void stop() {
        if (cp != null) {
            cp.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        cmg.close();
        rt.close();
    }

    static TlsTestClient.Raw send(String method, String path, String bearer, String body) throws Exception {
        var ctx = TlsContexts.jdkClient(List.of(ca.root()), null);
        byte[] b = body == null ? new byte[0] : body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return TlsTestClient.exchange(ctx, SVC, frontDoor, method + " " + path + " HTTP/1.1\r\nHost: " + SVC + "\r\n"
                + (bearer == null ? "" : "Authorization: Bearer " + bearer + "\r\n")
                + "Content-Length: " + b.length + "\r\nConnection: close\r\n\r\n" + (body == null ? "" : body));
    }

    static String entra(Instant iat) {
        return ENTRA.sign(new JWTClaimsSet.Builder().issuer("https://sts.windows.net/" + TENANT + "/")
                .audience("https://ConfigMgrService").claim("tid", TENANT).claim("idtyp", "device")
                .claim("deviceid", "d1").issueTime(Date.from(iat)).notBeforeTime(Date.from(iat))
                .expirationTime(Date.from(iat.plusSeconds(3600))).build());
    }

    static void forwarded(TlsTestClient.Raw r, String bearer, String auth) {
        assertThat(r.statusLine()).as(r.body()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(r.body()).contains("Authorization=Bearer " + bearer).contains("auth=" + auth);
    }

    static void refused(TlsTestClient.Raw r, String detail) {
        assertThat(r.statusLine()).as(r.body()).isEqualTo("HTTP/1.1 401 CMGService_Invalid_Token");
        assertThat(r.body()).contains(detail);
    }

    static final String STS = "/CCM_Proxy_ServerAuth/" + ROLE + "/CCM_STS";
    static final String TOKENAUTH = "/CCM_Proxy_ServerAuth/" + ROLE + "/ccm_system_tokenauth/request";
    static final String FORM = "grant_type=urn:sccm:grant:aad&client_id=" + SMSID;

    @Test
    void ccmStsForwardsAnEntraTokenUnchangedAndRefusesAnExpiredOne() throws Exception {
        String ok = entra(Instant.now().truncatedTo(ChronoUnit.SECONDS));
        forwarded(send("POST", STS, ok, FORM), ok, "Entra device token");
        refused(send("POST", STS, entra(Instant.now().minus(Duration.ofHours(2)).truncatedTo(ChronoUnit.SECONDS)), FORM),
                "IDX10223");
    }

    @Test
    void ccmStsForwardsAClientToken() throws Exception {
        String client = site.issueClientToken(SMSID, ca.root());
        forwarded(send("POST", STS, client, FORM), client, "client token");
    }

    @Test
    void messagingForwardsACcmTokenAndRefusesEntraBulkAndNone() throws Exception {
        String ccm = site.issueCcmToken(SiteTokenType.CCM_UDA, SMSID, TENANT, null);
        forwarded(send("CCM_POST", TOKENAUTH, ccm, "<Msg>MP_PolicyManager</Msg>"), ccm, "CCM token (UDA)");
        refused(send("CCM_POST", TOKENAUTH, entra(Instant.now().truncatedTo(ChronoUnit.SECONDS)), "<Msg/>"),
                "only on CCM_STS");
        refused(send("CCM_POST", TOKENAUTH, site.issueBulk(Duration.ofMinutes(5)).token(), "<Msg/>"), "BulkRegistration");
        refused(send("GET", "/CCM_Proxy_ServerAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST", null, null), "IDX10000");
    }

    @Test
    void registrationForwardsABulkTokenAndRefusesAnExpiredOne() throws Exception {
        String bulk = site.issueBulk(Duration.ofMinutes(60)).token();
        forwarded(send("CCM_POST", TOKENAUTH, bulk, "<Msg>MP_ClientRegistration</Msg>"), bulk, "bulk registration token");
        refused(send("CCM_POST", TOKENAUTH, siteThreeHoursAgo.issueBulk(Duration.ofMinutes(60)).token(),
                "<Msg>MP_ClientRegistration</Msg>"), "IDX10223: Lifetime validation failed. The token is expired.");
    }

    @Test
    void cmgAnswersAadAuthInfoAndServiceMetadataItself() throws Exception {
        TlsTestClient.Raw info = send("GET", "/CCM_Proxy_ServerAuth/AADAuthInfo?TenantID=" + TENANT, null, null);
        assertThat(info.statusLine()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(info.body()).contains("\"AADCLIENTAPPID\":\"client-app\"");
        assertThat(send("GET", "/CCM_Proxy_ServerAuth/AADAuthInfo?TenantID=00000000-0000-0000-0000-000000000000", null,
                null).statusLine()).isEqualTo("HTTP/1.1 404 CMGService_TenantNotOnboarded");
        refused(send("GET", "/CCM_Proxy_ServerAuth/ServiceMetadata", siteThreeHoursAgo.issueBulk(Duration.ofMinutes(60))
                .token(), null), "IDX10223");
        assertThat(send("GET", "/CCM_Proxy_MutualAuth/ServiceMetadata", null, null).body()).contains(SVC);
    }

    @Test
    void bodyOverTheEndpointsLimitIs413() throws Exception {
        TlsTestClient.Raw r = send("POST", STS, entra(Instant.now().truncatedTo(ChronoUnit.SECONDS)),
                "x".repeat(70_000));
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 413 CMGService_RequestEntityTooLarge");
    }
}
