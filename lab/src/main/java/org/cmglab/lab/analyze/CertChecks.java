package org.cmglab.lab.analyze;

import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The certificate checks of the connection analyzer, as pure functions over certificates (unit-tested with
 * generated certificates): the CMG's server certificate (chain to the lab root, name = service name, validity)
 * and the client's PKI certificate (chain, client authentication EKU, validity).
 */
public final class CertChecks {
    static final String CLIENT_AUTH_EKU = "1.3.6.1.5.5.7.3.2";
    static final String SERVER_AUTH_EKU = "1.3.6.1.5.5.7.3.1";

    private CertChecks() {}

    /** The CMG server certificate {@code chain} (leaf first) against {@code root}, {@code serviceName} and {@code now}. */
    public static List<Check> serverCertificate(List<X509Certificate> chain, X509Certificate root, String serviceName,
                                                Instant now) {
        String area = "CMG service";
        List<Check> out = new ArrayList<>();
        if (chain == null || chain.isEmpty()) {
            out.add(Check.fail(area, "Server certificate chains to the lab root", "the CMG presented no certificate",
                    "Check the CMG's server authentication certificate (pki/cmg-server.*): re-run cmglab plan"));
            return out;
        }
        X509Certificate leaf = chain.get(0);
        String chainProblem = chainProblem(chain, root, now);
        out.add(chainProblem == null
                ? Check.pass(area, "Server certificate chains to the lab root", subject(leaf) + " issued by "
                        + root.getSubjectX500Principal().getName())
                : Check.fail(area, "Server certificate chains to the lab root", chainProblem,
                        "Clients trust only the lab root CA (pki/lab-root-ca.crt.pem): issue the CMG server "
                                + "authentication certificate from it (cmglab plan re-issues it) and redeploy the CMG"));
        List<String> names = dnsNames(leaf);
        boolean nameOk = names.stream().anyMatch(n -> n.equalsIgnoreCase(serviceName));
        out.add(nameOk
                ? Check.pass(area, "Server certificate name = service name", "DNS names " + names + " include "
                        + serviceName + " (CN " + commonName(leaf) + ")")
                : Check.fail(area, "Server certificate name = service name", "the certificate names " + names
                        + " (CN " + commonName(leaf) + "), not the service name " + serviceName,
                        "The CMG service name is the CN of its server authentication certificate: issue a certificate "
                                + "for " + serviceName + " and redeploy the CMG; clients fail with "
                                + "CERT_CN_INVALID meanwhile"));
        out.add(validity(area, "Server certificate is within its validity period", leaf, now,
                "Renew the CMG server authentication certificate (cmglab plan renews certificates that expire "
                        + "within 7 days) and redeploy the CMG"));
        return out;
    }

    /** The client's PKI certificate {@code chain} (leaf first): chain to {@code root}, client-auth EKU, validity. */
    public static List<Check> clientCertificate(List<X509Certificate> chain, X509Certificate root, Instant now) {
        String area = "Authentication";
        List<Check> out = new ArrayList<>();
        if (chain == null || chain.isEmpty()) {
            out.add(Check.fail(area, "Client certificate chains to a trusted root", "no client certificate found",
                    "Issue the client a client authentication certificate from the lab root (cmglab plan)"));
            return out;
        }
        X509Certificate leaf = chain.get(0);
        String chainProblem = chainProblem(chain, root, now);
        out.add(chainProblem == null
                ? Check.pass(area, "Client certificate chains to a trusted root", subject(leaf) + " issued by "
                        + root.getSubjectX500Principal().getName() + " (a root the CMG trusts)")
                : Check.fail(area, "Client certificate chains to a trusted root", chainProblem,
                        "The CMG accepts client certificates that chain to the trusted root certificates of the "
                                + "CMG: issue the client certificate from the lab root or add its root to the CMG"));
        List<String> ekus = ekus(leaf);
        out.add(ekus == null || ekus.contains(CLIENT_AUTH_EKU)
                ? Check.pass(area, "Client certificate has client authentication EKU",
                        ekus == null ? "no EKU extension (any purpose)" : "EKU " + ekus)
                : Check.fail(area, "Client certificate has client authentication EKU", "EKU " + ekus + " lacks "
                        + CLIENT_AUTH_EKU + " (client authentication)",
                        "Issue the client certificate from a template with Client Authentication (1.3.6.1.5.5.7.3.2); "
                                + "the CMG refuses it with 403 CMGConnector_Forbidden"));
        out.add(validity(area, "Client certificate is within its validity period", leaf, now,
                "Renew the client certificate (cmglab plan renews certificates that expire within 7 days)"));
        return out;
    }

    static Check validity(String area, String name, X509Certificate leaf, Instant now, String fix) {
        Instant nb = leaf.getNotBefore().toInstant();
        Instant na = leaf.getNotAfter().toInstant();
        if (now.isBefore(nb)) {
            return Check.fail(area, name, "not valid before " + nb + " (now " + now + ")", fix
                    + "; or correct a clock that is behind");
        }
        if (now.isAfter(na)) {
            return Check.fail(area, name, "expired at " + na + " (now " + now + ")", fix);
        }
        return Check.pass(area, name, "valid until " + na + " (" + Duration.between(now, na).toDays() + " days left)");
    }

    /** Why {@code chain} does not validate to {@code root} at {@code now}, or null when it does. */
    static String chainProblem(List<X509Certificate> chain, X509Certificate root, Instant now) {
        List<X509Certificate> path = new ArrayList<>(chain);
        // the path given to the validator ends below the anchor
        path.removeIf(c -> c.equals(root));
        if (path.isEmpty()) {
            return "the chain holds only the root itself";
        }
        try {
            CertPath cp = CertificateFactory.getInstance("X.509").generateCertPath(path);
            PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
            params.setRevocationEnabled(false);
            params.setDate(Date.from(now));
            CertPathValidator.getInstance("PKIX").validate(cp, params);
            return null;
        } catch (CertPathValidatorException e) {
            String why = e.getReason() == null ? "" : " (" + e.getReason().toString().toLowerCase(Locale.ROOT)
                    .replace('_', ' ') + ")";
            return "does not chain to " + root.getSubjectX500Principal().getName() + why + ": " + e.getMessage();
        } catch (GeneralSecurityException e) {
            return "cannot validate the chain: " + e.getMessage();
        }
    }

    static List<String> dnsNames(X509Certificate c) {
        List<String> out = new ArrayList<>();
        try {
            var all = c.getSubjectAlternativeNames();
            if (all != null) {
                for (List<?> san : all) {
                    if (Integer.valueOf(2).equals(san.get(0))) {
                        out.add(String.valueOf(san.get(1)));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // no usable SANs
        }
        if (out.isEmpty()) {
            String cn = commonName(c);
            if (cn != null) {
                out.add(cn);
            }
        }
        return out;
    }

    /** The EKU OIDs, or null when the certificate has no EKU extension. */
    static List<String> ekus(X509Certificate c) {
        try {
            return c.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            return List.of();
        }
    }

    static String commonName(X509Certificate c) {
        for (String part : c.getSubjectX500Principal().getName().split(",")) {
            String p = part.trim();
            if (p.regionMatches(true, 0, "CN=", 0, 3)) {
                return p.substring(3);
            }
        }
        return null;
    }

    private static String subject(X509Certificate c) {
        return "CN=" + commonName(c);
    }
}
