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

    /** Throw-away test key from {@code openssl ecparam -genkey -name prime256v1} (with its EC PARAMETERS block). */
    private static final String OPENSSL_EC_KEY = String.join("\n",
            "-----BEGIN EC PARAMETERS-----",
            "BggqhkjOPQMBBw==",
            "-----END EC PARAMETERS-----",
            "-----BEGIN EC PRIVATE KEY-----",
            "MHcCAQEEIPeE5zAeB/Y78m1i/L/vudrh6qBJivO7gphkxujfrkhDoAoGCCqGSM49",
            "AwEHoUQDQgAEbQuNWI3GSC7LJGp3kJpzCGkivRCBva//4JQusjBuD+J33lRGuFyU",
            "Keqlubon4zFuvVkcwSUhVu4CWUdBM2/oDw==",
            "-----END EC PRIVATE KEY-----",
            "");

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
        Files.writeString(ecFile, OPENSSL_EC_KEY);
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
