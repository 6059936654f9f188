package org.cmglab.proto.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.cmglab.proto.pki.IssuedCert;

/**
 * Signs JWTs with RS256 (header {@code typ: JWT}, {@code kid}, and {@code x5t} when built from a
 * certificate, as the product's token-signing certificate does) and publishes the public key as
 * a JWK set. Instances are immutable and thread-safe.
 */
public final class JwtSigner {

    private final String keyId;
    private final RSAKey jwk;
    private final RSASSASigner signer;
    private final Base64URL x5t;

    private JwtSigner(String keyId, RSAKey jwk, Base64URL x5t) {
        this.keyId = keyId;
        this.jwk = jwk;
        this.x5t = x5t;
        try {
            this.signer = new RSASSASigner(jwk);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("key: " + keyId + " (expected: a usable RSA private key)", e);
        }
    }

    /** A signer for an existing RSA key pair. */
    public static JwtSigner rsa(String keyId, RSAPrivateKey key, RSAPublicKey pub) {
        requireKeyId(keyId);
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(pub, "pub");
        RSAKey jwk = new RSAKey.Builder(pub).privateKey(key).keyID(keyId)
                .keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256).build();
        return new JwtSigner(keyId, jwk, null);
    }

    /**
     * The signer of the RSA key in {@code keyFile} (unencrypted PKCS#8 PEM), generated there (RSA 2048, file mode
     * 0600) when the file does not exist yet: a key that lives as long as the lab's state folder, as a tenant's signing
     * key outlives a restart of the service. Generating takes seconds in a JVM that has just started, so the lab makes
     * it when it writes its plan, with the rest of its keys.
     *
     * @throws IOException if the file cannot be read or written, or holds no RSA private key
     */
    public static JwtSigner loadOrGenerate(String keyId, java.nio.file.Path keyFile) throws java.io.IOException {
        requireKeyId(keyId);
        if (java.nio.file.Files.isRegularFile(keyFile)) {
            java.security.PrivateKey k = org.cmglab.proto.pki.Pem.readPrivateKey(keyFile);
            if (!(k instanceof java.security.interfaces.RSAPrivateCrtKey crt)) {
                throw new java.io.IOException(keyFile + ": " + k.getAlgorithm() + " key (expected: an RSA private key)");
            }
            try {
                RSAPublicKey pub = (RSAPublicKey) java.security.KeyFactory.getInstance("RSA").generatePublic(
                        new java.security.spec.RSAPublicKeySpec(crt.getModulus(), crt.getPublicExponent()));
                return rsa(keyId, crt, pub);
            } catch (GeneralSecurityException e) {
                throw new java.io.IOException(keyFile + ": " + e.getMessage(), e);
            }
        }
        JwtSigner s = generate(keyId);
        java.nio.file.Path dir = keyFile.toAbsolutePath().getParent();
        if (dir != null) {
            java.nio.file.Files.createDirectories(dir);
        }
        try {
            IssuedCert.writeSecret(keyFile, org.cmglab.proto.pki.Pem.toPem(s.jwk.toRSAPrivateKey()));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot encode the generated key", e);
        }
        return s;
    }

    /** A signer with a fresh RSA 2048 key pair. */
    public static JwtSigner generate(String keyId) {
        requireKeyId(keyId);
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            KeyPair kp = g.generateKeyPair();
            return rsa(keyId, (RSAPrivateKey) kp.getPrivate(), (RSAPublicKey) kp.getPublic());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate RSA key pair", e);
        }
    }

    /**
     * A signer for a token-signing certificate with an RSA key. Both {@code kid} and {@code x5t}
     * are the base64url SHA-1 thumbprint of the certificate (the Azure AD convention); the
     * published JWK also carries {@code x5t} and the {@code x5c} chain.
     */
    @SuppressWarnings("deprecation") // x5t (SHA-1) is deprecated in Nimbus, but it is what the product uses
    public static JwtSigner fromCertificate(IssuedCert cert) {
        Objects.requireNonNull(cert, "cert");
        if (!(cert.privateKey() instanceof RSAPrivateKey priv)
                || !(cert.certificate().getPublicKey() instanceof RSAPublicKey pub)) {
            throw new IllegalArgumentException("cert key: " + cert.privateKey().getAlgorithm() + " (expected: RSA)");
        }
        try {
            X509Certificate x = cert.certificate();
            Base64URL thumbprint = Base64URL.encode(MessageDigest.getInstance("SHA-1").digest(x.getEncoded()));
            List<Base64> x5c = new ArrayList<>();
            for (X509Certificate c : cert.chain()) {
                x5c.add(Base64.encode(c.getEncoded()));
            }
            RSAKey jwk = new RSAKey.Builder(pub).privateKey(priv).keyID(thumbprint.toString())
                    .keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256)
                    .x509CertThumbprint(thumbprint).x509CertChain(x5c).build();
            return new JwtSigner(thumbprint.toString(), jwk, thumbprint);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot compute certificate thumbprint", e);
        }
    }

    /** The {@code kid} put into every header. */
    public String keyId() {
        return keyId;
    }

    /** Signs {@code claims} as a compact RS256 JWS. Time claims are taken as given. */
    @SuppressWarnings("deprecation") // x5t, see fromCertificate
    public String sign(JWTClaimsSet claims) {
        Objects.requireNonNull(claims, "claims");
        JWSHeader.Builder header = new JWSHeader.Builder(JWSAlgorithm.RS256)
                .type(JOSEObjectType.JWT)
                .keyID(keyId);
        if (x5t != null) {
            header.x509CertThumbprint(x5t);
        }
        SignedJWT jwt = new SignedJWT(header.build(), claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign JWT with key " + keyId, e);
        }
        return jwt.serialize();
    }

    /** The public key(s) as a JWK set (no private parameters). */
    public JWKSet publicJwkSet() {
        return new JWKSet(jwk.toPublicJWK());
    }

    /** {@link #publicJwkSet()} as JSON, e.g. to serve from a {@code /keys} endpoint. */
    public String publicJwkSetJson() {
        return publicJwkSet().toString(true);
    }

    private static void requireKeyId(String keyId) {
        Objects.requireNonNull(keyId, "keyId");
        if (keyId.isBlank()) {
            throw new IllegalArgumentException("keyId: '" + keyId + "' (expected: non-blank)");
        }
    }
}
