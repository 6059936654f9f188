package org.cmglab.proto.jwt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import org.cmglab.proto.jwt.TokenRejectedException.Reason;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.junit.jupiter.api.Test;

class JwtTest {

    private static final String ISSUER = "https://cmg.lab.test/CCM_Proxy_ServerAuth";
    private static final String AUDIENCE = "https://ConfigMgrService";
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final JwtSigner SIGNER = JwtSigner.generate("key-1");
    private static final JwtVerifier VERIFIER =
            JwtVerifier.forKeys(SIGNER.publicJwkSet(), ISSUER, AUDIENCE, CLOCK, Duration.ofMinutes(2));

    private static JWTClaimsSet.Builder claims() {
        return new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .subject("GUID:6A3B2C1D-0000-4000-8000-000000000001")
                .issueTime(Date.from(NOW.minusSeconds(60)))
                .notBeforeTime(Date.from(NOW.minusSeconds(60)))
                .expirationTime(Date.from(NOW.plusSeconds(3600)));
    }

    private static Reason rejection(JwtVerifier verifier, String token) {
        TokenRejectedException e = catchThrowableOfType(TokenRejectedException.class, () -> verifier.verify(token));
        assertThat(e).as("expected rejection").isNotNull();
        assertThat(e.getMessage()).startsWith(e.reason() + ": ");
        return e.reason();
    }

    @Test
    void aKeyKeptInAFileSignsTokensTheFirstSignersKeysVerify(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path file = dir.resolve("azure").resolve("entra-signing-key.pem");
        JwtSigner made = JwtSigner.loadOrGenerate("tenant-key", file);
        assertThat(java.nio.file.Files.getPosixFilePermissions(file))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        JwtSigner read = JwtSigner.loadOrGenerate("tenant-key", file);
        assertThat(read.publicJwkSetJson()).isEqualTo(made.publicJwkSetJson());
        // a token of the key read back verifies with the keys published by the one that made it
        JwtVerifier verifier = JwtVerifier.forKeys(made.publicJwkSet(), ISSUER, AUDIENCE, CLOCK, Duration.ofMinutes(2));
        assertThat(verifier.verify(read.sign(claims().build())).keyId()).isEqualTo("tenant-key");
        java.nio.file.Files.writeString(file, "not a key");
        assertThat(catchThrowableOfType(java.io.IOException.class, () -> JwtSigner.loadOrGenerate("tenant-key", file)))
                .isNotNull();
    }

    @Test
    void roundTrip() throws Exception {
        String token = SIGNER.sign(claims().claim("role", "client").build());
        SignedJWT parsed = SignedJWT.parse(token);
        assertThat(parsed.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.RS256);
        assertThat(parsed.getHeader().getType().getType()).isEqualTo("JWT");
        assertThat(parsed.getHeader().getKeyID()).isEqualTo("key-1");

        VerifiedToken v = VERIFIER.verify(token);
        assertThat(v.keyId()).isEqualTo("key-1");
        assertThat(v.claims().getSubject()).isEqualTo("GUID:6A3B2C1D-0000-4000-8000-000000000001");
        assertThat(v.claims().getStringClaim("role")).isEqualTo("client");
    }

    @Test
    void publicJwkSetHasNoPrivateParts() throws Exception {
        JWKSet set = JWKSet.parse(SIGNER.publicJwkSetJson());
        assertThat(set.getKeys()).hasSize(1);
        RSAKey key = (RSAKey) set.getKeyByKeyId("key-1");
        assertThat(key.isPrivate()).isFalse();
        assertThat(SIGNER.publicJwkSetJson()).doesNotContain("\"d\"", "\"p\"", "\"q\"");
        // a verifier built from the parsed JSON works too
        JwtVerifier fromJson = JwtVerifier.forKeys(set, ISSUER, AUDIENCE, CLOCK, Duration.ZERO);
        assertThat(fromJson.verify(SIGNER.sign(claims().build())).keyId()).isEqualTo("key-1");
    }

    @Test
    void expired() {
        String token = SIGNER.sign(claims().expirationTime(Date.from(NOW.minusSeconds(600))).build());
        assertThat(rejection(VERIFIER, token)).isEqualTo(Reason.EXPIRED);
    }

    @Test
    void missingExpIsMalformed() {
        String token = SIGNER.sign(claims().expirationTime(null).build());
        assertThat(rejection(VERIFIER, token)).isEqualTo(Reason.MALFORMED);
    }

    @Test
    void notYetValid() {
        String token = SIGNER.sign(claims().notBeforeTime(Date.from(NOW.plusSeconds(600))).build());
        assertThat(rejection(VERIFIER, token)).isEqualTo(Reason.NOT_YET_VALID);
    }

