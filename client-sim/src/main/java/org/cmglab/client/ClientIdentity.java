package org.cmglab.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.cmglab.proto.ccm.ClientSigningCert;
import org.cmglab.proto.pki.IssuedCert;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's own identity in its state folder: the self-signed "ConfigMgr Client" signing/encryption certificate
 * ({@code ccm-client.crt.pem}, key {@code ccm-client.key.pem} mode 0600), made on first use, and the SMSID the MP
 * assigned ({@code smsid}).
 */
final class ClientIdentity {
    private static final Logger log = LoggerFactory.getLogger("ClientIDManagerStartup");

    private final Path dir;
    private final IssuedCert signing;

    private ClientIdentity(Path dir, IssuedCert signing) {
        this.dir = dir;
        this.signing = signing;
    }

    static ClientIdentity loadOrCreate(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path crt = dir.resolve("ccm-client.crt.pem");
        Path key = dir.resolve("ccm-client.key.pem");
        if (Files.exists(crt) && Files.exists(key)) {
            IssuedCert c = IssuedCert.readPem(crt, key);
            if (c.certificate().getNotAfter().toInstant().isAfter(Instant.now().plusSeconds(86_400))) {
                log.info("Using the existing ConfigMgr Client certificate (SHA-1 {})", c.thumbprintSha1Hex());
                return new ClientIdentity(dir, c);
            }
        }
        ClientSigningCert.Generated g = ClientSigningCert.generate(Instant.now());
        IssuedCert c = new IssuedCert(g.certificate(), g.keyPair().getPrivate(), List.of(g.certificate()));
        c.writePem(crt, key); // the key file is 0600 from the start
        log.info("Created the self-signed ConfigMgr Client certificate for signing and encryption (SHA-1 {})",
                c.thumbprintSha1Hex());
        return new ClientIdentity(dir, c);
    }

    IssuedCert signing() {
        return signing;
    }

    /** The SMSID from the last registration, or null. */
    String smsId() throws IOException {
        Path f = dir.resolve("smsid");
        return Files.exists(f) ? Files.readString(f, StandardCharsets.US_ASCII).trim() : null;
    }

    void saveSmsId(String smsId) throws IOException {
        Files.writeString(dir.resolve("smsid"), smsId + "\n", StandardCharsets.US_ASCII);
    }
}
