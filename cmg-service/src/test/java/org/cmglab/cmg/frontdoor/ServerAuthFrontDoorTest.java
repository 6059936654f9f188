package org.cmglab.cmg.frontdoor;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.JWTClaimsSet;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.cmglab.cmg.auth.ServerAuthGate;
import org.cmglab.cmg.channel.ChannelRegistry;
import org.cmglab.cmg.route.EndpointLimits;
import org.cmglab.proto.config.ChannelTimings;
import org.cmglab.proto.config.PublishedRole;
import org.cmglab.proto.config.TokenAuthConfig;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.jwt.JwtSigner;
import org.cmglab.proto.pki.ClientCertValidator;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.token.SiteTokenPki;
import org.cmglab.proto.token.SiteTokenService;
import org.cmglab.proto.token.SiteTokenType;
import org.cmglab.proto.token.TokenUse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The front door's CCM_Proxy_ServerAuth checks, own endpoints and content limits on an EmbeddedChannel. */
class ServerAuthFrontDoorTest {
    static final String ROLE = "72057594037927939";
    static final String TENANT = "11111111-2222-4333-8444-555555555555";
    static final String HIERARCHY = "6f1b4c2a-1d2e-4f3a-9b8c-7d6e5f4a3b2c";
    static final String SMSID = "GUID:0F3C8A55-1B2C-4D5E-8F90-123456789ABC";
    static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final JwtSigner ENTRA = JwtSigner.generate("entra");

    @TempDir
    static Path dir;
    static SiteTokenService site;
    static FrontDoorContext fd;
    static FlowEventLog events;

    @BeforeAll
    static void setUp() throws Exception {
        SiteTokenPki pki = SiteTokenPki.loadOrCreate(dir);
        site = SiteTokenService.forSigning(pki.signing(), HIERARCHY, CLOCK, Duration.ofMinutes(5));
        TokenAuthConfig c = new TokenAuthConfig(HIERARCHY, dir.resolve(SiteTokenPki.SIGNING_CERT_FILE).toString(), null,
                TENANT, "https://sts.windows.net/" + TENANT + "/", "https://ConfigMgrService", "server-app", "client-app",
                null, ENTRA.publicJwkSetJson(), null, List.of(), 0);
        events = new FlowEventLog("cmg-service-test", dir.resolve("flow.jsonl"));
        ClientCertValidator v = new ClientCertValidator(List.of(LabCa.createEphemeral().root()));
        fd = new FrontDoorContext("cmg-service/0", "P01", Set.of(ROLE), new ChannelRegistry(), v, v, events,
                ChannelTimings.defaults().toSettings(), 443, 5_000, CLOCK, ServerAuthGate.fromConfig(c, CLOCK),
                new CmgOwnEndpoints("GraniteFalls.contoso.com", "ProxyService_IN_0", "ABCD",
                        List.of(new PublishedRole(ROLE, "MP", "P01"))));
    }

    @AfterAll
    static void tearDown() {
        events.close();
    }

    static FullHttpResponse send(FullHttpRequest req) {
        EmbeddedChannel ch = new EmbeddedChannel(new FrontDoorHandler(fd, false, List.of()));
        ch.writeInbound(req);
        FullHttpResponse res = ch.readOutbound();
        assertThat(res).as("a response").isNotNull();
        FullHttpResponse copy = res.copy();
        res.release();
        ch.finishAndReleaseAll();
        return copy;
    }

