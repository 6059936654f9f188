package org.cmglab.azure.storage;

import com.azure.core.credential.AzureNamedKeyCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.core.util.Configuration;
import com.azure.data.tables.TableServiceClient;
import com.azure.data.tables.TableServiceClientBuilder;
import com.azure.data.tables.TableServiceVersion;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.BlobServiceVersion;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

/**
 * Azure SDK clients for one storage account in Azurite, path-style ({@code <endpoint>/<account>}) with the account's
 * shared key, on the JDK HTTP client with bounded timeouts and few retries.
 *
 * <p>A small copy of {@code org.cmglab.lab.azurite.AzureStorageClients} (lab module), which azure-sim cannot depend
 * on; the service versions must stay the same as there (see docs/azurite.md, "Pinned versions").
 */
public final class StorageClients {

    /** Azurite 3.35.0's newest blob API; azure-storage-blob 12.35.0 defaults to 2026-06-06, which Azurite rejects. */
    public static final BlobServiceVersion BLOB_SERVICE_VERSION = BlobServiceVersion.V2025_11_05;

    /** The newest table API azure-data-tables 12.5.9 knows and Azurite 3.35.0 accepts. */
    public static final TableServiceVersion TABLE_SERVICE_VERSION = TableServiceVersion.V2020_12_06;

    private StorageClients() {}

    /**
     * @param endpoint service endpoint without the account, e.g. {@code http://127.77.5.10:10000}
     * @param timeout  bound of one HTTP try (connect and response)
     */
    public static BlobServiceClient blob(String endpoint, String account, String key, Duration timeout) {
        return blob(endpoint, account, key, timeout, List.of());
    }

    /** @param trustRoots roots trusted for Azurite's HTTPS certificate (the lab root) */
    public static BlobServiceClient blob(String endpoint, String account, String key, Duration timeout,
                                         List<X509Certificate> trustRoots) {
        return new BlobServiceClientBuilder()
                .endpoint(accountUrl(endpoint, account))
                .credential(new StorageSharedKeyCredential(account, key))
                .httpClient(httpClient(timeout, trustRoots))
                .retryOptions(new RequestRetryOptions(RetryPolicyType.FIXED, 2, timeout, Duration.ofMillis(200),
                        Duration.ofMillis(200), null))
                .serviceVersion(BLOB_SERVICE_VERSION)
                .buildClient();
    }

    /** @param endpoint service endpoint without the account, e.g. {@code http://127.77.5.10:10002} */
    public static TableServiceClient tables(String endpoint, String account, String key, Duration timeout) {
        return tables(endpoint, account, key, timeout, List.of());
    }

    public static TableServiceClient tables(String endpoint, String account, String key, Duration timeout,
                                            List<X509Certificate> trustRoots) {
        return new TableServiceClientBuilder()
                .endpoint(accountUrl(endpoint, account))
                .credential(new AzureNamedKeyCredential(account, key))
                .httpClient(httpClient(timeout, trustRoots))
                .retryOptions(new RetryOptions(new FixedDelayOptions(1, Duration.ofMillis(200))))
                .serviceVersion(TABLE_SERVICE_VERSION)
                .buildClient();
    }

    static String accountUrl(String endpoint, String account) {
        return (endpoint.endsWith("/") ? endpoint : endpoint + "/") + account;
    }

    static HttpClient httpClient(Duration timeout) {
        return httpClient(timeout, List.of());
    }

    /** With {@code trustRoots}: HTTPS to Azurite trusting only those roots (the lab root; no trust-all). */
    static HttpClient httpClient(Duration timeout, List<X509Certificate> trustRoots) {
        java.net.http.HttpClient.Builder jdk = java.net.http.HttpClient.newBuilder();
        if (!trustRoots.isEmpty()) {
            jdk.sslContext(org.cmglab.proto.pki.TlsContexts.jdkClient(trustRoots, null));
        }
        return new JdkHttpClientBuilder(jdk)
                .configuration(Configuration.NONE) // no proxy from the environment: Azurite is on loopback
                .connectionTimeout(timeout)
                .responseTimeout(timeout)
                .readTimeout(timeout)
                .writeTimeout(timeout)
                .build();
    }
}
