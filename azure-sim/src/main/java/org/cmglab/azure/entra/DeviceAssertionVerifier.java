package org.cmglab.azure.entra;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.util.Base64;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.cmglab.proto.pki.ClientCertValidator;

/**
 * Checks a device's sign-in assertion for the lab's device-token grant (RFC 7523 JWT bearer,
 * {@code grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer}).
 *
 * <p>Entra-joined Windows devices prove their identity with the device certificate that Entra's device CA
 * (MS-Organization-Access) issued at registration, subject {@code CN=<device id>}. The lab models that: the assertion
 * is an RS256 JWT whose header carries the device certificate ({@code x5c}), signed with the device's key, with
 * {@code iss} = {@code sub} = the device id, {@code aud} = the token endpoint URL, and a lifetime of at most 10
 * minutes; the certificate must chain to a trusted device CA, be valid and allow client authentication. (Windows
 * obtains device tokens through its primary refresh token, which the lab does not emulate.)
 */
final class DeviceAssertionVerifier {
    static final String GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    private static final Duration MAX_LIFETIME = Duration.ofMinutes(10);
    private static final Duration SKEW = Duration.ofMinutes(2);

    /** A refusal with the AADSTS code and text to send. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        final int aadsts;

        Refused(int aadsts, String message) {
            super(message);
            this.aadsts = aadsts;
        }
    }

    /** A verified device: its id (the certificate CN) and object id in the directory. */
    record Device(String deviceId, String objectId, X509Certificate certificate) {}

    private final ClientCertValidator deviceCas;
    private final Clock clock;

    DeviceAssertionVerifier(List<X509Certificate> deviceCaRoots, Clock clock) {
        this.deviceCas = deviceCaRoots.isEmpty() ? null : new ClientCertValidator(deviceCaRoots);
        this.clock = clock;
    }

    Device verify(String assertion, String tokenEndpointUrl) throws Refused {
        if (deviceCas == null) {
            throw new Refused(7000112, "This directory has no device registration: device sign-in is disabled.");
        }
        SignedJWT jwt;
        X509Certificate cert;
        try {
            jwt = SignedJWT.parse(assertion);
            List<Base64> x5c = jwt.getHeader().getX509CertChain();
            if (x5c == null || x5c.isEmpty()) {
                throw new Refused(50027, "JWT token is invalid or malformed: the assertion header has no x5c certificate.");
            }
            cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(x5c.get(0).decode()));
        } catch (ParseException | CertificateException e) {
            throw new Refused(50027, "JWT token is invalid or malformed: " + e.getMessage());
        }
        if (!JWSAlgorithm.RS256.equals(jwt.getHeader().getAlgorithm())) {
            throw new Refused(5002738, "Invalid JWT token: the assertion must be signed with RS256, not "
                    + jwt.getHeader().getAlgorithm() + ".");
        }
        Instant now = clock.instant();
        ClientCertValidator.Result r = deviceCas.validate(List.of(cert), now);
        if (!r.ok()) {
            throw new Refused(700027, "Client assertion failed signature validation: the device certificate is not"
                    + " trusted (" + r.detail() + ").");
        }
        try {
            if (!(cert.getPublicKey() instanceof RSAPublicKey pub) || !jwt.verify(new RSASSAVerifier(pub))) {
                throw new Refused(700027, "Client assertion failed signature validation.");
            }
        } catch (JOSEException e) {
            throw new Refused(700027, "Client assertion failed signature validation: " + e.getMessage());
        }
        String deviceId = commonName(cert);
        JWTClaimsSet c;
        try {
            c = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw new Refused(50027, "JWT token is invalid or malformed: " + e.getMessage());
        }
        if (!deviceId.equalsIgnoreCase(c.getIssuer()) || !deviceId.equalsIgnoreCase(c.getSubject())) {
            throw new Refused(700021, "Client assertion application identifier doesn't match 'client_id' parameter:"
                    + " iss and sub must both be the device id " + deviceId + ".");
        }
        if (c.getAudience() == null || c.getAudience().stream().noneMatch(a -> a.equalsIgnoreCase(tokenEndpointUrl))) {
            throw new Refused(700020, "Client assertion audience claim does not match Realm issuer: expected "
                    + tokenEndpointUrl + ".");
        }
        if (c.getExpirationTime() == null || c.getIssueTime() == null) {
            throw new Refused(700023, "Client assertion must contain exp and iat claims.");
        }
        Instant exp = c.getExpirationTime().toInstant();
        Instant iat = c.getIssueTime().toInstant();
        if (now.isAfter(exp.plus(SKEW)) || now.isBefore(iat.minus(SKEW))
                || Duration.between(iat, exp).compareTo(MAX_LIFETIME) > 0) {
            throw new Refused(700024, "Client assertion is not within its valid time range (iat " + iat + ", exp "
                    + exp + ", now " + now + ", at most " + MAX_LIFETIME.toMinutes() + " minutes).");
        }
        String objectId = UUID.nameUUIDFromBytes(("device:" + deviceId.toLowerCase(Locale.ROOT)).getBytes()).toString();
        return new Device(deviceId.toLowerCase(Locale.ROOT), objectId, cert);
    }

    private static String commonName(X509Certificate cert) throws Refused {
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    String cn = rdn.getValue().toString();
                    UUID.fromString(cn); // a device id is a GUID
                    return cn;
                }
            }
        } catch (javax.naming.InvalidNameException | IllegalArgumentException e) {
            // fall through
        }
        throw new Refused(700027, "The device certificate's subject must be CN=<device id GUID>, not "
                + cert.getSubjectX500Principal().getName() + ".");
    }
}
