package org.cmglab.proto.config;

import java.util.List;
import java.util.Objects;

/**
 * The CMG's storage account for cloud content (docs/content-flow.md): where the site uploads a package's files and
 * where the CMG signs SAS URLs for clients.
 *
 * @param sdkEndpoint   the endpoint the Azure SDK calls, without the account, path-style on Azurite's lab address
 *                      (e.g. {@code https://127.77.5.10:10443}); the JDK HTTP client the SDK uses cannot resolve
 *                      through the lab DNS, so it uses the address (Azurite's certificate has it as an IP SAN)
 * @param account       storage account name (= the CMG prefix, e.g. {@code granitefalls})
 * @param keyFile       file holding the account's base64 shared key (0600; the key is never put in a config file
 *                      or a log)
 * @param blobHost      the storage host clients use, e.g. {@code granitefalls.blob.core.windows.net}
 *                      (US Gov {@code granitefalls.blob.core.usgovcloudapi.net}), resolved by the lab DNS
 * @param blobPort      its port (443 plus the lab's port offset)
 * @param container     blob container of content (default {@code cmg-content})
 * @param trustRoots    roots trusted for Azurite's certificate (PEM files)
 * @param sasMinutes    lifetime of a SAS URL the CMG hands out (default 60)
 */
public record ContentStorageConfig(String sdkEndpoint, String account, String keyFile, String blobHost, int blobPort,
                                   String container, List<String> trustRoots, int sasMinutes) {
    public static final String DEFAULT_CONTAINER = "cmg-content";
    public static final int DEFAULT_SAS_MINUTES = 60;

    public ContentStorageConfig {
        Objects.requireNonNull(sdkEndpoint, "sdkEndpoint");
        Objects.requireNonNull(account, "account");
        Objects.requireNonNull(keyFile, "keyFile");
        Objects.requireNonNull(blobHost, "blobHost");
        if (blobPort <= 0 || blobPort > 65535) {
            throw new IllegalArgumentException("blobPort: " + blobPort);
        }
        container = container == null || container.isBlank() ? DEFAULT_CONTAINER : container;
        trustRoots = trustRoots == null ? List.of() : List.copyOf(trustRoots);
        sasMinutes = sasMinutes <= 0 ? DEFAULT_SAS_MINUTES : sasMinutes;
    }

    /** {@code https://<blobHost>[:port]} — the base of the URLs clients get. */
    public String publicBlobBase() {
        return "https://" + blobHost + (blobPort == 443 ? "" : ":" + blobPort);
    }

    /** {@code <contentId>/<version>/} — the lab's blob layout of one content version. */
    public static String contentPrefix(String contentId, int version) {
        return contentId + "/" + version + "/";
    }

    /** {@code <contentId>/manifest.xml}: the manifest of the version the CMG serves. */
    public static String manifestBlob(String contentId) {
        return contentId + "/manifest.xml";
    }

    /** {@code <contentId>/<version>/<file>}. */
    public static String fileBlob(String contentId, int version, String file) {
        return contentPrefix(contentId, version) + file;
    }
}
