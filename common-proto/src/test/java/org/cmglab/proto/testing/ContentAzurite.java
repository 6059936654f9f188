package org.cmglab.proto.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cmglab.proto.config.ContentStorageConfig;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.Pem;

/**
 * Azurite for content tests in modules that cannot use the lab's launcher ({@link NpmAzurite}): HTTPS with a
 * certificate from {@code ca} for {@code <account>.blob.core.windows.net} (and 127.0.0.1), one storage account with a
 * random key (in a 0600 file).
 */
public final class ContentAzurite implements AutoCloseable {
    public static final String HOST = NpmAzurite.HOST;

    private final NpmAzurite azurite;
    public final int blobPort;
    public final String account;
    public final Path keyFile;
    public final Path rootFile;

    /** {@code tools/azurite/node_modules/.bin/azurite} above the working directory, if installed. */
    public static Optional<Path> bin() {
        return NpmAzurite.bin();
    }

    public ContentAzurite(Path bin, Path dir, LabCa ca, String account) throws Exception {
        this.account = account;
        IssuedCert cert = ca.issue(CertSpec.server(account + ".blob.core.windows.net",
                List.of(account + ".blob.core.windows.net", account + ".blob.core.usgovcloudapi.net"), List.of(HOST)));
        Path certFile = dir.resolve("azurite.crt.pem");
        Path keyPem = dir.resolve("azurite.key.pem");
        cert.writePem(certFile, keyPem);
        rootFile = dir.resolve("root.pem");
        Files.writeString(rootFile, Pem.toPem(ca.root()));
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        String key = Base64.getEncoder().encodeToString(k);
        keyFile = dir.resolve("storage-" + account + ".key");
        Files.writeString(keyFile, key);
        Files.setPosixFilePermissions(keyFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path data = Files.createDirectories(dir.resolve("data"));
        azurite = new NpmAzurite(bin, data, Map.of(account, key),
                List.of("--cert", certFile.toString(), "--key", keyPem.toString()));
        blobPort = azurite.blobPort;
    }

    /** The storage config for this Azurite (SAS URLs on {@code <account>.blob.core.windows.net:<port>}). */
    public ContentStorageConfig storage(int sasMinutes) {
        return new ContentStorageConfig("https://" + HOST + ":" + blobPort, account, keyFile.toString(),
                account + ".blob.core.windows.net", blobPort, null, List.of(rootFile.toString()), sasMinutes);
    }

    /** For a static resolver: the storage host → 127.0.0.1. */
    public Map<String, String> hosts() {
        return Map.of(account + ".blob.core.windows.net", HOST);
    }

    public String output() {
        return azurite.output();
    }

    @Override
    public void close() throws InterruptedException {
        azurite.close();
    }
}
