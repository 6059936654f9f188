package org.cmglab.site.ccm;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cmglab.proto.ccm.CcmClientHeaders;
import org.cmglab.proto.ccm.CcmMessage;
import org.cmglab.proto.ccm.CcmMultipart;
import org.cmglab.proto.ccm.ClientRequests;
import org.cmglab.proto.ccm.ClientSigningCert;
import org.cmglab.proto.ccm.SecretPolicyEnvelope;
import org.cmglab.proto.ccm.Utf16;
import org.cmglab.proto.ccm.Zlib;
import org.cmglab.proto.config.MpMessagingConfig;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.token.SiteToken;
import org.cmglab.proto.token.SiteTokenPki;
import org.cmglab.proto.token.SiteTokenService;
import org.cmglab.proto.token.SiteTokenType;
import org.cmglab.proto.token.TokenUse;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.MessageDigest;
import java.security.interfaces.RSAPrivateKey;
import java.util.Date;
import org.cmglab.proto.runtime.EventLoops;
import org.cmglab.site.mp.ManagementPointServer;
import org.cmglab.site.mp.MpIdentity;
import org.cmglab.site.mp.MpRequestRecord;
import org.cmglab.site.mp.SmsAutResponder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The MP's CcmMessaging and .sms_pol over loopback HTTP, with the request bytes the public clients send. */
class MpMessagingIntegrationTest {
    static final String ROLE = "72057594037927939";
    static EventLoopGroup group;
    static ManagementPointServer server;
    static MpMessaging messaging;
    static final String HIERARCHY = "6f1b4c2a-1d2e-4f3a-9b8c-7d6e5f4a3b2c";
    static final SiteTokenPki PKI = SiteTokenPki.createEphemeral();
    static final SiteTokenService tokens = SiteTokenService.forSigning(PKI.signing(), HIERARCHY, Clock.systemUTC(),
            Duration.ofMinutes(5));
    static final List<MpRequestRecord> records = new CopyOnWriteArrayList<>();
    static URI base;
    static HttpClient http;
    static ClientSigningCert.Generated cert;
    static ClientRequests client;

    @BeforeAll
    static void start() {
        group = EventLoops.newGroup(1, "mp-ccm-test");
        MpMessagingConfig cfg = new MpMessagingConfig(true, false, "GraniteFalls.contoso.com", 20443, ROLE, null,
                null, null, 300, null);
        messaging = new MpMessaging("P01", "MP01", "mp01.corp.contoso.com", false, 9128, cfg,
                new SiteTokenMessageAuthenticator(tokens),
                (pkg, v, internet) -> internet ? List.of("<LocationRecord><URL Name=\"https://cmg/" + pkg
                        + "\"/></LocationRecord>") : List.of(), Clock.systemUTC())
                .clientTokenIssuer(tokens::issueClientToken);
        X509Certificate mpCert = ClientSigningCert.generate(Instant.now()).certificate();
        MpIdentity id = new MpIdentity("MP01", "mp01.corp.contoso.com", "P01", 9128, false, mpCert, mpCert, "a", "b");
        server = ManagementPointServer.start(new InetSocketAddress("127.0.0.1", 0), null, new SmsAutResponder(id),
                records::add, group, new CcmMessagingHandler(messaging, records::add));
        base = URI.create("http://127.0.0.1:" + server.boundAddress().getPort());
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        cert = ClientSigningCert.generate(Instant.now());
        client = new ClientRequests("CLIENT01", "client01.corp.contoso.com", "mp01.corp.contoso.com", "P01",
                cert.keyPair().getPrivate(), cert.certificate());
    }

