package org.cmglab.proto.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemTest {

    private static final LabCa CA = LabCa.createEphemeral();

    /**
     * An EC key in the shape {@code openssl ecparam -genkey -name prime256v1} writes (EC PARAMETERS block, then a SEC1
     * EC PRIVATE KEY without the public key), generated for each run so no key is kept in the repository.
     */
    private static String opensslStyleEcKey() throws Exception {
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
        g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        var k = (java.security.interfaces.ECPrivateKey) g.generateKeyPair().getPrivate();
        var curve = org.bouncycastle.asn1.sec.SECObjectIdentifiers.secp256r1;
        var sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(256, k.getS(), curve);
        var b64 = java.util.Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return "-----BEGIN EC PARAMETERS-----\n" + b64.encodeToString(curve.getEncoded()) + "\n-----END EC PARAMETERS-----\n"
                + "-----BEGIN EC PRIVATE KEY-----\n" + b64.encodeToString(sec1.getEncoded())
                + "\n-----END EC PRIVATE KEY-----\n";
    }

    @Test
    void readsCertificatesInOrder(@TempDir Path dir) throws Exception {
        IssuedCert a = CA.issue(CertSpec.client("a"));
        Path f = dir.resolve("certs.pem");
        Files.writeString(f, "leading comment\n" + Pem.toPem(a.certificate(), CA.root()));
        List<X509Certificate> certs = Pem.readCertificates(f);
        assertThat(certs).containsExactly(a.certificate(), CA.root());
    }

    @Test
    void readsPkcs1RsaAndSec1EcKeys(@TempDir Path dir) throws Exception {
        PrivateKey rsa = CA.issue(CertSpec.client("rsa")).privateKey();
        Path rsaFile = dir.resolve("rsa.pem");
        Path ecFile = dir.resolve("ec.pem");
        Files.writeString(rsaFile, legacyPem(rsa));
        Files.writeString(ecFile, opensslStyleEcKey());
        assertThat(Files.readString(rsaFile)).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        assertThat(Files.readString(ecFile)).startsWith("-----BEGIN EC PARAMETERS-----");
        assertThat(Pem.readPrivateKey(rsaFile).getEncoded()).isEqualTo(rsa.getEncoded());
        PrivateKey ec = Pem.readPrivateKey(ecFile);
        assertThat(ec).isInstanceOf(java.security.interfaces.ECPrivateKey.class);
        assertThat(((java.security.interfaces.ECPrivateKey) ec).getParams().getCurve().getField().getFieldSize())
                .isEqualTo(256);
        assertThat(Keys.matches(Pem.readPrivateKey(ecFile),
                CA.issue(CertSpec.client("other")).certificate().getPublicKey())).isFalse();
    }

    @Test
    void pkcs8RoundTrip(@TempDir Path dir) throws Exception {
        PrivateKey key = CA.issue(CertSpec.client("k")).privateKey();
        Path f = dir.resolve("k.pem");
        Files.writeString(f, Pem.toPem(key));
        assertThat(Pem.readPrivateKey(f).getEncoded()).isEqualTo(key.getEncoded());
    }

    @Test
    void emptyFilesAreRejected(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("empty.pem");
        Files.writeString(f, "nothing here\n");
        assertThatThrownBy(() -> Pem.readCertificates(f)).isInstanceOf(IOException.class)
                .hasMessageContaining("no certificate found");
        assertThatThrownBy(() -> Pem.readPrivateKey(f)).isInstanceOf(IOException.class)
                .hasMessageContaining("no private key found");
    }

    /** BC writes a KeyPair-less PrivateKey in its traditional (PKCS#1 / SEC1) form. */
    private static String legacyPem(PrivateKey key) throws IOException {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            w.writeObject(new JcaMiscPEMGenerator(key));
        }
        return sw.toString();
    }
}
