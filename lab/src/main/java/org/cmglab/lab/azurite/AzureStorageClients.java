package org.cmglab.lab.azurite;

import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.data.tables.TableServiceClient;
import com.azure.data.tables.TableServiceClientBuilder;
import com.azure.data.tables.TableServiceVersion;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.BlobServiceVersion;

/**
 * Azure SDK clients wired for a {@link RunningAzurite}: the JDK HTTP client (Netty's is excluded from the build)
 * and service versions pinned to what Azurite 3.35.0 serves, so Azurite's API-version check passes without
 * {@code --skipApiVersionCheck}.
 */
public final class AzureStorageClients {

    /**
     * Azurite 3.35.0 serves blob API 2025-11-05 (its newest). The blob SDK in azure-sdk-bom 1.3.8
     * (azure-storage-blob 12.35.0) defaults to a newer version (2026-06-06), which Azurite would reject.
     */
    public static final BlobServiceVersion BLOB_SERVICE_VERSION = BlobServiceVersion.V2025_11_05;

    /**
     * azure-data-tables 12.5.9 knows only 2019-02-02 and 2020-12-06; Azurite 3.35.0 accepts both (its newest table
     * API is 2025-11-05, which no Java Tables SDK version names). 2020-12-06 is the newest version both accept.
     */
    public static final TableServiceVersion TABLE_SERVICE_VERSION = TableServiceVersion.V2020_12_06;

    private AzureStorageClients() {}

    public static BlobServiceClient blob(RunningAzurite azurite) {
        return new BlobServiceClientBuilder()
                .connectionString(azurite.connectionString())
                .httpClient(httpClient())
                .serviceVersion(BLOB_SERVICE_VERSION)
                .buildClient();
    }

    public static TableServiceClient tables(RunningAzurite azurite) {
        return new TableServiceClientBuilder()
                .connectionString(azurite.connectionString())
                .httpClient(httpClient())
                .serviceVersion(TABLE_SERVICE_VERSION)
                .buildClient();
    }

    /** Blob client of one of {@link RunningAzurite#accounts()}, path-style endpoint, shared key. */
    public static BlobServiceClient blob(RunningAzurite azurite, String account) {
        return new BlobServiceClientBuilder()
                .endpoint(azurite.blobEndpoint(account))
                .credential(new com.azure.storage.common.StorageSharedKeyCredential(account,
                        azurite.accounts().get(account)))
                .httpClient(httpClient())
                .serviceVersion(BLOB_SERVICE_VERSION)
                .buildClient();
    }

    /** Table client of one of {@link RunningAzurite#accounts()}, path-style endpoint, shared key. */
    public static TableServiceClient tables(RunningAzurite azurite, String account) {
        return new TableServiceClientBuilder()
                .endpoint(azurite.tableEndpoint(account))
                .credential(new com.azure.core.credential.AzureNamedKeyCredential(account,
                        azurite.accounts().get(account)))
                .httpClient(httpClient())
                .serviceVersion(TABLE_SERVICE_VERSION)
                .buildClient();
    }

    static HttpClient httpClient() {
        return new JdkHttpClientBuilder().build();
    }
}