    static FullHttpRequest req(HttpMethod m, String path, String bearer, byte[] body) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, m, path,
                body == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.HOST, "GraniteFalls.contoso.com");
        if (bearer != null) {
            r.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + bearer);
        }
        HttpUtil.setContentLength(r, r.content().readableBytes());
        return r;
    }

    static String reason(FullHttpResponse r) {
        try {
            return r.status().code() + " " + r.status().reasonPhrase() + ": " + r.content().toString(StandardCharsets.UTF_8);
        } finally {
            r.release();
        }
    }

    static String entra(Instant iat, String aud) {
        return ENTRA.sign(new JWTClaimsSet.Builder().issuer("https://sts.windows.net/" + TENANT + "/").audience(aud)
                .claim("tid", TENANT).claim("idtyp", "device").claim("deviceid", "d1").issueTime(Date.from(iat))
                .notBeforeTime(Date.from(iat)).expirationTime(Date.from(iat.plusSeconds(3600))).build());
    }

    static final String MESSAGING = "/CCM_Proxy_ServerAuth/" + ROLE + "/ccm_system_tokenauth/request";
    static final String STS = "/CCM_Proxy_ServerAuth/" + ROLE + "/CCM_STS";
    // accepted requests reach the channel lookup: no connection point in this test → 503, so the token was accepted
    static final String PASSED = "503 CMGService_NoConnectionPoint";
    static final String REFUSED = "401 CMGService_Invalid_Token";

    @Test
    void ccmStsAcceptsEntraClientAndCcmTokensOnly() {
        assertThat(reason(send(req(HttpMethod.POST, STS, entra(NOW, "https://ConfigMgrService"), null))))
                .startsWith(PASSED);
        assertThat(reason(send(req(HttpMethod.POST, STS, site.issueClientToken(SMSID,
                LabCa.createEphemeral().root()), null)))).startsWith(PASSED);
        assertThat(reason(send(req(HttpMethod.POST, STS, site.issueCcmToken(SiteTokenType.CCM_UDA, SMSID, TENANT,
                null), null)))).startsWith(PASSED);
        assertThat(reason(send(req(HttpMethod.POST, STS, site.issueBulk(Duration.ofMinutes(60)).token(), null))))
                .startsWith(REFUSED).contains("BulkRegistration");
        assertThat(reason(send(req(HttpMethod.POST, STS, entra(NOW.minus(Duration.ofHours(2)), "https://ConfigMgrService"),
                null)))).startsWith(REFUSED).contains("IDX10223");
        assertThat(reason(send(req(HttpMethod.POST, STS, entra(NOW, "https://management.azure.com/"), null))))
                .startsWith(REFUSED).contains("IDX10214");
        assertThat(reason(send(req(HttpMethod.POST, STS, null, null)))).startsWith(REFUSED);
    }

    @Test
    void messagingAcceptsCcmAndClientTokensButNotEntraOrBulk() {
        byte[] other = "<Msg><TargetEndpoint>MP_PolicyManager</TargetEndpoint></Msg>".getBytes(StandardCharsets.UTF_16LE);
        String ccm = site.issueCcmToken(SiteTokenType.CCM_DEVICE, SMSID, null, null);
        assertThat(reason(send(req(HttpMethod.valueOf("CCM_POST"), MESSAGING, ccm, other)))).startsWith(PASSED);
        assertThat(reason(send(req(HttpMethod.GET, "/CCM_Proxy_ServerAuth/" + ROLE + "/SMS_MP/.sms_pol?x", ccm, null))))
                .startsWith(PASSED);
        assertThat(reason(send(req(HttpMethod.valueOf("CCM_POST"), MESSAGING, entra(NOW, "https://ConfigMgrService"),
                other)))).startsWith(REFUSED).contains("only on CCM_STS");
        assertThat(reason(send(req(HttpMethod.valueOf("CCM_POST"), MESSAGING, site.issueBulk(Duration.ofMinutes(9))
                .token(), other)))).startsWith(REFUSED).contains("BulkRegistration");
        assertThat(reason(send(req(HttpMethod.valueOf("CCM_POST"), MESSAGING, "eyJ.garbage.x", other))))
                .startsWith(REFUSED);
    }

    @Test
    void registrationMessageAcceptsABulkTokenUnlessExpired() {
        byte[] reg = "<Msg><TargetEndpoint>MP_ClientRegistration</TargetEndpoint></Msg>".getBytes(StandardCharsets.UTF_16LE);
        assertThat(reason(send(req(HttpMethod.valueOf("CCM_POST"), MESSAGING, site.issueBulk(Duration.ofMinutes(60))
                .token(), reg)))).startsWith(PASSED);
        SiteTokenService past = SiteTokenService.forSigning(SiteTokenServiceHolder.signing(dir), HIERARCHY,
                Clock.fixed(NOW.minus(Duration.ofHours(3)), ZoneOffset.UTC), Duration.ofMinutes(5));
        assertThat(reason(send(req(HttpMethod.valueOf("CCM_POST"), MESSAGING, past.issueBulk(Duration.ofMinutes(60))
                .token(), reg)))).startsWith(REFUSED).contains("IDX10223: Lifetime validation failed. The token is expired.");
        assertThat(ServerAuthGate.useFor("/ccm_system_tokenauth/request", Unpooled.wrappedBuffer(reg)))
                .isEqualTo(TokenUse.REGISTRATION);
        assertThat(ServerAuthGate.useFor("/CCM_STS", null)).isEqualTo(TokenUse.STS);
        assertThat(ServerAuthGate.useFor("/ccm_system/request", Unpooled.wrappedBuffer(reg))).isEqualTo(TokenUse.MESSAGING);
    }

    @Test
    void aadAuthInfoAnswersForTheOnboardedTenantOnly() {
        FullHttpResponse ok = send(req(HttpMethod.GET, "/CCM_Proxy_ServerAuth/AADAuthInfo?TenantID=" + TENANT, null, null));
        assertThat(reason(ok)).startsWith("200").contains("\"AADCLIENTAPPID\":\"client-app\"")
                .contains("\"AADRESOURCEURI\":\"https://ConfigMgrService\"");
        assertThat(reason(send(req(HttpMethod.GET, "/CCM_Proxy_ServerAuth/AADAuthInfo?TenantID=" + java.util.UUID
                .randomUUID(), null, null)))).startsWith("404 CMGService_TenantNotOnboarded");
    }

    @Test
    void serviceMetadataNeedsABearerOnServerAuthOnly() {
        assertThat(reason(send(req(HttpMethod.GET, "/CCM_Proxy_MutualAuth/ServiceMetadata", null, null))))
                .startsWith("200").contains("GraniteFalls.contoso.com");
        assertThat(reason(send(req(HttpMethod.GET, "/CCM_Proxy_ServerAuth/ServiceMetadata", null, null))))
                .startsWith(REFUSED);
        assertThat(reason(send(req(HttpMethod.GET, "/CCM_Proxy_ServerAuth/ServiceMetadata",
                site.issueBulk(Duration.ofMinutes(5)).token(), null)))).startsWith("200");
    }

    @Test
    void contentOverThePublishedEndpointsLimitIs413() {
        EmbeddedChannel ch = new EmbeddedChannel(new ContentLimitHandler(new EndpointLimits(1 << 20), fd));
        HttpRequest big = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, STS);
        HttpUtil.setContentLength(big, EndpointLimits.STS + 1);
        assertThat(ch.writeInbound(big)).isFalse();
        FullHttpResponse r = ch.readOutbound();
        assertThat(reason(r)).startsWith("413 CMGService_RequestEntityTooLarge").contains("CCM_STS accepts at most 65536");
        assertThat(r.headers().get("Connection")).isEqualToIgnoringCase("close");
        // the rest of the body is read and dropped (the client is not reset mid-send), then the connection closes
        assertThat(ch.isOpen()).isTrue();
        io.netty.buffer.ByteBuf rest = Unpooled.wrappedBuffer(new byte[EndpointLimits.STS + 1]);
        assertThat(ch.writeInbound(new DefaultLastHttpContent(rest))).isFalse();
        assertThat(rest.refCnt()).isZero();
        ch.runPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        assertThat(ch.finishAndReleaseAll()).isFalse();

        // a refused body larger than the discard budget is not read to its end: the connection closes at the budget
        EmbeddedChannel huge = new EmbeddedChannel(new ContentLimitHandler(new EndpointLimits(1 << 20), fd));
        HttpRequest hugeReq = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, STS);
        HttpUtil.setContentLength(hugeReq, 1L << 40);
        assertThat(huge.writeInbound(hugeReq)).isFalse();
        assertThat(reason(huge.readOutbound())).startsWith("413");
        for (int i = 0; i < 5 && huge.isOpen(); i++) {
            huge.writeInbound(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[1024 * 1024])));
            huge.runPendingTasks();
        }
        assertThat(huge.isOpen()).as("closed after %d bytes", ContentLimitHandler.DISCARD_BUDGET).isFalse();
        assertThat(huge.finishAndReleaseAll()).isFalse();

        // chunked: refused once it grows past the limit
        EmbeddedChannel chunked = new EmbeddedChannel(new ContentLimitHandler(new EndpointLimits(1 << 20), fd));
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, STS);
        HttpUtil.setTransferEncodingChunked(head, true);
        assertThat(chunked.writeInbound(head)).isTrue();
        assertThat(chunked.writeInbound(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[40_000])))).isTrue();
        assertThat((Object) chunked.readInbound()).isInstanceOf(HttpRequest.class);
        io.netty.util.ReferenceCountUtil.release(chunked.readInbound());
        assertThat(chunked.writeInbound(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[40_000])))).isFalse();
        assertThat(reason(chunked.readOutbound())).startsWith("413");
        chunked.finishAndReleaseAll();

        // the same size is fine for messaging (the instance maximum)
        EmbeddedChannel msg = new EmbeddedChannel(new ContentLimitHandler(new EndpointLimits(1 << 20), fd));
        HttpRequest ok = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf("CCM_POST"), MESSAGING);
        HttpUtil.setContentLength(ok, EndpointLimits.STS + 1);
        assertThat(msg.writeInbound(ok)).isTrue();
        assertThat(msg.writeInbound(new DefaultLastHttpContent(Unpooled.wrappedBuffer(new byte[EndpointLimits.STS + 1]))))
                .isTrue();
        assertThat((Object) msg.readOutbound()).isNull();
        assertThat(msg.finishAndReleaseAll()).isTrue();
    }

    /** Reads the signing certificate written in {@link #setUp}. */
    static final class SiteTokenServiceHolder {
        static org.cmglab.proto.pki.IssuedCert signing(Path dir) {
            try {
                return SiteTokenPki.loadOrCreate(dir).signing();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
