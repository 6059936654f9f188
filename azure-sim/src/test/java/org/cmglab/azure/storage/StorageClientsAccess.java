package org.cmglab.azure.storage;

import com.azure.data.tables.TableServiceClient;
import com.azure.storage.blob.BlobServiceClient;
import java.time.Duration;

/** Test clients for a {@link TestAzurite} account (from other test packages). */
public final class StorageClientsAccess {
    private StorageClientsAccess() {}

    public static BlobServiceClient blob(TestAzurite azurite, String account, String key) {
        return StorageClients.blob(azurite.blobEndpoint(), account, key, Duration.ofSeconds(10));
    }

    public static TableServiceClient tables(TestAzurite azurite, String account, String key) {
        return StorageClients.tables(azurite.tableEndpoint(), account, key, Duration.ofSeconds(10));
    }
}
