package org.cmglab.client.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;

/**
 * The client's own identity in its state folder, made on first use like ccmsetup does: the SMSID
 * ({@code GUID:<uuid>}, file {@code smsid}) and the self-signed signing certificate ({@code CN=SMS},
 * {@code signing.crt.pem} / {@code signing.key.pem}, mode 0600) that signs {@code CCMClient*} headers and that the
 * client token is bound to.
 */
public final class ClientIdentity {
    static final String SMSID_FILE = "smsid";
    static final String SIGNING_CERT = "signing.crt.pem";
    static final String SIGNING_KEY = "signing.key.pem";

    private final Path dir;
    private final String smsId;
    private final IssuedCert signing;

    private ClientIdentity(Path dir, String smsId, IssuedCert signing) {
        this.dir = dir;
        this.smsId = smsId;
        this.signing = signing;
    }

    /** Loads the identity from {@code dir}, creating what is missing. */
    public static ClientIdentity loadOrCreate(Path dir) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Files.createDirectories(dir);
        Path id = dir.resolve(SMSID_FILE);
        String smsId;
        if (Files.exists(id)) {
            smsId = Files.readString(id, StandardCharsets.US_ASCII).strip();
        } else {
            smsId = "GUID:" + UUID.randomUUID().toString().toUpperCase(Locale.ROOT);
            Files.writeString(id, smsId + "\n", StandardCharsets.US_ASCII);
        }
        Path crt = dir.resolve(SIGNING_CERT);
        Path key = dir.resolve(SIGNING_KEY);
        IssuedCert signing;
        if (Files.exists(crt) && Files.exists(key)) {
            signing = IssuedCert.readPem(crt, key);
        } else {
            signing = LabCa.createRoot("SMS", null).rootWithKey();
            signing.writePem(crt, key);
        }
        return new ClientIdentity(dir, smsId, signing);
    }

    /** {@code GUID:<SMSID>}. */
    public String smsId() {
        return smsId;
    }

    /** The self-signed signing certificate and key. */
    public IssuedCert signing() {
        return signing;
    }

    /** The state folder. */
    public Path dir() {
        return dir;
    }
}
