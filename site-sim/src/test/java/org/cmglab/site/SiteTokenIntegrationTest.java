package org.cmglab.site;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.JWTClaimsSet;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.config.SiteSimConfig;
import org.cmglab.proto.config.TokenAuthConfig;
import org.cmglab.proto.jwt.JwtSigner;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.Json;
import org.cmglab.proto.token.ClientSignatures;
import org.cmglab.proto.token.SiteToken;
import org.cmglab.proto.token.SiteTokenException;
import org.cmglab.proto.token.SiteTokenPki;
import org.cmglab.proto.token.SiteTokenType;
import org.cmglab.proto.token.TokenUse;
import org.cmglab.site.sts.SiteTokenAuthority;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * site-sim's token side on loopback: the bulk-token command, the block-bulk-token admin action and {@code POST
 * /CCM_STS} for Entra tokens (signed by a stand-in Entra key whose JWKS is configured) and client tokens.
 */
class SiteTokenIntegrationTest {
    static final String TENANT = "11111111-2222-4333-8444-555555555555";
    static final String ISSUER = "https://sts.windows.net/" + TENANT + "/";
    static final String AUD = "https://ConfigMgrService";
    static final String HIERARCHY = "6f1b4c2a-1d2e-4f3a-9b8c-7d6e5f4a3b2c";
    static final String SMSID = "GUID:0F3C8A55-1B2C-4D5E-8F90-123456789ABC";
    static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);
    static final JwtSigner ENTRA = JwtSigner.generate("entra-test");
    static final HttpClient HTTP = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dir;
    static Path configFile;
    static ComponentRuntime runtime;
    static SiteSim sim;
    static IssuedCert clientSigning;

    @BeforeAll
    static void start() throws Exception {
        SiteTokenPki pki = SiteTokenPki.loadOrCreate(dir.resolve("pki"));
        TokenAuthConfig auth = new TokenAuthConfig(HIERARCHY,
                dir.resolve("pki").resolve(SiteTokenPki.SIGNING_CERT_FILE).toString(),
                dir.resolve("pki").resolve(SiteTokenPki.SIGNING_KEY_FILE).toString(), TENANT, ISSUER, AUD,
                "server-app", "client-app", null, ENTRA.publicJwkSetJson(), null, List.of(), 0);
        SiteSimConfig config = new SiteSimConfig("P01", "MP01", "mp01.corp.contoso.com", "72057594037927939", false,
                new Endpoint("127.0.0.1", 0), null, new Endpoint("127.0.0.1", 0), dir.resolve("logs").toString(), auth);
        configFile = dir.resolve("site-sim.json");
        Json.writeFile(configFile, config);
        assertThat(pki.signing().certificate().getSubjectX500Principal().getName())
                .isEqualTo("CN=SMS Token Signing Certificate");
        runtime = new ComponentRuntime("site-sim", dir.resolve("logs"), "MP_GetAuth.log", "MP_GetAuth", 2);
        sim = SiteSim.launch(config, runtime);
        clientSigning = LabCa.createRoot("client01 signing", null).rootWithKey();
    }

    @AfterAll
    static void stop() {
        if (runtime != null) {
            runtime.close();
        }
    }

    static SiteTokenAuthority authority() {
        return sim.tokenAuthority();
    }

    static JWTClaimsSet.Builder entraDevice(Instant iat) {
        return new JWTClaimsSet.Builder().issuer(ISSUER).audience(AUD).claim("tid", TENANT).claim("idtyp", "device")
                .claim("deviceid", "9d1c0e55-0000-4000-8000-000000000001").claim("oid", "oid-device")
                .issueTime(Date.from(iat)).notBeforeTime(Date.from(iat)).expirationTime(Date.from(iat.plusSeconds(3600)));
    }

    static HttpResponse<String> sts(String bearer, String form, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sim.boundAddress().getPort()
                + "/CCM_STS")).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static SiteToken ccm(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode j = Json.MAPPER.readTree(r.body());
        assertThat(j.path("token_type").asText()).isEqualTo("Bearer");
        assertThat(j.path("expires_in").asLong()).isEqualTo(28_800);
        return authority().verifyBearer("Bearer " + j.path("access_token").asText(), TokenUse.MESSAGING);
    }

    static String refusal(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(401);
        JsonNode j = Json.MAPPER.readTree(r.body());
        assertThat(j.path("error").asText()).isEqualTo("invalid_token");
        return j.path("error_description").asText();
    }

    // ------------------------------------------------------------------ bulk tokens

    @Test
    void bulkTokenCommandPrintsTheTokenAndItsUniqueIdWithTheDefaultLifetime() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = BulkTokenCommand.execute(new String[] {"--config", configFile.toString()}, new PrintStream(out),
                new PrintStream(new ByteArrayOutputStream()));
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(code).as(text).isZero();
        String result = text.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow().substring(7);
        JsonNode j = Json.MAPPER.readTree(result);
        assertThat(text).contains("Token UniqueId: " + j.path("uniqueId").asText());
        SiteToken t = authority().verifyBearer("Bearer " + j.path("token").asText(), TokenUse.REGISTRATION);
        assertThat(t.type()).isEqualTo(SiteTokenType.BULK_REGISTRATION);
        assertThat(Duration.between(t.claims().getNotBeforeTime().toInstant(), t.expires()))
                .isEqualTo(Duration.ofMinutes(4_320));
    }

    @Test
    void bulkTokenLifetimeAboveTheMaximumIsAnError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = BulkTokenCommand.execute(new String[] {"--config", configFile.toString(), "--lifetime", "10081"},
                new PrintStream(out), new PrintStream(err));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("between 1 and 10080 minutes");
        assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("RESULT");
        assertThat(BulkTokenCommand.execute(new String[] {"--config", configFile.toString(), "--lifetime", "10080"},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err))).isZero();
    }

    @Test
    void adminBlocksABulkTokenByItsUniqueId() throws Exception {
        var bulk = authority().issueBulk(Duration.ofMinutes(60));
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + sim.adminAddress().getPort() + "/block-bulk-token?uniqueId=" + bulk.uniqueId()))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        SiteTokenException e = org.assertj.core.api.Assertions.catchThrowableOfType(SiteTokenException.class,
                () -> authority().verifyBearer("Bearer " + bulk.token(), TokenUse.REGISTRATION));
        assertThat(e.reason()).isEqualTo(SiteTokenException.Reason.BLOCKED);
        HttpResponse<String> bad = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + sim.adminAddress().getPort() + "/block-bulk-token?uniqueId=nope"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).isEqualTo(400);
    }

    // ------------------------------------------------------------------ CCM_STS

    @Test
    void entraDeviceTokenIsExchangedForAUdaCcmTokenAndLoggedLikeTheProduct() throws Exception {
        String entra = ENTRA.sign(entraDevice(Instant.now().truncatedTo(ChronoUnit.SECONDS)).build());
        SiteToken t = ccm(sts(entra, "grant_type=urn%3Asccm%3Agrant%3Aaad&client_id=" + SMSID, Map.of()));
        assertThat(t.type()).isEqualTo(SiteTokenType.CCM_UDA);
        assertThat(t.deviceId()).isEqualTo(SMSID);
        assertThat(t.tenantId()).isEqualTo(TENANT);
        Path log = dir.resolve("logs").resolve("CCM_STS.log");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                Files.readString(log)).contains("Validated AAD token. TokenType: UDA TenantId " + TENANT)
                .contains("Created SCCM token, token type: UDA, hierarchyId " + HIERARCHY + ", deviceId " + SMSID)
                .contains("Issued token").contains("component=\"CCM_STS\""));
    }

    @Test
    void expiredWrongAudienceOrForeignEntraTokensAreRefused() throws Exception {
        String form = "grant_type=urn:sccm:grant:aad&client_id=" + SMSID;
        Instant old = Instant.now().minus(Duration.ofHours(2)).truncatedTo(ChronoUnit.SECONDS);
        assertThat(refusal(sts(ENTRA.sign(entraDevice(old).build()), form, Map.of())))
                .startsWith("IDX10223: Lifetime validation failed. The token is expired.");
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        assertThat(refusal(sts(ENTRA.sign(entraDevice(now).audience("https://management.azure.com/").build()), form,
                Map.of()))).startsWith("IDX10214");
        assertThat(refusal(sts(JwtSigner.generate("entra-test").sign(entraDevice(now).build()), form, Map.of())))
                .startsWith("IDX10511");
        assertThat(refusal(sts(null, form, Map.of()))).contains("IDX10000");
        // a site token is not an Entra token
        assertThat(refusal(sts(authority().issueClientToken(SMSID, clientSigning.certificate()), form, Map.of())))
                .isNotBlank();
    }

    @Test
    void clientTokenWithItsSignatureProofIsExchangedForADeviceCcmToken() throws Exception {
        String client = authority().issueClientToken(SMSID, clientSigning.certificate());
        SiteToken t = ccm(sts(client, "grant_type=urn:sccm:grant:clienttoken&client_id=" + SMSID, proof(SMSID,
                Instant.now(), clientSigning)));
        assertThat(t.type()).isEqualTo(SiteTokenType.CCM_DEVICE);
        assertThat(t.deviceId()).isEqualTo(SMSID);
    }

    @Test
    void clientTokenWithoutAValidProofIsRefused() throws Exception {
        String form = "grant_type=urn:sccm:grant:clienttoken&client_id=" + SMSID;
        String client = authority().issueClientToken(SMSID, clientSigning.certificate());
        assertThat(refusal(sts(client, form, Map.of()))).contains("required");
        IssuedCert otherKey = LabCa.createRoot("other", null).rootWithKey();
        assertThat(refusal(sts(client, form, proof(SMSID, Instant.now(), otherKey)))).contains("does not verify");
        assertThat(refusal(sts(client, form, proof(SMSID, Instant.now().minus(Duration.ofMinutes(6)), clientSigning))))
                .contains("skew");
        String bulk = authority().issueBulk(Duration.ofMinutes(5)).token();
        assertThat(refusal(sts(bulk, form, proof(SMSID, Instant.now(), clientSigning)))).contains("BulkRegistration");
        // the doc's spelling of the timestamp signature header is accepted too
        Map<String, String> docs = new java.util.HashMap<>(proof(SMSID, Instant.now(), clientSigning));
        docs.put("CCMClientTimestampsSignature", docs.remove("CCMClientTimestampSignature"));
        assertThat(ccm(sts(client, form, docs)).type()).isEqualTo(SiteTokenType.CCM_DEVICE);
    }

    @Test
    void badRequestsGetTheRightStatus() throws Exception {
        assertThat(sts(null, "client_id=" + SMSID, Map.of()).statusCode()).isEqualTo(400);
        assertThat(sts(null, "grant_type=urn:sccm:grant:aad", Map.of()).statusCode()).isEqualTo(400);
        assertThat(sts(null, "grant_type=password&client_id=" + SMSID, Map.of()).statusCode()).isEqualTo(400);
        HttpResponse<String> get = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + sim.boundAddress().getPort() + "/CCM_STS")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(get.headers().firstValue("Allow")).hasValue("POST");
        // other MP paths are still served by the MP handler
        HttpResponse<String> mplist = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + sim.boundAddress().getPort() + "/SMS_MP/.sms_aut?MPLIST")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(mplist.statusCode()).isEqualTo(200);
    }

    static Map<String, String> proof(String id, Instant at, IssuedCert key) {
        String stamp = STAMP.format(at);
        return Map.of("CCMClientID", id, "CCMClientIDSignature", ClientSignatures.sign(key.privateKey(), id),
                "CCMClientTimestamp", stamp, "CCMClientTimestampSignature", ClientSignatures.sign(key.privateKey(), stamp));
    }

}
