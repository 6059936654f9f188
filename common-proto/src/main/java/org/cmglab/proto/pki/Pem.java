package org.cmglab.proto.pki;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reading and writing PEM files: certificates and unencrypted private keys (PKCS#8
 * {@code PRIVATE KEY}, PKCS#1 {@code RSA PRIVATE KEY}, SEC1 {@code EC PRIVATE KEY}).
 */
public final class Pem {

    private static final Base64.Encoder MIME = Base64.getMimeEncoder(64, new byte[] {'\n'});

    private Pem() {
    }

    /**
     * Reads every certificate of a PEM file, in file order; other PEM objects are skipped.
     *
     * @throws IOException if the file cannot be read, is malformed, or holds no certificate
     */
    public static List<X509Certificate> readCertificates(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        List<X509Certificate> certs = new ArrayList<>();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
             PEMParser parser = new PEMParser(reader)) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof X509CertificateHolder holder) {
                    certs.add(converter.getCertificate(holder));
                }
            }
        } catch (CertificateException e) {
            throw new IOException(file + ": invalid certificate: " + e.getMessage(), e);
        }
        if (certs.isEmpty()) {
            throw new IOException(file + ": no certificate found (expected: at least one BEGIN CERTIFICATE block)");
        }
        return List.copyOf(certs);
    }

    /**
     * Reads the first unencrypted private key of a PEM file (PKCS#8, PKCS#1 RSA or SEC1 EC).
     *
     * @throws IOException if the file cannot be read, holds no key or only an encrypted one
     */
    public static PrivateKey readPrivateKey(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
             PEMParser parser = new PEMParser(reader)) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (o instanceof PEMKeyPair pair) {
                    // private part only: SEC1 EC keys may omit the optional public key
                    return converter.getPrivateKey(pair.getPrivateKeyInfo());
                }
                if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
                    throw new IOException(file + ": encrypted private key (expected: unencrypted PEM)");
                }
            }
        }
        throw new IOException(file + ": no private key found (expected: a BEGIN PRIVATE KEY block)");
    }

    /** Encodes certificates as concatenated {@code BEGIN CERTIFICATE} blocks. */
    public static String toPem(X509Certificate... certificates) {
        Objects.requireNonNull(certificates, "certificates");
        StringBuilder sb = new StringBuilder();
        for (X509Certificate cert : certificates) {
            Objects.requireNonNull(cert, "certificate");
            try {
                block(sb, "CERTIFICATE", cert.getEncoded());
            } catch (CertificateEncodingException e) {
                throw new IllegalArgumentException("certificate: " + cert.getSubjectX500Principal()
                        + " (expected: encodable)", e);
            }
        }
        return sb.toString();
    }

    /** Encodes a private key as an unencrypted PKCS#8 {@code BEGIN PRIVATE KEY} block. */
    public static String toPem(PrivateKey key) {
        Objects.requireNonNull(key, "key");
        if (!"PKCS#8".equals(key.getFormat()) || key.getEncoded() == null) {
            throw new IllegalArgumentException("key format: " + key.getFormat() + " (expected: PKCS#8)");
        }
        return block(new StringBuilder(), "PRIVATE KEY", key.getEncoded()).toString();
    }

    private static StringBuilder block(StringBuilder sb, String type, byte[] der) {
        return sb.append("-----BEGIN ").append(type).append("-----\n")
                .append(MIME.encodeToString(der)).append('\n')
                .append("-----END ").append(type).append("-----\n");
    }
}
