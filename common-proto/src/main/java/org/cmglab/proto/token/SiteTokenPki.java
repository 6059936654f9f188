package org.cmglab.proto.token;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The site's token PKI: a self-signed {@code SMS Issuing} root and the {@code SMS Token Signing Certificate}
 * (RSA 2048) it issued, which signs every site token. Kept in the lab's {@code pki/} folder (git-ignored), created
 * on first use and re-issued when the signing certificate expires within 7 days.
 */
public final class SiteTokenPki {
    private static final Logger log = LoggerFactory.getLogger(SiteTokenPki.class);

    public static final String ISSUING_CN = "SMS Issuing";
    public static final String SIGNING_CN = "SMS Token Signing Certificate";
    public static final String ISSUING_CERT_FILE = "sms-issuing.crt.pem";
    public static final String ISSUING_KEY_FILE = "sms-issuing.key.pem";
    public static final String SIGNING_CERT_FILE = "sms-token-signing.crt.pem";
    public static final String SIGNING_KEY_FILE = "sms-token-signing.key.pem";
    static final Duration RENEW_BEFORE = Duration.ofDays(7);

    private final IssuedCert issuing;
    private final IssuedCert signing;

    private SiteTokenPki(IssuedCert issuing, IssuedCert signing) {
        this.issuing = issuing;
        this.signing = signing;
    }

    /** A new in-memory token PKI (tests). */
    public static SiteTokenPki createEphemeral() {
        LabCa root = LabCa.createRoot(ISSUING_CN, null);
        return new SiteTokenPki(root.rootWithKey(), root.issue(signingSpec()));
    }

    /** Loads the root and signing certificate from {@code dir}, creating what is missing, expiring or mismatched. */
    public static SiteTokenPki loadOrCreate(Path dir) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Files.createDirectories(dir);
        Path rootCert = dir.resolve(ISSUING_CERT_FILE);
        Path rootKey = dir.resolve(ISSUING_KEY_FILE);
        LabCa root;
        IssuedCert rootIssued;
        if (Files.exists(rootCert) && Files.exists(rootKey)) {
            rootIssued = IssuedCert.readPem(rootCert, rootKey);
            root = LabCa.of(rootIssued);
        } else {
            root = LabCa.createRoot(ISSUING_CN, null);
            rootIssued = root.rootWithKey();
            rootIssued.writePem(rootCert, rootKey);
            log.info("Created the site's token root {} in {}", ISSUING_CN, dir);
        }
        Path cert = dir.resolve(SIGNING_CERT_FILE);
        Path key = dir.resolve(SIGNING_KEY_FILE);
        if (Files.exists(cert) && Files.exists(key)) {
            try {
                IssuedCert have = IssuedCert.readPem(cert, key);
                have.certificate().verify(root.root().getPublicKey());
                if (have.certificate().getNotAfter().toInstant().isAfter(Instant.now().plus(RENEW_BEFORE))) {
                    return new SiteTokenPki(rootIssued, have);
                }
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                // unreadable, from another root or expiring: issue a new one below
            }
        }
        IssuedCert signing = root.issue(signingSpec());
        signing.writePem(cert, key);
        log.info("Issued the {} (thumbprint {}) in {}", SIGNING_CN, signing.thumbprintSha1Hex(), dir);
        return new SiteTokenPki(rootIssued, signing);
    }

    private static CertSpec signingSpec() {
        return CertSpec.builder(SIGNING_CN).validity(Duration.ofDays(365)).build();
    }

    /** The {@code SMS Issuing} root (with its key). */
    public IssuedCert issuing() {
        return issuing;
    }

    /** The {@code SMS Token Signing Certificate} (with its key). */
    public IssuedCert signing() {
        return signing;
    }
}