    @AfterAll
    static void stop() {
        server.close();
        group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    static HttpResponse<byte[]> ccmPost(String path, byte[] body, Map<String, String> extra) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10))
                .header("User-Agent", "ConfigMgr Messaging HTTP Sender")
                .header("Content-Type", CcmMultipart.CONTENT_TYPE)
                .method("CCM_POST", HttpRequest.BodyPublishers.ofByteArray(body));
        extra.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static HttpResponse<byte[]> get(String pathAndQuery, Map<String, String> headers) throws Exception {
        // as python-requests sends it: { and } percent-encoded
        String encoded = pathAndQuery.replace("{", "%7B").replace("}", "%7D");
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(encoded)).timeout(Duration.ofSeconds(10));
        headers.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static String replyXml(HttpResponse<byte[]> r) {
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.ISO_8859_1)).isEqualTo(200);
        String ct = r.headers().firstValue("content-type").orElseThrow();
        // sccmwtf: the application/octet-stream part, zlib-decompressed, decoded as UTF-16
        List<CcmMultipart.Part> parts = CcmMultipart.parse(ct, r.body());
        assertThat(parts).extracting(CcmMultipart.Part::contentType)
                .containsExactly("text/plain; charset=UTF-16", "application/octet-stream");
        String viaZlib = Utf16.stripTerminator(Utf16.decode(Zlib.decompress(parts.get(1).body(), 1 << 22)));
        String decoded = CcmMessage.decode(ct, r.body(), CcmMessage.Limits.DEFAULT).bodyXml();
        assertThat(viaZlib).isEqualTo(decoded);
        return decoded;
    }

    static String register(ClientRequests c) throws Exception {
        String xml = replyXml(ccmPost("/ccm_system/request", c.registration(Instant.now()).bytes(), Map.of()));
        Matcher m = Pattern.compile("SMSID=\"GUID:([^\"]+)\"").matcher(xml); // sccmwtf's regex
        assertThat(m.find()).as(xml).isTrue();
        return m.group(1);
    }

    @Test
    void fullClientFlow() throws Exception {
        String smsId = register(client);
        assertThat(messaging.registry().get(smsId).approved()).isTrue();
        assertThat(messaging.registry().get(smsId).signing()).isEqualTo(cert.certificate());

        String assignments = replyXml(ccmPost("/ccm_system/request",
                client.requestAssignments(smsId, Instant.now()).bytes(), Map.of()));
        assertThat(assignments).startsWith("<ReplyAssignments").contains("GUID:" + smsId);
        // sccmwtf's NAA regex
        Matcher naa = Pattern.compile("PolicyCategory=\"NAAConfig\".*?<!\\[CDATA\\[https*://<mp>([^]]+)",
                Pattern.DOTALL).matcher(assignments);
        assertThat(naa.find()).isTrue();
        String secretPath = naa.group(1);
        assertThat(secretPath).startsWith("/SMS_MP/.sms_pol?{").contains(".SHA256:");
        Matcher plain = Pattern.compile("PolicyCategory=\"ClientAgentConfig\".*?<!\\[CDATA\\[http://<mp>([^]]+)",
                Pattern.DOTALL).matcher(assignments);
        assertThat(plain.find()).isTrue();

        // a normal policy with the CCMClient headers
        Map<String, String> h = CcmClientHeaders.ccmClient("GUID:" + smsId, cert.keyPair().getPrivate(), Instant.now());
        HttpResponse<byte[]> p = get(plain.group(1), h);
        assertThat(p.statusCode()).isEqualTo(200);
        assertThat(Utf16.decode(p.body())).contains("CCM_ClientAgentConfig");
        // PXEThief: the same signed headers for several policies, up to 32 uses; the 33rd is a replay
        String otherPolicy = messaging.policies().all().get(1).location().replace("http://<mp>", "");
        for (int i = 2; i <= 32; i++) {
            assertThat(get(i % 2 == 0 ? otherPolicy : plain.group(1), h).statusCode()).as("use %d", i).isEqualTo(200);
        }
        long replays = messaging.refused().getOrDefault("403 REPLAY", 0L);
        HttpResponse<byte[]> replay = get(otherPolicy, h);
        assertThat(replay.statusCode()).isEqualTo(403);
        assertThat(messaging.refused()).containsEntry("403 REPLAY", replays + 1);

        // secret policy: without ClientToken an <HTML> refusal (sccmwtf retries then), with it CMS to our cert
        HttpResponse<byte[]> refused = get(secretPath, Map.of());
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(new String(refused.body(), StandardCharsets.US_ASCII)).startsWith("<HTML>");
        HttpResponse<byte[]> secret = get(secretPath, CcmClientHeaders.clientToken(smsId, cert.keyPair().getPrivate(),
                Instant.now()));
        assertThat(secret.statusCode()).isEqualTo(200);
        assertThat(secret.headers().firstValue("content-type")).hasValue("text/xml");
        assertThat(SecretPolicyEnvelope.contentAlgorithm(secret.body())).isEqualTo("1.2.840.113549.3.7");
        String policy = Utf16.decode(SecretPolicyEnvelope.decrypt(secret.body(), cert.keyPair().getPrivate()));
        assertThat(policy).contains("CCM_NetworkAccessAccount").contains("svc-cmglab-naa");
        // PXEThief style: the secret policy with fresh CCMClient headers instead of ClientToken
        HttpResponse<byte[]> media = get(secretPath, CcmClientHeaders.ccmClient("GUID:" + smsId,
                cert.keyPair().getPrivate(), Instant.now().plusSeconds(1)));
        assertThat(media.statusCode()).isEqualTo(200);
        assertThat(Utf16.decode(SecretPolicyEnvelope.decrypt(media.body(), cert.keyPair().getPrivate())))
                .contains("CCM_NetworkAccessAccount");
        // a wrong hash is not found
        assertThat(get(secretPath.substring(0, secretPath.length() - 4) + "0000", Map.of()).statusCode()).isEqualTo(404);

        // location
        String mps = replyXml(ccmPost("/ccm_system/request", client.enumerateMpLocations("GUID:" + smsId,
                Instant.now()).bytes(), Map.of()));
        assertThat(mps).contains("GraniteFalls.contoso.com:20443/CCM_Proxy_MutualAuth/" + ROLE)
                .contains("HTTP://mp01.corp.contoso.com");
        assertThat(replyXml(ccmPost("/ccm_system/request", client.siteInformation("GUID:" + smsId, Instant.now())
                .bytes(), Map.of()))).startsWith("<SiteInfoReply").contains("<Code>P01</Code>");
        assertThat(replyXml(ccmPost("/ccm_system/request", client.wsusLocation("GUID:" + smsId, true, Instant.now())
                .bytes(), Map.of()))).contains("WSUSURL=\"https://GraniteFalls.contoso.com:20443/CCM_Proxy_MutualAuth/"
                + "72057594037927941\"");
        assertThat(replyXml(ccmPost("/ccm_system/request", client.wsusLocation("GUID:" + smsId, false, Instant.now())
                .bytes(), Map.of()))).contains("WSUSURL=\"https://sup01.corp.contoso.com:8531\"");
        assertThat(replyXml(ccmPost("/ccm_system/request", client.contentLocation("GUID:" + smsId, "P0100005", true,
                Instant.now()).bytes(), Map.of()))).contains("https://cmg/P0100005").doesNotContain("SMS_DP_SMSPKG$");
        assertThat(replyXml(ccmPost("/ccm_system/request", client.contentLocation("GUID:" + smsId, "P0100005", false,
                Instant.now()).bytes(), Map.of()))).contains("SMS_DP_SMSPKG$/P0100005");

        assertThat(messaging.served()).containsEntry(MpMessaging.REGISTRATION, 1L)
                .containsEntry(MpMessaging.POLICY, 1L);
        assertThat(records).anySatisfy(r -> assertThat(r.method()).isEqualTo("CCM_POST"));
    }

    static Map<String, String> bearer(String token) {
        return Map.of("Authorization", "Bearer " + token, "CcmTokenAuth", "1");
    }

    @SuppressWarnings("deprecation") // x5t
    static String signed(JWTClaimsSet claims, IssuedCert key) throws Exception {
        JWSHeader h = new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT)
                .x509CertThumbprint(Base64URL.encode(MessageDigest.getInstance("SHA-1")
                        .digest(PKI.signing().certificate().getEncoded()))).build();
        SignedJWT jwt = new SignedJWT(h, claims);
        jwt.sign(new RSASSASigner((RSAPrivateKey) key.privateKey()));
        return jwt.serialize();
    }

    @Test
    void tokenAuthRegistrationIssuesABoundClientTokenAndMessagingChecksEveryToken() throws Exception {
        // a bulk token registers and gets a client token bound to the registration's signing certificate
        ClientSigningCert.Generated mine = ClientSigningCert.generate(Instant.now());
        ClientRequests c = new ClientRequests("TOKEN01", "token01.corp.contoso.com", "mp01.corp.contoso.com", "P01",
                mine.keyPair().getPrivate(), mine.certificate());
        String bulk = tokens.issueBulk(Duration.ofHours(1)).token();
        String reply = replyXml(ccmPost("/ccm_system_tokenauth/request", c.registration(Instant.now()).bytes(),
                bearer(bulk)));
        Matcher sm = Pattern.compile("SMSID=\"(GUID:[^\"]+)\"").matcher(reply);
        Matcher tm = Pattern.compile("<ClientToken>([^<]+)</ClientToken>").matcher(reply);
        assertThat(sm.find()).as(reply).isTrue();
        assertThat(tm.find()).as(reply).isTrue();
        String smsId = sm.group(1);
        SiteToken clientToken = tokens.verify(tm.group(1), TokenUse.MESSAGING);
        assertThat(clientToken.type()).isEqualTo(SiteTokenType.CLIENT_TOKEN);
        assertThat(clientToken.deviceId()).isEqualTo(smsId);
        assertThat(clientToken.confirmationThumbprint())
                .isEqualTo(SiteTokenService.confirmationThumbprint(mine.certificate()));
        // the ccm_system_tokenauth family without a token answers no client token
        assertThat(replyXml(ccmPost("/ccm_system/request", c.registration(Instant.now()).bytes(), Map.of())))
                .doesNotContain("<ClientToken>");

        // messaging with the client token and with a CCM token for the same device
        assertThat(replyXml(ccmPost("/ccm_system_tokenauth/request", c.requestAssignments(smsId, Instant.now())
                .bytes(), bearer(tm.group(1))))).contains("<ReplyAssignments");
        String ccm = tokens.issueCcmToken(SiteTokenType.CCM_DEVICE, smsId, null, null);
        assertThat(replyXml(ccmPost("/ccm_system_tokenauth/request", c.wsusLocation(smsId, true, Instant.now())
                .bytes(), bearer(ccm)))).contains("/CCM_Proxy_ServerAuth/72057594037927941");
        // re-registration with the client token keeps the device's SMSID
        assertThat(replyXml(ccmPost("/ccm_system_tokenauth/request", c.registration(Instant.now()).bytes(),
                bearer(tm.group(1))))).contains("SMSID=\"" + smsId + "\"").contains("<ClientToken>");

        // refusals: status and reason kind, each counted (and logged) by the MP
        JWTClaimsSet good = SignedJWT.parse(tm.group(1)).getJWTClaimsSet();
        String expired = signed(new JWTClaimsSet.Builder(good).notBeforeTime(Date.from(Instant.now().minusSeconds(7200)))
                .expirationTime(Date.from(Instant.now().minusSeconds(3600))).build(), PKI.signing());
        String notYet = signed(new JWTClaimsSet.Builder(good).notBeforeTime(Date.from(Instant.now().plusSeconds(3600)))
                .build(), PKI.signing());
        String forged = signed(good, LabCa.createRoot("forger", null).rootWithKey());
        String wrongAud = signed(new JWTClaimsSet.Builder(good).audience("https://ConfigMgrService").build(),
                PKI.signing());
        String wrongIss = signed(new JWTClaimsSet.Builder(good).issuer("urn:sccm:oauth2:"
                + java.util.UUID.randomUUID()).build(), PKI.signing());
        var blocked = tokens.issueBulk(Duration.ofHours(1));
        tokens.block(blocked.uniqueId());
        String otherDevice = tokens.issueClientToken("GUID:" + java.util.UUID.randomUUID(), mine.certificate());
        record Case(String name, byte[] message, Map<String, String> headers, int status, String kind) {}
        byte[] assignments = c.requestAssignments(smsId, Instant.now()).bytes();
        List<Case> cases = List.of(
                new Case("no bearer", assignments, Map.of("CcmTokenAuth", "1"), 401, "MALFORMED"),
                new Case("not a JWT", assignments, bearer("abc.def.ghi"), 401, "MALFORMED"),
                new Case("expired", assignments, bearer(expired), 401, "EXPIRED"),
                new Case("not yet valid", assignments, bearer(notYet), 401, "NOT_YET_VALID"),
                new Case("forged", assignments, bearer(forged), 401, "BAD_SIGNATURE"),
                new Case("wrong audience", assignments, bearer(wrongAud), 401, "WRONG_AUDIENCE"),
                new Case("wrong issuer", assignments, bearer(wrongIss), 401, "WRONG_ISSUER"),
                new Case("bulk token for messaging", assignments, bearer(bulk), 403, "WRONG_TYPE"),
                new Case("blocked bulk token", c.registration(Instant.now()).bytes(), bearer(blocked.token()), 403,
                        "BLOCKED"),
                new Case("another device's token", assignments, bearer(otherDevice), 403, "DEVICE_MISMATCH"));
        for (Case k : cases) {
            String key = k.status() + " TOKEN_" + k.kind(); // the refusal kind the MP logs and counts
            long before = messaging.refused().getOrDefault(key, 0L);
            HttpResponse<byte[]> r = ccmPost("/ccm_system_tokenauth/request", k.message(), k.headers());
            assertThat(r.statusCode()).as(k.name()).isEqualTo(k.status());
            if (k.status() == 401) {
                assertThat(r.headers().allValues("www-authenticate")).as(k.name()).contains("Bearer");
            }
            assertThat(messaging.refused().getOrDefault(key, 0L)).as(k.name() + " counted as " + key)
                    .isEqualTo(before + 1);
        }
    }

    @Test
    void refusesBadInputWithTheRightStatus() throws Exception {
        String smsId = register(client);
        // bad zlib
        ClientRequests.Built reg = client.registration(Instant.now());
        byte[] broken = CcmMessage.frame(reg.header(), new byte[] {0x78, (byte) 0x9C, 1, 2, 3});
        assertThat(ccmPost("/ccm_system/request", broken, Map.of()).statusCode()).isEqualTo(400);
        // malformed multipart
        assertThat(ccmPost("/ccm_system/request", "garbage".getBytes(StandardCharsets.US_ASCII), Map.of())
                .statusCode()).isEqualTo(400);
        // wrong UTF-16: an odd number of body bytes (uncompressed)
        byte[] odd = {'<', 0, 'A'};
        byte[] oddMsg = CcmMessage.frame(reg.header().toBuilder().body(1, 0).zlibCompressed(false).build(), odd);
        assertThat(ccmPost("/ccm_system/request", oddMsg, Map.of()).statusCode()).isEqualTo(400);
        // registration without its SignatureValue
        String unsigned = reg.bodyXml().replaceAll("<Signature>.*</Signature>", "");
        byte[] up = CcmMessage.plainBody(unsigned);
        byte[] unsignedMsg = CcmMessage.frame(reg.header().toBuilder().body(up.length - 2, 0).build(), Zlib.compress(up));
        assertThat(ccmPost("/ccm_system/request", unsignedMsg, Map.of()).statusCode()).isEqualTo(403);
        // registration whose Data was changed after signing
        String tampered = reg.bodyXml().replace("CLIENT01", "EVIL0001");
        byte[] plain = CcmMessage.plainBody(tampered);
        byte[] tamperedMsg = CcmMessage.frame(reg.header().toBuilder().body(plain.length - 2, 0).build(),
                Zlib.compress(plain));
        assertThat(ccmPost("/ccm_system/request", tamperedMsg, Map.of()).statusCode()).isEqualTo(403);
        // policy request signed by another key
        ClientSigningCert.Generated other = ClientSigningCert.generate(Instant.now());
        ClientRequests forger = new ClientRequests("CLIENT01", "client01", "mp", "P01", other.keyPair().getPrivate(),
                other.certificate());
        assertThat(ccmPost("/ccm_system/request", forger.requestAssignments(smsId, Instant.now()).bytes(), Map.of())
                .statusCode()).isEqualTo(403);
        // unregistered client
        assertThat(ccmPost("/ccm_system/request", client.requestAssignments("00000000-0000-0000-0000-000000000001",
                Instant.now()).bytes(), Map.of()).statusCode()).isEqualTo(403);
        // skewed CCMClient timestamp
        String path = messaging.policies().all().get(0).location().replace("http://<mp>", "");
        assertThat(get(path, CcmClientHeaders.ccmClient("GUID:" + smsId, cert.keyPair().getPrivate(),
                Instant.now().minus(Duration.ofMinutes(6)))).statusCode()).isEqualTo(403);
        // wrong verb, windowsauth, tokenauth
        assertThat(get("/ccm_system/request", Map.of()).statusCode()).isEqualTo(405);
        HttpResponse<byte[]> win = ccmPost("/ccm_system_windowsauth/request", reg.bytes(), Map.of());
        assertThat(win.statusCode()).isEqualTo(401);
        assertThat(win.headers().allValues("www-authenticate")).containsExactly("Negotiate", "NTLM");
        assertThat(ccmPost("/ccm_system_tokenauth/request", client.siteInformation("GUID:" + smsId, Instant.now())
                .bytes(), Map.of()).statusCode()).isEqualTo(401);
        assertThat(ccmPost("/ccm_system_tokenauth/request", client.wsusLocation("GUID:" + smsId, true,
                Instant.now()).bytes(), Map.of("Authorization", "Bearer abc.def.ghi", "CcmTokenAuth", "1"))
                .statusCode()).isEqualTo(401);
        // unknown endpoint, XXE body
        ClientRequests.Built loc = client.siteInformation(null, Instant.now());
        byte[] unknown = CcmMessage.frame(loc.header().toBuilder().target("MP_Nothing").build(), loc.bodyOnWire());
        assertThat(ccmPost("/ccm_system/request", unknown, Map.of()).statusCode()).isEqualTo(400);
        String xxe = "<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><SiteInformationRequest>&x;"
                + "</SiteInformationRequest>";
        byte[] xp = CcmMessage.plainBody(xxe);
        byte[] xxeMsg = CcmMessage.frame(loc.header().toBuilder().body(xp.length - 2, 0).build(), Zlib.compress(xp));
        assertThat(ccmPost("/ccm_system/request", xxeMsg, Map.of()).statusCode()).isEqualTo(400);
        assertThat(messaging.refused()).containsKeys("400 BAD_ZLIB", "400 MALFORMED_MULTIPART", "403 BAD_SIGNATURE",
                "403 UNKNOWN_CLIENT", "403 CLOCK_SKEW", "401 WINDOWS_AUTH", "401 TOKEN_MALFORMED", "400 BAD_XML", "400 BAD_UTF16", "403 MISSING_SIGNATURE");
        // the MP still serves afterwards
        assertThat(register(client)).isNotBlank();
    }
}
