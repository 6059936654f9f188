package org.cmglab.client.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import org.cmglab.proto.ccm.ClientSigningCert;
import org.cmglab.proto.config.ClientSimConfig;
import org.cmglab.proto.pki.IssuedCert;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one identity of a simulated client, in its state folder ({@link #stateDir}), made on first use like ccmsetup
 * does and shared by every subcommand and auth mode: the SMSID ({@code GUID:<uuid>}, file {@code smsid}; made
 * locally, replaced by the one the MP assigns at registration) and the self-signed "ConfigMgr Client" certificate
 * ({@code signing.crt.pem} / {@code signing.key.pem}, mode 0600) that signs messages and {@code CCMClient*} headers,
 * receives the secret policy, and that the client token is bound to.
 */
public final class ClientIdentity {
    private static final Logger log = LoggerFactory.getLogger("ClientIDManagerStartup");
    static final String SMSID_FILE = "smsid";
    /** Written when the MP assigned the SMSID (a registration succeeded). */
    static final String REGISTERED_FILE = "registered";
    static final String SIGNING_CERT = "signing.crt.pem";
    static final String SIGNING_KEY = "signing.key.pem";

    private final Path dir;
    private volatile String smsId;
    private final IssuedCert signing;

    private ClientIdentity(Path dir, String smsId, IssuedCert signing) {
        this.dir = dir;
        this.smsId = smsId;
        this.signing = signing;
    }

    /**
     * The client's state folder: {@code tokens.stateDir} when the config has a tokens section, else
     * {@code <stateDir or .cmglab/client-sim>/<client name>}.
     */
    public static Path stateDir(ClientSimConfig config) {
        Objects.requireNonNull(config, "config");
        if (config.tokens() != null) {
            return Path.of(config.tokens().stateDir());
        }
        return Path.of(config.stateDir() != null ? config.stateDir() : ".cmglab/client-sim").resolve(config.name());
    }

    /** Loads the identity from {@code dir}, creating what is missing (or a certificate expiring within a day). */
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
        if (Files.exists(crt) && Files.exists(key)) {
            IssuedCert c = IssuedCert.readPem(crt, key);
            if (c.certificate().getNotAfter().toInstant().isAfter(Instant.now().plusSeconds(86_400))) {
                log.info("Using the existing ConfigMgr Client certificate (SHA-1 {})", c.thumbprintSha1Hex());
                return new ClientIdentity(dir, smsId, c);
            }
        }
        ClientSigningCert.Generated g = ClientSigningCert.generate(Instant.now());
        IssuedCert c = new IssuedCert(g.certificate(), g.keyPair().getPrivate(), List.of(g.certificate()));
        c.writePem(crt, key); // the key file is 0600 from the start
        log.info("Created the self-signed ConfigMgr Client certificate for signing and encryption (SHA-1 {})",
                c.thumbprintSha1Hex());
        return new ClientIdentity(dir, smsId, c);
    }

    /** {@code GUID:<SMSID>}: the one the MP assigned at the last registration, else the one made locally. */
    public String smsId() {
        return smsId;
    }

    /** Keeps the SMSID the MP assigned. */
    public void saveSmsId(String assigned) throws IOException {
        Objects.requireNonNull(assigned, "assigned");
        Files.writeString(dir.resolve(SMSID_FILE), assigned + "\n", StandardCharsets.US_ASCII);
        Files.writeString(dir.resolve(REGISTERED_FILE), Instant.now() + "\n", StandardCharsets.US_ASCII);
        this.smsId = assigned;
    }

    /** Whether a registration succeeded (the MP assigned {@link #smsId()}). */
    public boolean registered() {
        return Files.exists(dir.resolve(REGISTERED_FILE));
    }

    /** The self-signed signing (and encryption) certificate and key. */
    public IssuedCert signing() {
        return signing;
    }

    /** The state folder. */
    public Path dir() {
        return dir;
    }
}
