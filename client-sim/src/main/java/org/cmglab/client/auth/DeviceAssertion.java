package org.cmglab.client.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.util.Base64;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.cert.CertificateEncodingException;
import java.security.interfaces.RSAPrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.cmglab.proto.pki.IssuedCert;

/**
 * The lab's Entra device sign-in assertion (RFC 7523 JWT bearer): RS256, header {@code x5c} = the device certificate,
 * {@code iss} = {@code sub} = the device id (the certificate's CN), {@code aud} = the token endpoint URL as Entra
 * names it (no port), {@code iat}, {@code exp} = iat + 5 min, {@code jti}. See azure-sim's DeviceAssertionVerifier.
 */
public final class DeviceAssertion {
    static final Duration LIFETIME = Duration.ofMinutes(5);

    private DeviceAssertion() {}

    public static String sign(IssuedCert device, String tokenEndpointUrl, Instant now) {
        if (!(device.privateKey() instanceof RSAPrivateKey key)) {
            throw new IllegalArgumentException("device key: " + device.privateKey().getAlgorithm() + " (expected: RSA)");
        }
        String deviceId = deviceId(device);
        Instant iat = Instant.ofEpochSecond(now.getEpochSecond());
        try {
            JWSHeader h = new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT)
                    .x509CertChain(List.of(Base64.encode(device.certificate().getEncoded()))).build();
            JWTClaimsSet c = new JWTClaimsSet.Builder().issuer(deviceId).subject(deviceId).audience(tokenEndpointUrl)
                    .issueTime(Date.from(iat)).notBeforeTime(Date.from(iat)).expirationTime(Date.from(iat.plus(LIFETIME)))
                    .jwtID(UUID.randomUUID().toString()).build();
            SignedJWT jwt = new SignedJWT(h, c);
            jwt.sign(new RSASSASigner(key));
            return jwt.serialize();
        } catch (CertificateEncodingException | JOSEException e) {
            throw new IllegalStateException("cannot sign the device assertion: " + e.getMessage(), e);
        }
    }

    /**
     * The assertion's {@code aud}: the token endpoint of {@code authority} ({@code https://<login host>[:port]/<tenant>})
     * as Entra names it, without a port: {@code https://<login host>/<tenant>/oauth2/token}.
     */
    public static String audience(String authority) {
        java.net.URI a = java.net.URI.create(authority);
        return "https://" + a.getHost() + a.getRawPath() + "/oauth2/token";
    }

    /** The CN of the device certificate. */
    public static String deviceId(IssuedCert device) {
        try {
            for (Rdn rdn : new LdapName(device.certificate().getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return rdn.getValue().toString();
                }
            }
        } catch (InvalidNameException e) {
            // fall through
        }
        throw new IllegalArgumentException("device certificate " + device.certificate().getSubjectX500Principal()
                + " has no CN (expected: CN=<device id>)");
    }
}
