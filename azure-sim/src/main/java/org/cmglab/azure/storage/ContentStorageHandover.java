package org.cmglab.azure.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Function;
import org.cmglab.proto.config.AzureEnvironment;
import org.cmglab.proto.config.AzureSimConfig;
import org.cmglab.proto.config.ContentStorageConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands a CMG deployment's storage account to its VM instances for cloud content (docs/content-flow.md): the
 * account's shared key goes into {@code <stateDir>/deployments/<prefix>/storage-<prefix>.key} (0600; never into the
 * instance's JSON config or a log), and the instance config's {@code contentStorage} names that file, Azurite's
 * path-style endpoint (for the SDK), the account's host {@code <prefix>.<blobSuffix>} and the blob port (for SAS URLs
 * clients use). Only when Azurite serves HTTPS (clients download over HTTPS 443 — plus the lab's port offset).
 */
public final class ContentStorageHandover {
    private static final Logger log = LoggerFactory.getLogger(ContentStorageHandover.class);

    private ContentStorageHandover() {}

    public static Function<String, ContentStorageConfig> forInstances(AzureSimConfig c, AzureEnvironment env) {
        AzureSimConfig.StorageService s = c.storage();
        return prefix -> {
            String key = s == null ? null : s.keyOf(prefix);
            URI blob = s == null ? null : URI.create(s.blobEndpoint());
            if (key == null || !"https".equalsIgnoreCase(blob.getScheme())) {
                log.info("Deployment {}: not content-enabled ({})", prefix, key == null ? "no storage account key"
                        : "Azurite serves plain HTTP; cloud content needs HTTPS");
                return null;
            }
            Path file = Path.of(c.stateDir()).resolve("deployments").resolve(prefix).resolve("storage-" + prefix
                    + ".key");
            try {
                Files.createDirectories(file.getParent());
                Files.deleteIfExists(file);
                try {
                    Files.createFile(file, PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rw-------")));
                } catch (UnsupportedOperationException e) {
                    Files.createFile(file);
                }
                Files.writeString(file, key, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the storage key file of " + prefix, e);
            }
            int port = blob.getPort() > 0 ? blob.getPort() : 443;
            return new ContentStorageConfig(s.blobEndpoint(), prefix, file.toString(), prefix + "." + env.blobSuffix(),
                    port, null, s.trustRoots(), ContentStorageConfig.DEFAULT_SAS_MINUTES);
        };
    }
}
