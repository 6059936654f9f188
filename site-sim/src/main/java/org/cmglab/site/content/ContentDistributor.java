package org.cmglab.site.content;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.models.BlobStorageException;
import java.util.Map;
import java.util.Objects;
import org.cmglab.proto.config.ContentStorageConfig;
import org.cmglab.proto.content.ContentManifest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Distributes content to the content-enabled CMG: uploads each file of a package version into the CMG's storage
 * account ({@code <container>/<contentId>/<version>/<file>}), then the manifest ({@code <contentId>/manifest.xml},
 * the commit point: the CMG serves what the manifest names), then records the content in the
 * {@link CloudContentCatalog}. The product encrypts content before upload (cmg-facts §6); the lab does not.
 */
public final class ContentDistributor {
    private static final Logger log = LoggerFactory.getLogger("DistMgr");

    private final BlobContainerClient container;
    private final CloudContentCatalog catalog;
    private final String containerName;

    public ContentDistributor(BlobContainerClient container, CloudContentCatalog catalog) {
        this.container = Objects.requireNonNull(container, "container");
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        this.containerName = container.getBlobContainerName();
    }

    public CloudContentCatalog catalog() {
        return catalog;
    }

    /**
     * Uploads a package version and records it.
     *
     * @throws BlobStorageException when storage refuses (the catalog is then unchanged)
     */
    public ContentManifest distribute(LabPackage pkg, String contentId) {
        long t0 = System.nanoTime();
        container.createIfNotExists();
        ContentManifest manifest = pkg.manifest(contentId);
        for (Map.Entry<String, byte[]> f : pkg.files().entrySet()) {
            String blob = ContentStorageConfig.fileBlob(contentId, pkg.version(), f.getKey());
            container.getBlobClient(blob).upload(BinaryData.fromBytes(f.getValue()), true);
            container.getBlobClient(blob).setHttpHeaders(new BlobHttpHeaders()
                    .setContentType("application/octet-stream"));
            log.info("Uploaded {} ({} bytes) of package {} version {} to {}/{}", f.getKey(), f.getValue().length,
                    pkg.packageId(), pkg.version(), containerName, blob);
        }
        container.getBlobClient(ContentStorageConfig.manifestBlob(contentId))
                .upload(BinaryData.fromString(manifest.toXml()), true);
        catalog.record(manifest);
        log.info("Package {} (content {}) version {} distributed to the cloud distribution point: {} files, {} bytes,"
                        + " {} ms", pkg.packageId(), contentId, pkg.version(), manifest.files().size(),
                manifest.totalSize(), (System.nanoTime() - t0) / 1_000_000);
        return manifest;
    }

    /** Removes the content from the CMG (manifest first, so it is no longer offered or served), then its files. */
    public void remove(String contentId) {
        catalog.remove(contentId);
        container.getBlobClient(ContentStorageConfig.manifestBlob(contentId)).deleteIfExists();
        container.listBlobs(new com.azure.storage.blob.models.ListBlobsOptions().setPrefix(contentId + "/"), null)
                .forEach(b -> container.getBlobClient(b.getName()).deleteIfExists());
        log.info("Content {} removed from the cloud distribution point", contentId);
    }
}
