package org.cmglab.proto.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabCaTest {

    private static LabCa ca;

    @BeforeAll
    static void createCa() {
        ca = LabCa.createEphemeral();
    }

    @Test
    void rootIsSelfSignedRsaCa() throws Exception {
        X509Certificate root = ca.root();
        assertThat(root.getSubjectX500Principal().getName(X500Principal.RFC2253))
                .isEqualTo("CN=CMG Lab Root CA,O=CMG Lab");
        assertThat(root.getIssuerX500Principal()).isEqualTo(root.getSubjectX500Principal());
        root.verify(root.getPublicKey());
        assertThat(root.getSigAlgName()).isEqualTo("SHA256withRSA");
        assertThat(((RSAPublicKey) root.getPublicKey()).getModulus().bitLength()).isEqualTo(2048);
        assertThat(root.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        boolean[] ku = root.getKeyUsage();
        assertThat(ku[5]).as("keyCertSign").isTrue();
        assertThat(ku[6]).as("cRLSign").isTrue();
        assertThat(root.getExtensionValue("2.5.29.14")).as("SubjectKeyIdentifier").isNotNull();
        Duration validity = Duration.between(root.getNotBefore().toInstant(), root.getNotAfter().toInstant());
        assertThat(validity).isBetween(Duration.ofDays(3650), Duration.ofDays(3651));
    }

    @Test
    void issuesServerCertificate() throws Exception {
        IssuedCert server = ca.issue(CertSpec.server("cmg.lab.test", List.of("cmg.lab.test", "localhost"),
                List.of("127.0.0.1", "::1")));
        X509Certificate cert = server.certificate();
        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=cmg.lab.test");
        assertThat(cert.getIssuerX500Principal()).isEqualTo(ca.root().getSubjectX500Principal());
        cert.verify(ca.root().getPublicKey());
        assertThat(cert.getSigAlgName()).isEqualTo("SHA256withRSA");
        assertThat(server.privateKey()).isInstanceOf(RSAPrivateKey.class);
        assertThat(server.chain()).containsExactly(cert);
        assertThat(cert.getExtendedKeyUsage()).containsExactly(Eku.SERVER_AUTH.oid());
        assertThat(cert.getBasicConstraints()).isEqualTo(-1);
        boolean[] ku = cert.getKeyUsage();
        assertThat(ku[0]).as("digitalSignature").isTrue();
        assertThat(ku[2]).as("keyEncipherment").isTrue();
        assertThat(ku[5]).as("keyCertSign").isFalse();
        assertThat(sans(cert.getSubjectAlternativeNames()))
                .containsExactlyInAnyOrder("2:cmg.lab.test", "2:localhost", "7:127.0.0.1", "7:0:0:0:0:0:0:0:1");
        assertThat(cert.getSerialNumber()).isPositive();
        assertThat(cert.getSerialNumber().bitLength()).isGreaterThanOrEqualTo(64);
        assertThat(cert.getExtensionValue("2.5.29.14")).as("SKI").isNotNull();
        assertThat(cert.getExtensionValue("2.5.29.35")).as("AKI").isNotNull();
        Duration validity = Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant());
        assertThat(validity).isEqualTo(Duration.ofDays(825).plusHours(1));
        assertThat(cert.getNotBefore().toInstant()).isBefore(Instant.now());
    }

    @Test
    void issuesClientCertificateWithOusAndNoSans() throws Exception {
        IssuedCert client = ca.issue(CertSpec.builder("client01").organizationalUnits("Clients", "Lab")
                .ekus(Eku.CLIENT_AUTH).build());
        X509Certificate cert = client.certificate();
        assertThat(cert.getSubjectX500Principal().getName(X500Principal.RFC2253))
                .isEqualTo("CN=client01,OU=Clients,OU=Lab");
        assertThat(cert.getExtendedKeyUsage()).containsExactly(Eku.CLIENT_AUTH.oid());
        assertThat(cert.getSubjectAlternativeNames()).isNull();
        assertThat(CertSpec.client("c").ekus()).containsExactly(Eku.CLIENT_AUTH);
    }

    @Test
    void serialsAreDistinct() {
        BigInteger a = ca.issue(CertSpec.client("a")).certificate().getSerialNumber();
        BigInteger b = ca.issue(CertSpec.client("b")).certificate().getSerialNumber();
        assertThat(a).isNotEqualTo(b);
    }

    @Test
    void noEkuExtensionWhenNoneRequested() throws Exception {
        X509Certificate cert = ca.issue(CertSpec.builder("plain").build()).certificate();
        assertThat(cert.getExtendedKeyUsage()).isNull();
    }

    @Test
    void issuesEcKeys() throws Exception {
        IssuedCert ec = ca.issue(CertSpec.builder("ec").keyType(KeyType.EC_P256).ekus(Eku.SERVER_AUTH).build());
        assertThat(ec.privateKey()).isInstanceOf(ECPrivateKey.class);
        assertThat(ec.certificate().getSigAlgName()).isEqualTo("SHA256withRSA");
        assertThat(ec.certificate().getKeyUsage()[2]).as("keyEncipherment").isFalse();
    }

    @Test
    void issuesThroughIntermediate() throws Exception {
        IssuedCert intermediate = ca.issue(CertSpec.builder("CMG Lab Issuing CA").ca(true).build());
        assertThat(intermediate.certificate().getBasicConstraints()).isEqualTo(0);
        IssuedCert leaf = ca.issueFrom(intermediate, CertSpec.client("client02"));
        assertThat(leaf.chain()).containsExactly(leaf.certificate(), intermediate.certificate());
        leaf.certificate().verify(intermediate.certificate().getPublicKey());
        assertThat(leaf.certificate().getIssuerX500Principal())
                .isEqualTo(intermediate.certificate().getSubjectX500Principal());

        IssuedCert notCa = ca.issue(CertSpec.client("not-a-ca"));
        assertThatThrownBy(() -> ca.issueFrom(notCa, CertSpec.client("x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected: a CA certificate");
    }

    @Test
    void pemRoundTripAndKeyFileMode(@TempDir Path dir) throws Exception {
        IssuedCert intermediate = ca.issue(CertSpec.builder("Issuing").ca(true).build());
        IssuedCert leaf = ca.issueFrom(intermediate, CertSpec.server("srv", List.of("srv.lab"), List.of()));
        Path certFile = dir.resolve("srv.crt.pem");
        Path keyFile = dir.resolve("srv.key.pem");
        leaf.writePem(certFile, keyFile);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
        assertThat(Files.readString(keyFile)).startsWith("-----BEGIN PRIVATE KEY-----\n");
        assertThat(Files.readString(certFile)).contains("-----BEGIN CERTIFICATE-----");

        IssuedCert read = IssuedCert.readPem(certFile, keyFile);
        assertThat(read.certificate()).isEqualTo(leaf.certificate());
        assertThat(read.chain()).containsExactlyElementsOf(leaf.chain());
        assertThat(read.privateKey().getEncoded()).isEqualTo(leaf.privateKey().getEncoded());
        assertThat(read.thumbprintSha1Hex()).isEqualTo(leaf.thumbprintSha1Hex());

        // overwriting keeps the mode
        leaf.writePem(certFile, keyFile);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                    "srv.crt.pem", "srv.key.pem");
        }
    }

    @Test
    void readPemRejectsMismatchedKey(@TempDir Path dir) throws Exception {
        IssuedCert a = ca.issue(CertSpec.client("a"));
        IssuedCert b = ca.issue(CertSpec.client("b"));
        a.writePem(dir.resolve("a.crt"), dir.resolve("a.key"));
        b.writePem(dir.resolve("b.crt"), dir.resolve("b.key"));
        assertThatThrownBy(() -> IssuedCert.readPem(dir.resolve("a.crt"), dir.resolve("b.key")))
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("does not match");
    }

    @Test
    void thumbprintIsUpperHexSha1() throws Exception {
        IssuedCert c = ca.issue(CertSpec.client("thumb"));
        String expected = HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-1").digest(c.certificate().getEncoded())).toUpperCase();
        assertThat(c.thumbprintSha1Hex()).isEqualTo(expected).matches("[0-9A-F]{40}");
    }

    @Test
    void loadOrCreateTwiceReturnsSameRoot(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("pki").resolve("ca");
        LabCa first = LabCa.loadOrCreate(dir);
        assertThat(dir.resolve(LabCa.ROOT_CERT_FILE)).isRegularFile();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(LabCa.ROOT_KEY_FILE))))
                .isEqualTo("rw-------");
        LabCa second = LabCa.loadOrCreate(dir);
        assertThat(second.root()).isEqualTo(first.root());
        // the loaded CA can still issue, and what it issues chains to the same root
        second.issue(CertSpec.client("after-reload")).certificate().verify(first.root().getPublicKey());
    }

    @Test
    void loadOrCreateRefusesHalfACa(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(LabCa.ROOT_CERT_FILE), Pem.toPem(ca.root()));
        assertThatThrownBy(() -> LabCa.loadOrCreate(dir))
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("found only " + LabCa.ROOT_CERT_FILE);
    }

    @Test
    void specValidation() {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        assertThatThrownBy(() -> CertSpec.builder(" ").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("commonName: ' '");
        assertThatThrownBy(() -> CertSpec.builder("x").notBefore(t).notAfter(t).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("validity: PT0S (expected: > 0");
        assertThatThrownBy(() -> CertSpec.builder("x").ipAddresses("not-an-ip").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not-an-ip");
        assertThatThrownBy(() -> CertSpec.builder("x").validity(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("validity: PT0S (expected: > 0)");
        CertSpec defaults = CertSpec.builder("d").build();
        assertThat(defaults.keyType()).isEqualTo(KeyType.RSA_2048);
        assertThat(defaults.ca()).isFalse();
        assertThat(defaults.ekus()).isEmpty();
        assertThat(Duration.between(defaults.notBefore(), defaults.notAfter()))
                .isEqualTo(Duration.ofDays(825).plusHours(1));
    }

    private static List<String> sans(Collection<List<?>> sans) {
        return sans.stream().map(l -> l.get(0) + ":" + l.get(1)).collect(Collectors.toList());
    }
}
