package org.cmglab.proto.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.interfaces.RSAPrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Set;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.token.SiteTokenException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SiteTokenServiceTest {
    static final String HIERARCHY = "6f1b4c2a-1d2e-4f3a-9b8c-7d6e5f4a3b2c";
    static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    static final SiteTokenPki PKI = SiteTokenPki.createEphemeral();
    static final IssuedCert CLIENT_SIGNING = LabCa.createRoot("client01 signing", null).rootWithKey();
    static final String SMSID = "GUID:0F3C8A55-1B2C-4D5E-8F90-123456789ABC";

    static SiteTokenService at(Instant t) {
        return SiteTokenService.forSigning(PKI.signing(), HIERARCHY, Clock.fixed(t, ZoneOffset.UTC),
                SiteTokenService.DEFAULT_SKEW);
    }

    static Reason refusal(SiteTokenService s, String token, TokenUse use) {
        SiteTokenException e = catchThrowableOfType(SiteTokenException.class, () -> s.verify(token, use));
        assertThat(e).as("expected a refusal").isNotNull();
        return e.reason();
    }

    @Test
    void bulkTokenHasTheProductsHeaderClaimsAndDefaultLifetime() throws Exception {
        BulkToken b = at(NOW).issueBulk(SiteTokenService.DEFAULT_BULK_LIFETIME);
        SignedJWT jwt = SignedJWT.parse(b.token());
        Map<String, Object> header = jwt.getHeader().toJSONObject();
        assertThat(header).containsOnlyKeys("typ", "alg", "x5t");
        assertThat(header.get("typ")).isEqualTo("JWT");
        assertThat(header.get("alg")).isEqualTo("RS256");
        assertThat(header.get("x5t")).isEqualTo(Base64URL.encode(MessageDigest.getInstance("SHA-1")
                .digest(PKI.signing().certificate().getEncoded())).toString());
        JWTClaimsSet c = jwt.getJWTClaimsSet();
        assertThat(c.getClaim("Type")).isEqualTo("BulkRegistration");
        assertThat(c.getClaim("SCCMTokenCategory")).isEqualTo("SCCMPreAuthToken");
        assertThat(c.getClaim("Authority")).isEqualTo("SCCM");
        assertThat(c.getClaim("License")).isEqualTo("SCCM");
        assertThat(c.getClaim("TenantId")).isEqualTo(HIERARCHY.toUpperCase());
        assertThat(c.getClaim("UniqueId")).isEqualTo(b.uniqueId());
        assertThat(c.getIssuer()).isEqualTo("urn:sccm:oauth2:" + HIERARCHY);
        assertThat(c.getAudience()).containsExactly("urn:sccm:service");
        assertThat(Duration.between(c.getNotBeforeTime().toInstant(), c.getExpirationTime().toInstant()))
                .isEqualTo(Duration.ofMinutes(4_320));
        assertThat(at(NOW).verify(b.token(), TokenUse.REGISTRATION).uniqueId()).isEqualTo(b.uniqueId());
    }

    @Test
    void bulkLifetimeAboveTenThousandEightyMinutesIsAnError() {
        assertThat(at(NOW).issueBulk(Duration.ofMinutes(10_080)).expires()).isEqualTo(NOW.plus(Duration.ofDays(7)));
        assertThatThrownBy(() -> at(NOW).issueBulk(Duration.ofMinutes(10_081)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1..10080");
        assertThatThrownBy(() -> at(NOW).issueBulk(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void clientTokenIsBoundToTheSigningCertificateForNinetyDays() throws Exception {
        String t = at(NOW).issueClientToken(SMSID, CLIENT_SIGNING.certificate());
        SiteToken v = at(NOW).verify(t, TokenUse.MESSAGING);
        assertThat(v.type()).isEqualTo(SiteTokenType.CLIENT_TOKEN);
        assertThat(v.deviceId()).isEqualTo(SMSID);
        assertThat(v.claims().getClaim("SCCMTokenCategory")).isEqualTo("SCCMClientToken");
        assertThat(v.confirmationThumbprint()).isEqualTo(Base64URL.encode(MessageDigest.getInstance("SHA-256")
                .digest(CLIENT_SIGNING.certificate().getEncoded())).toString());
        assertThat(v.expires()).isEqualTo(NOW.plus(Duration.ofDays(90)));
    }

    @Test
    void ccmTokenLastsEightHours() {
        String t = at(NOW).issueCcmToken(SiteTokenType.CCM_UDA, SMSID, "tenant", "user-oid");
        SiteToken v = ok(at(NOW), t);
        assertThat(v.type()).isEqualTo(SiteTokenType.CCM_UDA);
        assertThat(v.claims().getClaim("SCCMTokenCategory")).isEqualTo("SCCMAccessToken");
        assertThat(v.userId()).isEqualTo("user-oid");
        assertThat(v.claims().getClaim("hierarchyId")).isEqualTo(HIERARCHY);
        assertThat(v.expires()).isEqualTo(NOW.plus(Duration.ofHours(8)));
    }

    @Test
    void expiredTokenIsRefusedWithTheProductsIdx10223() {
        BulkToken b = at(NOW).issueBulk(Duration.ofMinutes(60));
        assertThat(ok(at(NOW.plus(Duration.ofMinutes(64))), b.token())).isNotNull(); // inside the 5 min skew
        SiteTokenException e = catchThrowableOfType(SiteTokenException.class,
                () -> at(NOW.plus(Duration.ofMinutes(65))).verify(b.token(), TokenUse.REGISTRATION));
        assertThat(e.reason()).isEqualTo(Reason.EXPIRED);
        assertThat(e.getMessage()).startsWith("IDX10223: Lifetime validation failed. The token is expired.");
    }

    @Test
    void notYetValidTokenIsRefused() {
        BulkToken b = at(NOW).issueBulk(Duration.ofMinutes(60));
        assertThat(ok(at(NOW.minus(Duration.ofMinutes(4))), b.token())).isNotNull();
        assertThat(refusal(at(NOW.minus(Duration.ofMinutes(6))), b.token(), TokenUse.REGISTRATION))
                .isEqualTo(Reason.NOT_YET_VALID);
    }

    @Test
    void tamperedOrForeignSignatureIsRefused() throws Exception {
        String t = at(NOW).issueClientToken(SMSID, CLIENT_SIGNING.certificate());
        String[] parts = t.split("\\.");
        String forgedClaims = Base64URL.encode(SignedJWT.parse(t).getJWTClaimsSet().toString()
                .replace(SMSID, "GUID:00000000-0000-0000-0000-000000000001")).toString();
        assertThat(refusal(at(NOW), parts[0] + "." + forgedClaims + "." + parts[2], TokenUse.MESSAGING))
                .isEqualTo(Reason.BAD_SIGNATURE);
        // another site's token-signing certificate
        SiteTokenService other = SiteTokenService.forSigning(SiteTokenPki.createEphemeral().signing(), HIERARCHY,
                Clock.fixed(NOW, ZoneOffset.UTC), SiteTokenService.DEFAULT_SKEW);
        assertThat(refusal(at(NOW), other.issueClientToken(SMSID, CLIENT_SIGNING.certificate()), TokenUse.MESSAGING))
                .isEqualTo(Reason.BAD_SIGNATURE);
        // the right x5t, but signed with another key
        assertThat(refusal(at(NOW), resign(t, LabCa.createRoot("x", null).rootWithKey()), TokenUse.MESSAGING))
                .isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(refusal(at(NOW), "not.a.jwt", TokenUse.MESSAGING)).isEqualTo(Reason.MALFORMED);
    }

    @Test
    void wrongIssuerAndWrongAudienceAreRefused() throws Exception {
        String t = at(NOW).issueClientToken(SMSID, CLIENT_SIGNING.certificate());
        JWTClaimsSet c = SignedJWT.parse(t).getJWTClaimsSet();
        String otherIss = resign(new JWTClaimsSet.Builder(c).issuer("urn:sccm:oauth2:" + java.util.UUID.randomUUID())
                .build(), PKI.signing());
        assertThat(refusal(at(NOW), otherIss, TokenUse.MESSAGING)).isEqualTo(Reason.WRONG_ISSUER);
        String otherAud = resign(new JWTClaimsSet.Builder(c).audience("https://ConfigMgrService").build(), PKI.signing());
        assertThat(refusal(at(NOW), otherAud, TokenUse.MESSAGING)).isEqualTo(Reason.WRONG_AUDIENCE);
        // a site with another hierarchy id refuses this one's tokens
        SiteTokenService otherSite = SiteTokenService.forSigning(PKI.signing(), java.util.UUID.randomUUID().toString(),
                Clock.fixed(NOW, ZoneOffset.UTC), SiteTokenService.DEFAULT_SKEW);
        assertThat(refusal(otherSite, t, TokenUse.MESSAGING)).isEqualTo(Reason.WRONG_ISSUER);
    }

    @Test
    void eachUseAcceptsOnlyItsTokenTypes() {
        SiteTokenService s = at(NOW);
        String bulk = s.issueBulk(Duration.ofMinutes(60)).token();
        String client = s.issueClientToken(SMSID, CLIENT_SIGNING.certificate());
        String ccm = s.issueCcmToken(SiteTokenType.CCM_DEVICE, SMSID, null, null);
        assertThat(refusal(s, bulk, TokenUse.MESSAGING)).isEqualTo(Reason.WRONG_TYPE);
        assertThat(refusal(s, bulk, TokenUse.STS)).isEqualTo(Reason.WRONG_TYPE);
        assertThat(ok(s, bulk).type()).isEqualTo(SiteTokenType.BULK_REGISTRATION);
        for (TokenUse u : TokenUse.values()) {
            assertThat(ok(s, client, u).type()).isEqualTo(SiteTokenType.CLIENT_TOKEN);
            assertThat(ok(s, ccm, u).type()).isEqualTo(SiteTokenType.CCM_DEVICE);
        }
    }

    @Test
    void blockedUniqueIdIsRefusedForEveryone() {
        SiteTokenService s = at(NOW);
        BulkToken b = s.issueBulk(Duration.ofMinutes(60));
        BulkToken other = s.issueBulk(Duration.ofMinutes(60));
        assertThat(s.block(b.uniqueId().toUpperCase())).isTrue();
        assertThat(s.block(b.uniqueId())).isFalse();
        SiteTokenException e = catchThrowableOfType(SiteTokenException.class,
                () -> s.verify(b.token(), TokenUse.REGISTRATION));
        assertThat(e.reason()).isEqualTo(Reason.BLOCKED);
        assertThat(e.getMessage()).contains(b.uniqueId());
        assertThat(ok(s, other.token()).uniqueId()).isEqualTo(other.uniqueId());
        assertThatThrownBy(() -> s.block("not-a-guid")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void bearerHeaderIsRequired() {
        SiteTokenService s = at(NOW);
        String client = s.issueClientToken(SMSID, CLIENT_SIGNING.certificate());
        assertThat(catchThrowableOfType(SiteTokenException.class, () -> s.verifyBearer(null, TokenUse.MESSAGING))
                .reason()).isEqualTo(Reason.MALFORMED);
        assertThat(catchThrowableOfType(SiteTokenException.class, () -> s.verifyBearer("Basic abc", TokenUse.MESSAGING))
                .reason()).isEqualTo(Reason.MALFORMED);
        assertThat(catchThrowableOfType(SiteTokenException.class, () -> s.verifyBearer("Bearer  ", TokenUse.MESSAGING))
                .reason()).isEqualTo(Reason.MALFORMED);
        assertThat(ok(s, "bearer " + client, null).deviceId()).isEqualTo(SMSID);
    }

    @Test
    void verifyOnlyServiceCannotIssue() {
        SiteTokenService cmg = SiteTokenService.forVerifying(PKI.signing().certificate(), HIERARCHY,
                Clock.fixed(NOW, ZoneOffset.UTC), SiteTokenService.DEFAULT_SKEW);
        assertThat(ok(cmg, at(NOW).issueBulk(Duration.ofMinutes(5)).token())).isNotNull();
        assertThatThrownBy(() -> cmg.issueBulk(Duration.ofMinutes(5))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void pkiIsCreatedOnceInTheStateFolderAndReused(@TempDir Path dir) throws Exception {
        SiteTokenPki first = SiteTokenPki.loadOrCreate(dir);
        assertThat(first.issuing().certificate().getSubjectX500Principal().getName()).isEqualTo("CN=SMS Issuing");
        assertThat(first.signing().certificate().getSubjectX500Principal().getName())
                .isEqualTo("CN=SMS Token Signing Certificate");
        assertThat(first.signing().certificate().getIssuerX500Principal())
                .isEqualTo(first.issuing().certificate().getSubjectX500Principal());
        first.signing().certificate().verify(first.issuing().certificate().getPublicKey());
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(SiteTokenPki.SIGNING_KEY_FILE))))
                .isEqualTo("rw-------");
        SiteTokenPki again = SiteTokenPki.loadOrCreate(dir);
        assertThat(again.signing().certificate()).isEqualTo(first.signing().certificate());
        assertThat(Set.of(dir.toFile().list())).contains(SiteTokenPki.ISSUING_CERT_FILE, SiteTokenPki.ISSUING_KEY_FILE,
                SiteTokenPki.SIGNING_CERT_FILE, SiteTokenPki.SIGNING_KEY_FILE);
    }

    private static String resign(String token, IssuedCert key) throws Exception {
        return sign(SignedJWT.parse(token).getHeader(), SignedJWT.parse(token).getJWTClaimsSet(), key);
    }

    @SuppressWarnings("deprecation")
    private static String resign(JWTClaimsSet claims, IssuedCert key) throws Exception {
        JWSHeader h = new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT)
                .x509CertThumbprint(Base64URL.encode(MessageDigest.getInstance("SHA-1")
                        .digest(PKI.signing().certificate().getEncoded()))).build();
        return sign(h, claims, key);
    }

    private static String sign(JWSHeader h, JWTClaimsSet claims, IssuedCert key) throws Exception {
        SignedJWT jwt = new SignedJWT(h, claims);
        jwt.sign(new RSASSASigner((RSAPrivateKey) key.privateKey()));
        return jwt.serialize();
    }

    /** Verifies for REGISTRATION (accepts every site token type). */
    private static SiteToken ok(SiteTokenService s, String token) {
        return ok(s, token, TokenUse.REGISTRATION);
    }

    /** Verifies for {@code use}, or a bearer header when {@code use} is null (MESSAGING). */
    private static SiteToken ok(SiteTokenService s, String token, TokenUse use) {
        try {
            return use == null ? s.verifyBearer(token, TokenUse.MESSAGING) : s.verify(token, use);
        } catch (SiteTokenException e) {
            throw new AssertionError("refused: " + e.reason() + " " + e.getMessage(), e);
        }
    }
}
