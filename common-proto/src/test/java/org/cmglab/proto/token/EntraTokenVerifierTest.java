package org.cmglab.proto.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.nimbusds.jwt.JWTClaimsSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import org.cmglab.proto.jwt.JwtSigner;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.token.SiteTokenException.Reason;
import org.junit.jupiter.api.Test;

class EntraTokenVerifierTest {
    static final String TENANT = "1b2c3d4e-0000-4000-8000-00000000abcd";
    static final String ISSUER = "https://sts.windows.net/" + TENANT + "/";
    static final String AUD = "https://ConfigMgrService";
    static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    static final JwtSigner ENTRA = JwtSigner.generate("entra-key");

    static EntraTokenVerifier verifier(Instant now) {
        return new EntraTokenVerifier(TENANT, ISSUER, AUD, ENTRA.publicJwkSet(), Clock.fixed(now, ZoneOffset.UTC),
                Duration.ofMinutes(5));
    }

    static JWTClaimsSet.Builder device() {
        return new JWTClaimsSet.Builder().issuer(ISSUER).audience(AUD).claim("tid", TENANT).claim("idtyp", "device")
                .claim("deviceid", "dev-1").claim("oid", "oid-1").issueTime(Date.from(NOW))
                .notBeforeTime(Date.from(NOW)).expirationTime(Date.from(NOW.plusSeconds(3600)));
    }

    static Reason refusal(EntraTokenVerifier v, String token) {
        SiteTokenException e = catchThrowableOfType(SiteTokenException.class, () -> v.verify(token));
        assertThat(e).as("expected a refusal").isNotNull();
        return e.reason();
    }

    @Test
    void deviceTokenOfTheOnboardedTenantIsAccepted() throws Exception {
        EntraTokenVerifier.EntraToken t = verifier(NOW).verifyBearer("Bearer " + ENTRA.sign(device().build()));
        assertThat(t.tokenType()).isEqualTo("device");
        assertThat(t.deviceId()).isEqualTo("dev-1");
        assertThat(t.tenantId()).isEqualTo(TENANT);
    }

    @Test
    void everyRefusalHasItsReason() {
        assertThat(refusal(verifier(NOW.plus(Duration.ofMinutes(66))), ENTRA.sign(device().build())))
                .isEqualTo(Reason.EXPIRED);
        SiteTokenException e = catchThrowableOfType(SiteTokenException.class,
                () -> verifier(NOW.plus(Duration.ofHours(2))).verify(ENTRA.sign(device().build())));
        assertThat(e.getMessage()).startsWith("IDX10223: Lifetime validation failed. The token is expired.");
        assertThat(refusal(verifier(NOW.minus(Duration.ofMinutes(6))), ENTRA.sign(device().build())))
                .isEqualTo(Reason.NOT_YET_VALID);
        assertThat(refusal(verifier(NOW), ENTRA.sign(device().audience("https://management.azure.com/").build())))
                .isEqualTo(Reason.WRONG_AUDIENCE);
        assertThat(refusal(verifier(NOW), ENTRA.sign(device().issuer("https://sts.windows.net/other/").build())))
                .isEqualTo(Reason.WRONG_ISSUER);
        assertThat(refusal(verifier(NOW), ENTRA.sign(device().claim("tid", "other").build())))
                .isEqualTo(Reason.WRONG_ISSUER);
        IssuedCert foreign = LabCa.createRoot("foreign", null).rootWithKey();
        JwtSigner other = JwtSigner.rsa("entra-key", (java.security.interfaces.RSAPrivateKey) foreign.privateKey(),
                (java.security.interfaces.RSAPublicKey) foreign.certificate().getPublicKey());
        assertThat(refusal(verifier(NOW), other.sign(device().build()))).isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(refusal(verifier(NOW), "garbage")).isEqualTo(Reason.MALFORMED);
    }

    @Test
    void withoutKeysEveryTokenIsRefusedUntilTheyArrive() throws Exception {
        EntraTokenVerifier v = new EntraTokenVerifier(TENANT, ISSUER, AUD, null, Clock.fixed(NOW, ZoneOffset.UTC),
                Duration.ofMinutes(5));
        String token = ENTRA.sign(device().build());
        assertThat(refusal(v, token)).isEqualTo(Reason.BAD_SIGNATURE);
        v.keys(ENTRA.publicJwkSet());
        assertThat(v.verify(token).objectId()).isEqualTo("oid-1");
    }

    @Test
    void clientSignatureRoundTripsAndIsByteReversedHex() {
        IssuedCert key = LabCa.createRoot("client signing", null).rootWithKey();
        String sig = ClientSignatures.sign(key.privateKey(), "GUID:0F3C8A55-1B2C-4D5E-8F90-123456789ABC");
        assertThat(sig).matches("[0-9A-F]{512}");
        assertThat(ClientSignatures.verify(key.certificate().getPublicKey(), "GUID:0F3C8A55-1B2C-4D5E-8F90-123456789ABC",
                sig)).isTrue();
        assertThat(ClientSignatures.verify(key.certificate().getPublicKey(), "GUID:other", sig)).isFalse();
        assertThat(ClientSignatures.verify(key.certificate().getPublicKey(), "x", "zz")).isFalse();
        String reversed = new StringBuilder(sig).reverse().toString();
        assertThat(ClientSignatures.verify(key.certificate().getPublicKey(), "GUID:0F3C8A55-1B2C-4D5E-8F90-123456789ABC",
                reversed)).isFalse();
    }
}
