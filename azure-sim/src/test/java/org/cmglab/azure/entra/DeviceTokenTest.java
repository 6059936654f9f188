package org.cmglab.azure.entra;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.util.Base64;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import org.cmglab.proto.config.AzureEnvironment;
import org.cmglab.proto.jwt.JwtVerifier;
import org.cmglab.proto.jwt.VerifiedToken;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.junit.jupiter.api.Test;

/** Device tokens: a device signs an RFC 7523 assertion with its device certificate's key. */
class DeviceTokenTest {
    static final LabCa DEVICE_CA = LabCa.createEphemeral();
    static final String HOST = AzureEnvironment.PUBLIC.loginHost();
    static final String TOKEN_URL = "https://" + HOST + "/" + EntraFixture.TENANT + "/oauth2/v2.0/token";
    static final String DEVICE_ID = UUID.nameUUIDFromBytes("client01".getBytes()).toString();
    static final IssuedCert DEVICE = DEVICE_CA.issue(CertSpec.client(DEVICE_ID));
    /** The device certificates are issued now, so these tests run on a clock fixed at now (not the fixture's). */
    static final Instant NOW = Instant.now();
    static final java.time.Clock CLOCK = java.time.Clock.fixed(NOW, java.time.ZoneOffset.UTC);

    static EntraIdService entra() {
        return new EntraIdService(AzureEnvironment.PUBLIC, EntraFixture.TENANT, EntraFixture.APPS, EntraFixture.USERS,
                EntraFixture.SIGNER, CLOCK, List.of(DEVICE_CA.root()));
    }

    static String assertion(IssuedCert cert, String iss, String aud, Instant iat, Duration life) throws Exception {
        JWSHeader h = new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT)
                .x509CertChain(List.of(Base64.encode(cert.certificate().getEncoded()))).build();
        JWTClaimsSet c = new JWTClaimsSet.Builder().issuer(iss).subject(iss).audience(aud)
                .issueTime(Date.from(iat)).expirationTime(Date.from(iat.plus(life))).jwtID(UUID.randomUUID().toString())
                .build();
        SignedJWT jwt = new SignedJWT(h, c);
        jwt.sign(new RSASSASigner(cert.privateKey()));
        return jwt.serialize();
    }

    static EntraFixture.Result request(EntraIdService s, String assertion) {
        String form = "grant_type=" + URLEncoder.encode("urn:ietf:params:oauth:grant-type:jwt-bearer", StandardCharsets.UTF_8)
                + "&client_id=" + EntraFixture.CLIENT_APP + "&scope=" + URLEncoder.encode("https://ConfigMgrService/.default",
                StandardCharsets.UTF_8) + "&assertion=" + assertion;
        return EntraFixture.postForm(s, HOST, "/" + EntraFixture.TENANT + "/oauth2/v2.0/token", form);
    }

    @Test
    void aRegisteredDeviceGetsADeviceToken() throws Exception {
        EntraFixture.Result r = request(entra(), assertion(DEVICE, DEVICE_ID, TOKEN_URL, NOW, Duration.ofMinutes(5)));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        VerifiedToken t = JwtVerifier.forKeys(EntraFixture.SIGNER.publicJwkSet(),
                EntraIdService.v1Issuer(AzureEnvironment.PUBLIC, EntraFixture.TENANT), "https://ConfigMgrService",
                CLOCK, Duration.ofMinutes(2)).verify(r.json().path("access_token").asText());
        assertThat(t.claims().getClaim("idtyp")).isEqualTo("device");
        assertThat(t.claims().getClaim("deviceid")).isEqualTo(DEVICE_ID);
        assertThat(t.claims().getClaim("tid")).isEqualTo(EntraFixture.TENANT);
    }

    @Test
    void untrustedExpiredMisaddressedOrForeignAssertionsAreRefused() throws Exception {
        EntraIdService s = entra();
        IssuedCert foreign = LabCa.createEphemeral().issue(CertSpec.client(DEVICE_ID));
        assertRefused(request(s, assertion(foreign, DEVICE_ID, TOKEN_URL, NOW, Duration.ofMinutes(5))), 700027);
        assertRefused(request(s, assertion(DEVICE, DEVICE_ID, TOKEN_URL, NOW.minus(Duration.ofHours(1)),
                Duration.ofMinutes(5))), 700024);
        assertRefused(request(s, assertion(DEVICE, DEVICE_ID, "https://elsewhere/token", NOW,
                Duration.ofMinutes(5))), 700020);
        assertRefused(request(s, assertion(DEVICE, UUID.randomUUID().toString(), TOKEN_URL, NOW,
                Duration.ofMinutes(5))), 700021);
        assertRefused(request(s, "not.a.jwt"), 50027);
        IssuedCert named = DEVICE_CA.issue(CertSpec.client("client01.corp.contoso.com"));
        assertRefused(request(s, assertion(named, "client01.corp.contoso.com", TOKEN_URL, NOW,
                Duration.ofMinutes(5))), 700027);
        EntraIdService noDevices = EntraFixture.entra(CLOCK);
        assertRefused(request(noDevices, assertion(DEVICE, DEVICE_ID, TOKEN_URL, NOW, Duration.ofMinutes(5))),
                7000112);
    }

    private static void assertRefused(EntraFixture.Result r, int aadsts) {
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.json().path("error").asText()).isEqualTo("invalid_grant");
        assertThat(r.json().path("error_description").asText()).startsWith("AADSTS" + aadsts + ":");
    }
}
