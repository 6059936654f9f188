package org.cmglab.azure.arm;

import java.io.IOException;
import java.io.StringReader;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * The naming and input rules of the real product, each failing with a 400 whose message says which rule failed
 * (cmg-facts §1.1, §5.1, §7).
 */
final class ArmValidation {
    private static final Pattern RG = Pattern.compile("[-\\w._()]{1,90}");
    private static final Pattern RG_VMSS = Pattern.compile("[a-z0-9-]+");
    private static final Pattern CMG_CHARS = Pattern.compile("[A-Za-z0-9-]+");
    private static final Pattern STORAGE = Pattern.compile("[a-z0-9]{3,24}");
    private static final Pattern LOCATION = Pattern.compile("[a-z0-9]{2,40}");
    private static final Pattern SITE = Pattern.compile("[A-Za-z0-9]{3}");

    private ArmValidation() {}

    static void resourceGroup(String rg, boolean vmss) {
        if (!RG.matcher(rg).matches() || rg.endsWith(".")) {
            throw new ArmException(400, "InvalidResourceGroupName", "resource group '" + rg + "': expected 1-90 "
                    + "letters, digits, underscores, periods, hyphens and parentheses, not ending with a period");
        }
        if (vmss && !RG_VMSS.matcher(rg).matches()) {
            throw new ArmException(400, "InvalidResourceGroupName", "resource group '" + rg + "': a CMG on a virtual "
                    + "machine scale set derives its storage container name from the resource group name (2010/2103), "
                    + "so the name must be lowercase letters, digits and hyphens only");
        }
    }

    /** Checks the CMG name rule then the storage-account rule; returns the lower-case prefix. */
    static String prefix(String name) {
        if (name.length() < 3 || name.length() > 24) {
            throw new ArmException(400, "InvalidResourceName", "CMG name '" + name + "' is " + name.length()
                    + " characters (expected: 3-24)");
        }
        if (!CMG_CHARS.matcher(name).matches()) {
            throw new ArmException(400, "InvalidResourceName", "CMG name '" + name
                    + "': only letters, digits and hyphens are allowed");
        }
        if (!Character.isLetter(name.charAt(0))) {
            throw new ArmException(400, "InvalidResourceName", "CMG name '" + name + "' must start with a letter");
        }
        if (!Character.isLetterOrDigit(name.charAt(name.length() - 1))) {
            throw new ArmException(400, "InvalidResourceName", "CMG name '" + name
                    + "' must end with a letter or digit");
        }
        if (name.contains("--")) {
            throw new ArmException(400, "InvalidResourceName", "CMG name '" + name
                    + "' must not contain consecutive hyphens");
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (!STORAGE.matcher(lower).matches()) {
            throw new ArmException(400, "StorageAccountNameInvalid", "'" + lower + "' is not a valid storage account "
                    + "name: the deployment creates a storage account (and key vault) with the CMG name, which must be "
                    + "3-24 lowercase letters and digits, no hyphens");
        }
        return lower;
    }

    static String location(String loc) {
        if (loc == null) {
            throw new ArmException(400, "LocationRequired", "location: missing (expected: an Azure region, e.g. westus)");
        }
        String l = loc.replace(" ", "").toLowerCase(Locale.ROOT);
        if (!LOCATION.matcher(l).matches()) {
            throw new ArmException(400, "LocationNotAvailableForResourceType", "location '" + loc
                    + "': expected an Azure region name such as westus");
        }
        return l;
    }

    static int capacity(long n) {
        if (n < 1 || n > 16) {
            throw new ArmException(400, "InvalidParameter", "capacity: " + n + " (expected: 1..16)");
        }
        return (int) n;
    }

    static void siteCode(String s) {
        if (s == null || !SITE.matcher(s).matches()) {
            throw new ArmException(400, "InvalidParameter", "properties.cmg.siteCode: " + s
                    + " (expected: 3 letters or digits)");
        }
    }

    static List<X509Certificate> certificates(String pem, String what) {
        List<X509Certificate> certs = new ArrayList<>();
        try (PEMParser p = new PEMParser(new StringReader(pem == null ? "" : pem))) {
            Object o;
            while ((o = p.readObject()) != null) {
                if (o instanceof X509CertificateHolder h) {
                    certs.add(new JcaX509CertificateConverter().getCertificate(h));
                }
            }
        } catch (IOException | java.security.cert.CertificateException | RuntimeException e) {
            throw new ArmException(400, "InvalidParameter", what + ": not a PEM certificate (" + e.getMessage() + ")");
        }
        if (certs.isEmpty()) {
            throw new ArmException(400, "InvalidParameter", what + ": no certificate (expected: a BEGIN CERTIFICATE "
                    + "block)");
        }
        return certs;
    }

    static PrivateKey privateKey(String pem) {
        try (PEMParser p = new PEMParser(new StringReader(pem == null ? "" : pem))) {
            Object o;
            while ((o = p.readObject()) != null) {
                if (o instanceof PrivateKeyInfo info) {
                    return new JcaPEMKeyConverter().getPrivateKey(info);
                }
                if (o instanceof PEMKeyPair pair) {
                    return new JcaPEMKeyConverter().getPrivateKey(pair.getPrivateKeyInfo());
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new ArmException(400, "InvalidParameter", "properties.cmg.privateKeyPem: not a PEM private key ("
                    + e.getMessage() + ")");
        }
        throw new ArmException(400, "InvalidParameter", "properties.cmg.privateKeyPem: no unencrypted private key "
                + "(expected: a BEGIN PRIVATE KEY block)");
    }

    static String commonName(X509Certificate c) {
        try {
            RDN[] cn = new JcaX509CertificateHolder(c).getSubject().getRDNs(BCStyle.CN);
            return cn.length == 0 ? null : IETFUtils.valueToString(cn[0].getFirst().getValue());
        } catch (java.security.cert.CertificateEncodingException e) {
            return null;
        }
    }

    /** The server-auth certificate: CN = service name, key belongs to it, currently valid. */
    static X509Certificate serverCertificate(String certPem, String keyPem, String serviceName) {
        X509Certificate leaf = certificates(certPem, "properties.cmg.certificatePem").get(0);
        String cn = commonName(leaf);
        if (cn == null || !cn.equalsIgnoreCase(serviceName)) {
            throw new ArmException(400, "InvalidParameter", "certificate CN '" + cn + "' must equal the service name '"
                    + serviceName + "' (the CMG service name is the CN of its server-auth certificate)");
        }
        try {
            leaf.checkValidity();
        } catch (java.security.cert.CertificateException e) {
            throw new ArmException(400, "InvalidParameter", "certificate " + cn + " is not valid now (not before "
                    + leaf.getNotBefore().toInstant() + ", not after " + leaf.getNotAfter().toInstant() + ")");
        }
        PrivateKey key = privateKey(keyPem);
        if (!org.cmglab.proto.pki.IssuedCert.keyMatches(key, leaf)) {
            throw new ArmException(400, "InvalidParameter", "properties.cmg.privateKeyPem does not belong to the "
                    + "certificate " + leaf.getSubjectX500Principal());
        }
        return leaf;
    }

}
