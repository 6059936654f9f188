package org.cmglab.proto.pki;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A certificate with its private key and the chain to present in TLS.
 *
 * @param certificate the end-entity (or intermediate CA) certificate
 * @param privateKey  its private key
 * @param chain       leaf first, then intermediates; never the root
 */
public record IssuedCert(X509Certificate certificate, PrivateKey privateKey, List<X509Certificate> chain) {

    private static final Set<PosixFilePermission> OWNER_RW = PosixFilePermissions.fromString("rw-------");

    /** Validates that the chain starts with the certificate and copies it. */
    public IssuedCert {
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(privateKey, "privateKey");
        chain = List.copyOf(Objects.requireNonNull(chain, "chain"));
        if (chain.isEmpty() || !chain.get(0).equals(certificate)) {
            throw new IllegalArgumentException("chain: " + chain.size()
                    + " certificates (expected: leaf " + certificate.getSubjectX500Principal() + " first)");
        }
    }

    /**
     * Writes the chain (leaf first) to {@code certFile} and the key as unencrypted PKCS#8 PEM to
     * {@code keyFile}. On POSIX file systems the key file is created with mode 0600 from the start
     * (a temporary file with that mode is written, then atomically moved into place).
     */
    public void writePem(Path certFile, Path keyFile) throws IOException {
        Objects.requireNonNull(certFile, "certFile");
        Objects.requireNonNull(keyFile, "keyFile");
        writeSecret(keyFile, Pem.toPem(privateKey));
        Files.writeString(certFile, Pem.toPem(chain.toArray(X509Certificate[]::new)), StandardCharsets.US_ASCII);
    }

    /**
     * Reads a chain and key written by {@link #writePem} (or by any tool emitting PEM).
     *
     * @throws IOException if a file is unreadable or the key does not belong to the first certificate
     */
    public static IssuedCert readPem(Path certFile, Path keyFile) throws IOException {
        List<X509Certificate> chain = Pem.readCertificates(certFile);
        PrivateKey key = Pem.readPrivateKey(keyFile);
        if (!Keys.matches(key, chain.get(0).getPublicKey())) {
            throw new IOException(keyFile + ": private key does not match certificate "
                    + chain.get(0).getSubjectX500Principal() + " in " + certFile);
        }
        return new IssuedCert(chain.get(0), key, chain);
    }

    /** SHA-1 thumbprint of the DER certificate as upper-case hex, as Windows displays it. */
    public String thumbprintSha1Hex() {
        return HexFormat.of().withUpperCase().formatHex(sha1(certificate));
    }

    static byte[] sha1(X509Certificate cert) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(cert.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot compute SHA-1 thumbprint", e);
        }
    }

    /** Writes text to a file that only the owner can read, created with that mode from the start. */
    public static void writeSecret(Path file, String text) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        boolean posix = file.getFileSystem().supportedFileAttributeViews().contains("posix");
        FileAttribute<?>[] attrs = posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_RW)}
                : new FileAttribute<?>[0];
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp", attrs);
        try {
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.US_ASCII)) {
                w.write(text);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Whether {@code privateKey} belongs to {@code certificate} (a sign/verify probe). */
    public static boolean keyMatches(PrivateKey privateKey, java.security.cert.X509Certificate certificate) {
        return Keys.matches(privateKey, certificate.getPublicKey());
    }
}
