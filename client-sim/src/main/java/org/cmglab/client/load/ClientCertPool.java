package org.cmglab.client.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.Eku;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.KeyType;
import org.cmglab.proto.pki.LabCa;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificates of a load run's simulated clients, one key and certificate per client issued by the lab CA, of one
 * {@link Kind}: the PKI client-authentication certificates ({@code CN=load-00042.corp.contoso.com}, EC P-256) or the
 * Entra device certificates of token clients ({@code CN=<device id GUID>}, RSA-2048: the device signs its RS256
 * sign-in assertion with it; the lab CA is azure-sim's device CA). Issuing a few thousand takes seconds (RSA keys:
 * minutes), so the pool is cached in {@code <poolDir>/<kind>-<root thumbprint>.pool} (one
 * {@code certificate-DER-base64 key-PKCS8-base64} line per client, mode 0600) and a later run reuses and extends it;
 * a new lab CA (another thumbprint) gets a new pool file, and certificates expiring within a day are issued again.
 */
public final class ClientCertPool {
    private static final Logger log = LoggerFactory.getLogger(ClientCertPool.class);
    static final String DOMAIN = "corp.contoso.com";

    /** What the pool's certificates are for. */
    public enum Kind {
        /** TLS client authentication to the CMG ({@code --auth pki}). */
        PKI("pki", KeyType.EC_P256, "EC"),
        /** The Entra device identity of a token client ({@code --auth token}): signs the device sign-in assertion. */
        ENTRA_DEVICE("entra-device", KeyType.RSA_2048, "RSA");

        final String filePrefix;
        final KeyType keyType;
        final String keyAlgorithm;

        Kind(String filePrefix, KeyType keyType, String keyAlgorithm) {
            this.filePrefix = filePrefix;
            this.keyType = keyType;
            this.keyAlgorithm = keyAlgorithm;
        }

        /** The certificate's subject CN for client {@code index}. */
        String commonName(int index) {
            return this == PKI ? clientName(index) : deviceId(index);
        }
    }

    private final List<IssuedCert> certs;

    private ClientCertPool(List<IssuedCert> certs) {
        this.certs = List.copyOf(certs);
    }

    /** The FQDN of client {@code index}. */
    public static String clientName(int index) {
        return String.format(Locale.ROOT, "load-%05d.%s", index, DOMAIN);
    }

    /** The Entra device id of token client {@code index}: a name-based GUID, the CN of its device certificate. */
    public static String deviceId(int index) {
        return UUID.nameUUIDFromBytes(("cmglab-load-device-" + index).getBytes(StandardCharsets.UTF_8)).toString();
    }

    public int size() {
        return certs.size();
    }

    public IssuedCert get(int index) {
        return certs.get(index);
    }

    /**
     * Loads {@code count} identities from {@code poolDir} (null = no cache), issuing (in parallel) those that are
     * missing or about to expire, and saves the pool again when it changed.
     */
    public static ClientCertPool loadOrIssue(LabCa ca, int count, Path poolDirOrNull) throws IOException {
        return loadOrIssue(ca, 0, count, poolDirOrNull);
    }

    /**
     * As {@link #loadOrIssue(LabCa, int, Path)} for clients {@code first .. first+count-1} (several load processes
     * of one run use disjoint ranges); {@link #get(int)} still counts from 0.
     */
    public static ClientCertPool loadOrIssue(LabCa ca, int first, int count, Path poolDirOrNull) throws IOException {
        return loadOrIssue(Kind.PKI, ca, first, count, poolDirOrNull);
    }

    /** As {@link #loadOrIssue(LabCa, int, int, Path)} for certificates of {@code kind}. */
    public static ClientCertPool loadOrIssue(Kind kind, LabCa ca, int first, int count, Path poolDirOrNull)
            throws IOException {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(ca, "ca");
        if (first < 0) {
            throw new IllegalArgumentException("first: " + first + " (expected: >= 0)");
        }
        List<IssuedCert> have = new ArrayList<>();
        Path file = null;
        if (poolDirOrNull != null) {
            Files.createDirectories(poolDirOrNull);
            file = poolDirOrNull.resolve(kind.filePrefix + "-" + thumbprint(ca.root()).substring(0, 16)
                    + (first == 0 ? "" : "-from-" + first) + ".pool");
            if (Files.exists(file)) {
                have = read(file, ca.root(), kind.keyAlgorithm);
            }
        }
        Instant soon = Instant.now().plusSeconds(86_400);
        IssuedCert[] out = new IssuedCert[count];
        List<Integer> missing = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            if (i < have.size() && have.get(i).certificate().getNotAfter().toInstant().isAfter(soon)) {
                out[i] = have.get(i);
            } else {
                missing.add(i);
            }
        }
        if (!missing.isEmpty()) {
            long t0 = System.nanoTime();
            missing.parallelStream().forEach(i -> out[i] = ca.issue(CertSpec.builder(kind.commonName(first + i))
                    .ekus(Eku.CLIENT_AUTH).keyType(kind.keyType).build()));
            log.info("Issued {} {} certificates ({}) from {} in {} ms", missing.size(), kind.filePrefix, kind.keyType,
                    ca.root().getSubjectX500Principal().getName(), (System.nanoTime() - t0) / 1_000_000);
        }
        List<IssuedCert> all = new ArrayList<>(List.of(out));
        if (file != null && (!missing.isEmpty())) {
            // keep identities beyond `count` from an earlier, larger run
            for (int i = count; i < have.size(); i++) {
                all.add(have.get(i));
            }
            write(file, all);
            all = all.subList(0, count);
        }
        return new ClientCertPool(all);
    }

    private static List<IssuedCert> read(Path file, X509Certificate root, String keyAlgorithm) throws IOException {
        List<IssuedCert> out = new ArrayList<>();
        CertificateFactory cf;
        KeyFactory kf;
        try {
            cf = CertificateFactory.getInstance("X.509");
            kf = KeyFactory.getInstance(keyAlgorithm);
        } catch (CertificateException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            String[] parts = line.split(" ");
            try {
                X509Certificate c = (X509Certificate) cf.generateCertificate(
                        new java.io.ByteArrayInputStream(Base64.getDecoder().decode(parts[0])));
                c.verify(root.getPublicKey());
                PrivateKey k = kf.generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(parts[1])));
                out.add(new IssuedCert(c, k, List.of(c)));
            } catch (Exception e) {
                log.warn("{} line {}: unusable ({}); the pool is issued again from there", file, lineNo,
                        e.toString());
                break;
            }
        }
        return out;
    }

    private static void write(Path file, List<IssuedCert> certs) throws IOException {
        StringBuilder sb = new StringBuilder(certs.size() * 900);
        for (IssuedCert c : certs) {
            try {
                sb.append(Base64.getEncoder().encodeToString(c.certificate().getEncoded())).append(' ')
                        .append(Base64.getEncoder().encodeToString(c.privateKey().getEncoded())).append('\n');
            } catch (java.security.cert.CertificateEncodingException e) {
                throw new IllegalStateException(e);
            }
        }
        writePrivate(file, sb);
    }

    /** Writes {@code text} (ASCII) to {@code file}, mode 0600 from the start, replacing it atomically. */
    static void writePrivate(Path file, CharSequence text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, text, StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static String thumbprint(X509Certificate c) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