    @Test
    void skewHonoured() throws Exception {
        // expired 90 s ago, nbf 90 s ahead: both inside the 2 minute skew
        String late = SIGNER.sign(claims().expirationTime(Date.from(NOW.minusSeconds(90))).build());
        String early = SIGNER.sign(claims().notBeforeTime(Date.from(NOW.plusSeconds(90))).build());
        assertThat(VERIFIER.verify(late).keyId()).isEqualTo("key-1");
        assertThat(VERIFIER.verify(early).keyId()).isEqualTo("key-1");
        // ... but not inside a 1 minute skew
        JwtVerifier strict = JwtVerifier.forKeys(SIGNER.publicJwkSet(), ISSUER, AUDIENCE, CLOCK, Duration.ofMinutes(1));
        assertThat(rejection(strict, late)).isEqualTo(Reason.EXPIRED);
        assertThat(rejection(strict, early)).isEqualTo(Reason.NOT_YET_VALID);
        // exp == now with zero skew is already expired (RFC 7519: "on or after")
        JwtVerifier noSkew = JwtVerifier.forKeys(SIGNER.publicJwkSet(), ISSUER, AUDIENCE, CLOCK, Duration.ZERO);
        assertThat(rejection(noSkew, SIGNER.sign(claims().expirationTime(Date.from(NOW)).build())))
                .isEqualTo(Reason.EXPIRED);
    }

    @Test
    void wrongIssuer() {
        String token = SIGNER.sign(claims().issuer("https://evil.example").build());
        assertThat(rejection(VERIFIER, token)).isEqualTo(Reason.WRONG_ISSUER);
    }

    @Test
    void wrongAudience() {
        assertThat(rejection(VERIFIER, SIGNER.sign(claims().audience("https://other").build())))
                .isEqualTo(Reason.WRONG_AUDIENCE);
        assertThat(rejection(VERIFIER, SIGNER.sign(claims().audience((String) null).build())))
                .isEqualTo(Reason.WRONG_AUDIENCE);
    }

    @Test
    void audienceListContainingExpectedIsAccepted() throws Exception {
        String token = SIGNER.sign(claims().audience(List.of("https://other", AUDIENCE)).build());
        assertThat(VERIFIER.verify(token).claims().getAudience()).contains(AUDIENCE);
    }

    @Test
    void tamperedPayloadIsBadSignature() {
        String token = SIGNER.sign(claims().build());
        String[] parts = token.split("\\.");
        String forged = claims().subject("GUID:ATTACKER").build().toString();
        String tampered = parts[0] + "." + Base64URL.encode(forged.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        assertThat(rejection(VERIFIER, tampered)).isEqualTo(Reason.BAD_SIGNATURE);
    }

    @Test
    void sameKidDifferentKeyIsBadSignature() {
        String token = JwtSigner.generate("key-1").sign(claims().build());
        assertThat(rejection(VERIFIER, token)).isEqualTo(Reason.BAD_SIGNATURE);
    }

    @Test
    void unknownKid() {
        String token = JwtSigner.generate("key-2").sign(claims().build());
        TokenRejectedException e = catchThrowableOfType(TokenRejectedException.class, () -> VERIFIER.verify(token));
        assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_KEY);
        assertThat(e.getMessage()).contains("key-2", "key-1");
    }

    @Test
    void algNoneRejected() {
        String token = new PlainJWT(claims().build()).serialize();
        assertThat(token).endsWith(".");
        assertThat(rejection(VERIFIER, token)).isEqualTo(Reason.UNSUPPORTED_ALGORITHM);
    }

    @Test
    void hmacRejected() throws Exception {
        SignedJWT hs = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("key-1").build(), claims().build());
        hs.sign(new MACSigner(new byte[32]));
        assertThat(rejection(VERIFIER, hs.serialize())).isEqualTo(Reason.UNSUPPORTED_ALGORITHM);
    }

    @Test
    void garbageIsMalformed() {
        assertThat(rejection(VERIFIER, "not.a.jwt")).isEqualTo(Reason.MALFORMED);
        assertThat(rejection(VERIFIER, "")).isEqualTo(Reason.MALFORMED);
        assertThat(rejection(VERIFIER, null)).isEqualTo(Reason.MALFORMED);
    }

    @Test
    void fromCertificateSetsX5tAndKidToThumbprint() throws Exception {
        LabCa ca = LabCa.createEphemeral();
        IssuedCert signing = ca.issue(CertSpec.builder("CMG Token Signing").build());
        JwtSigner certSigner = JwtSigner.fromCertificate(signing);
        String expected = Base64URL.encode(
                MessageDigest.getInstance("SHA-1").digest(signing.certificate().getEncoded())).toString();

        SignedJWT parsed = SignedJWT.parse(certSigner.sign(claims().build()));
        @SuppressWarnings("deprecation")
        Base64URL x5t = parsed.getHeader().getX509CertThumbprint();
        assertThat(x5t).hasToString(expected);
        assertThat(parsed.getHeader().getKeyID()).isEqualTo(expected).isEqualTo(certSigner.keyId());

        RSAKey jwk = (RSAKey) certSigner.publicJwkSet().getKeyByKeyId(expected);
        assertThat(jwk.getX509CertChain()).hasSize(1);
        JwtVerifier v = JwtVerifier.forKeys(certSigner.publicJwkSet(), ISSUER, AUDIENCE, CLOCK, Duration.ZERO);
        assertThat(v.verify(parsed.serialize()).keyId()).isEqualTo(expected);
    }
}
