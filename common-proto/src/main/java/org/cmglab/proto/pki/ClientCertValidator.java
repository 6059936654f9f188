package org.cmglab.proto.pki;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * Validates a client certificate chain per request, the way the CMG (IIS) does after a TLS
 * handshake in {@link ClientAuthMode#DEFERRED} mode, and explains failures so the caller can
 * answer 403 with a reason.
 *
 * <p>Checks, in order: a certificate was presented; every presented certificate is within its
 * validity period at {@code now}; the chain builds to one of the trusted roots (PKIX, revocation
 * disabled); the leaf's EKU contains clientAuth. A leaf without any EKU extension is rejected
 * with {@link Failure#WRONG_EKU} — stricter than Windows, which treats a missing EKU as
 * "all purposes".
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class ClientCertValidator {

    /** Why a chain was rejected. */
    public enum Failure {
        /** No client certificate was presented. */
        MISSING,
        /** The chain does not build to a trusted root. */
        UNTRUSTED_CA,
        /** A certificate in the chain expired. */
        EXPIRED,
        /** A certificate in the chain is not valid yet. */
        NOT_YET_VALID,
        /** The leaf is not allowed for client authentication. */
        WRONG_EKU
    }

    /**
     * Outcome of {@link #validate}.
     *
     * @param ok      whether the chain is acceptable
     * @param failure why not, or {@code null} when ok
     * @param detail  a human sentence naming the subject and the reason
     * @param leaf    the presented leaf, or {@code null} when none was presented
     */
    public record Result(boolean ok, Failure failure, String detail, X509Certificate leaf) {
        /** Checks that {@code failure} is present exactly when not ok. */
        public Result {
            Objects.requireNonNull(detail, "detail");
            if (ok != (failure == null)) {
                throw new IllegalArgumentException("failure: " + failure + " (expected: null iff ok)");
            }
        }

        static Result accepted(X509Certificate leaf) {
            return new Result(true, null, "client certificate " + subject(leaf) + " is valid", leaf);
        }

        static Result rejected(Failure failure, String detail, X509Certificate leaf) {
            return new Result(false, failure, detail, leaf);
        }
    }

    private static final String CLIENT_AUTH_OID = Eku.CLIENT_AUTH.oid();

    private final List<X509Certificate> trustedRoots;
    private final Set<TrustAnchor> anchors;

    /** Creates a validator trusting exactly {@code trustedRoots}. */
    public ClientCertValidator(List<X509Certificate> trustedRoots) {
        this.trustedRoots = List.copyOf(Objects.requireNonNull(trustedRoots, "trustedRoots"));
        if (this.trustedRoots.isEmpty()) {
            throw new IllegalArgumentException("trustedRoots: [] (expected: at least one root)");
        }
        Set<TrustAnchor> set = new LinkedHashSet<>();
        for (X509Certificate root : this.trustedRoots) {
            set.add(new TrustAnchor(root, null));
        }
        this.anchors = Set.copyOf(set);
    }

    /**
     * Validates {@code presentedChainLeafFirst} at {@code now}.
     *
     * @param presentedChainLeafFirst the peer's chain as sent, leaf first; null or empty = none sent
     */
    public Result validate(List<X509Certificate> presentedChainLeafFirst, Instant now) {
        Objects.requireNonNull(now, "now");
        if (presentedChainLeafFirst == null || presentedChainLeafFirst.isEmpty()) {
            return Result.rejected(Failure.MISSING, "no client certificate presented", null);
        }
        List<X509Certificate> chain = List.copyOf(presentedChainLeafFirst);
        X509Certificate leaf = chain.get(0);
        Date date = Date.from(now);

        for (int i = 0; i < chain.size(); i++) {
            X509Certificate c = chain.get(i);
            String who = i == 0
                    ? "client certificate " + subject(c)
                    : "issuing certificate " + subject(c) + " of client certificate " + subject(leaf);
            if (date.after(c.getNotAfter())) {
                return Result.rejected(Failure.EXPIRED, who + " expired at " + c.getNotAfter().toInstant(), leaf);
            }
            if (date.before(c.getNotBefore())) {
                return Result.rejected(Failure.NOT_YET_VALID,
                        who + " is not valid before " + c.getNotBefore().toInstant(), leaf);
            }
        }

        // Drop a trailing trust anchor the client may have sent along: PKIX paths exclude it.
        List<X509Certificate> path = new ArrayList<>(chain);
        while (path.size() > 1 && trustedRoots.contains(path.get(path.size() - 1))) {
            path.remove(path.size() - 1);
        }
        Result pkix = pkix(path, date, leaf);
        if (pkix != null) {
            return pkix;
        }

        List<String> ekus;
        try {
            ekus = leaf.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            return Result.rejected(Failure.WRONG_EKU, "client certificate " + subject(leaf)
                    + " has an unreadable extended key usage extension", leaf);
        }
        if (ekus == null) {
            return Result.rejected(Failure.WRONG_EKU, "client certificate " + subject(leaf)
                    + " has no extended key usage (expected: clientAuth " + CLIENT_AUTH_OID + ")", leaf);
        }
        if (!ekus.contains(CLIENT_AUTH_OID)) {
            return Result.rejected(Failure.WRONG_EKU, "client certificate " + subject(leaf)
                    + " is not valid for client authentication: EKU " + ekus
                    + " (expected: clientAuth " + CLIENT_AUTH_OID + ")", leaf);
        }
        return Result.accepted(leaf);
    }

    /** Returns a rejection, or {@code null} when the path validates. */
    private Result pkix(List<X509Certificate> path, Date date, X509Certificate leaf) {
        try {
            CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            params.setDate(date);
            CertPathValidator.getInstance("PKIX").validate(certPath, params);
            return null;
        } catch (CertPathValidatorException e) {
            if (e.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
                return Result.rejected(Failure.EXPIRED, "client certificate " + subject(leaf)
                        + " chains to an expired certificate: " + e.getMessage(), leaf);
            }
            if (e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
                return Result.rejected(Failure.NOT_YET_VALID, "client certificate " + subject(leaf)
                        + " chains to a certificate that is not valid yet: " + e.getMessage(), leaf);
            }
            return Result.rejected(Failure.UNTRUSTED_CA, "client certificate " + subject(leaf)
                    + " issued by " + issuer(leaf) + " does not chain to a trusted root: " + e.getMessage(), leaf);
        } catch (InvalidAlgorithmParameterException e) {
            throw new IllegalStateException("invalid PKIX parameters", e);
        } catch (GeneralSecurityException e) {
            return Result.rejected(Failure.UNTRUSTED_CA, "client certificate " + subject(leaf)
                    + " could not be validated: " + e.getMessage(), leaf);
        }
    }

    /**
     * The peer's X.509 chain as sent (leaf first), or an empty list when the peer sent no
     * certificate.
     */
    public static List<X509Certificate> peerChain(SSLSession session) {
        Objects.requireNonNull(session, "session");
        Certificate[] certs;
        try {
            certs = session.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return List.of();
        }
        if (certs == null) {
            return List.of();
        }
        List<X509Certificate> out = new ArrayList<>(certs.length);
        for (Certificate c : certs) {
            if (c instanceof X509Certificate x) {
                out.add(x);
            }
        }
        return List.copyOf(out);
    }

    static String subject(X509Certificate cert) {
        return cert.getSubjectX500Principal().getName(X500Principal.RFC2253);
    }

    private static String issuer(X509Certificate cert) {
        return cert.getIssuerX500Principal().getName(X500Principal.RFC2253);
    }
}
