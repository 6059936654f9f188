package org.cmglab.proto.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lab's certificate authority: a self-signed RSA 2048 root "CN=CMG Lab Root CA, O=CMG Lab"
 * that issues server, client and intermediate CA certificates for every lab component.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class LabCa {

    /** File name of the root certificate inside the CA directory. */
    public static final String ROOT_CERT_FILE = "lab-root-ca.crt.pem";
    /** File name of the root private key (mode 0600) inside the CA directory. */
    public static final String ROOT_KEY_FILE = "lab-root-ca.key.pem";

    static final Duration ROOT_VALIDITY = Duration.ofDays(3650);

    private static final Logger LOG = LoggerFactory.getLogger(LabCa.class);

    private final X509Certificate root;
    private final PrivateKey rootKey;

    private LabCa(X509Certificate root, PrivateKey rootKey) {
        this.root = root;
        this.rootKey = rootKey;
    }

    /**
     * Loads the root from {@code dir}, or creates the directory and a new root if neither file
     * exists yet.
     *
     * @throws IOException if only one of the two files exists, or they are unreadable or mismatched
     */
    public static LabCa loadOrCreate(Path dir) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Path certFile = dir.resolve(ROOT_CERT_FILE);
        Path keyFile = dir.resolve(ROOT_KEY_FILE);
        boolean haveCert = Files.exists(certFile);
        boolean haveKey = Files.exists(keyFile);
        if (haveCert && haveKey) {
            IssuedCert loaded = IssuedCert.readPem(certFile, keyFile);
            X509Certificate cert = loaded.certificate();
            if (cert.getBasicConstraints() < 0) {
                throw new IOException(certFile + ": " + cert.getSubjectX500Principal()
                        + " (expected: a CA certificate)");
            }
            LOG.debug("Loaded lab root CA {} from {}", cert.getSubjectX500Principal(), dir);
            return new LabCa(cert, loaded.privateKey());
        }
        if (haveCert || haveKey) {
            throw new IOException(dir + ": found only " + (haveCert ? ROOT_CERT_FILE : ROOT_KEY_FILE)
                    + " (expected: both " + ROOT_CERT_FILE + " and " + ROOT_KEY_FILE + ", or neither)");
        }
        Files.createDirectories(dir);
        LabCa ca = createEphemeral();
        IssuedCert.writeSecret(keyFile, Pem.toPem(ca.rootKey));
        Files.writeString(certFile, Pem.toPem(ca.root), StandardCharsets.US_ASCII);
        LOG.info("Created lab root CA {} in {}", ca.root.getSubjectX500Principal(), dir);
        return ca;
    }

    /** Creates a new in-memory root CA (tests, throw-away labs). */
    public static LabCa createEphemeral() {
        return createRoot("CMG Lab Root CA", "CMG Lab");
    }

    /**
     * Creates a new in-memory self-signed RSA 2048 root named {@code CN=<commonName>[, O=<organization>]}, e.g. the
     * site's {@code SMS Issuing} root of the token-signing certificate.
     */
    public static LabCa createRoot(String commonName, String organizationOrNull) {
        Objects.requireNonNull(commonName, "commonName");
        KeyPair keys = Keys.generate(KeyType.RSA_2048);
        X500NameBuilder nb = new X500NameBuilder(BCStyle.INSTANCE);
        if (organizationOrNull != null) {
            nb.addRDN(BCStyle.O, organizationOrNull);
        }
        nb.addRDN(BCStyle.CN, commonName);
        X500Name name = nb.build();
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(),
                Date.from(now.minus(CertSpec.DEFAULT_BACKDATE)), Date.from(now.plus(ROOT_VALIDITY)),
                name, keys.getPublic());
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
        } catch (CertIOException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot build root CA extensions", e);
        }
        return new LabCa(sign(b, keys.getPrivate()), keys.getPrivate());
    }

    /** A CA for an existing self-signed root and its key (e.g. read back with {@link IssuedCert#readPem}). */
    public static LabCa of(IssuedCert root) {
        Objects.requireNonNull(root, "root");
        if (root.certificate().getBasicConstraints() < 0) {
            throw new IllegalArgumentException("root: " + root.certificate().getSubjectX500Principal()
                    + " (expected: a CA certificate)");
        }
        return new LabCa(root.certificate(), root.privateKey());
    }

    /** The root with its key, to write it with {@link IssuedCert#writePem}. */
    public IssuedCert rootWithKey() {
        return new IssuedCert(root, rootKey, List.of(root));
    }

    /** The self-signed root certificate; the trust anchor every lab component installs. */
    public X509Certificate root() {
        return root;
    }

    /** Issues a certificate signed directly by the root; the chain holds only the new certificate. */
    public IssuedCert issue(CertSpec spec) {
        Objects.requireNonNull(spec, "spec");
        return issue(spec, root, rootKey, List.of());
    }

    /**
     * Issues a certificate signed by an intermediate CA previously issued with
     * {@code CertSpec.builder(..).ca(true)}; the chain is the new certificate followed by the
     * intermediate's chain.
     */
    public IssuedCert issueFrom(IssuedCert intermediateCa, CertSpec spec) {
        Objects.requireNonNull(intermediateCa, "intermediateCa");
        Objects.requireNonNull(spec, "spec");
        X509Certificate issuer = intermediateCa.certificate();
        if (issuer.getBasicConstraints() < 0) {
            throw new IllegalArgumentException("intermediateCa: " + issuer.getSubjectX500Principal()
                    + " (expected: a CA certificate)");
        }
        return issue(spec, issuer, intermediateCa.privateKey(), intermediateCa.chain());
    }

    private static IssuedCert issue(CertSpec spec, X509Certificate issuer, PrivateKey issuerKey,
                                    List<X509Certificate> issuerChain) {
        KeyPair keys = Keys.generate(spec.keyType());
        PublicKey pub = keys.getPublic();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, serial(),
                Date.from(spec.notBefore()), Date.from(spec.notAfter()), subject(spec), pub);
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pub));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuer));
            if (spec.ca()) {
                b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
                b.addExtension(Extension.keyUsage, true,
                        new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
            } else {
                b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
                int usage = KeyUsage.digitalSignature;
                if (spec.keyType() == KeyType.RSA_2048) {
                    usage |= KeyUsage.keyEncipherment;
                }
                b.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
            }
            List<GeneralName> sans = new ArrayList<>();
            spec.dnsNames().forEach(d -> sans.add(new GeneralName(GeneralName.dNSName, d)));
            spec.ipAddresses().forEach(ip -> sans.add(new GeneralName(GeneralName.iPAddress, ip)));
            if (!sans.isEmpty()) {
                b.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(sans.toArray(GeneralName[]::new)));
            }
            if (!spec.ekus().isEmpty()) {
                KeyPurposeId[] purposes = spec.ekus().stream()
                        .map(e -> KeyPurposeId.getInstance(new ASN1ObjectIdentifier(e.oid())))
                        .toArray(KeyPurposeId[]::new);
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes));
            }
        } catch (CertIOException | CertificateException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot build extensions for " + spec.commonName(), e);
        }
        X509Certificate cert = sign(b, issuerKey);
        List<X509Certificate> chain = new ArrayList<>(issuerChain.size() + 1);
        chain.add(cert);
        chain.addAll(issuerChain);
        return new IssuedCert(cert, keys.getPrivate(), chain);
    }

    /** Subject in the conventional order so that Java and Windows display "CN=.., OU=.." . */
    private static X500Name subject(CertSpec spec) {
        X500NameBuilder nb = new X500NameBuilder(BCStyle.INSTANCE);
        List<String> ous = spec.organizationalUnits();
        for (int i = ous.size() - 1; i >= 0; i--) {
            nb.addRDN(BCStyle.OU, ous.get(i));
        }
        nb.addRDN(BCStyle.CN, spec.commonName());
        return nb.build();
    }

    private static BigInteger serial() {
        // 127 random bits with the top bit set: always positive, always 16 DER octets.
        return new BigInteger(127, Keys.RANDOM).setBit(126);
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder(Keys.signatureAlgorithm(key)).build(key)));
        } catch (OperatorCreationException | CertificateException e) {
            throw new IllegalStateException("cannot sign certificate", e);
        }
    }
}
