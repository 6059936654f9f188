package org.cmglab.proto.content;

import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.util.Configuration;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.BlobServiceVersion;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.cmglab.proto.config.ContentStorageConfig;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.pki.TlsContexts;

/**
 * The Azure SDK client of the CMG's content container: path-style on Azurite's lab address over HTTPS, the lab root
 * trusted in the JDK HTTP client (no trust-all), the account's shared key read from its file, blob API pinned to
 * 2025-11-05 (Azurite 3.35.0's newest; docs/azurite.md). Shared by site-sim (uploads) and cmg-service (SAS
 * manifests).
 *
 * <p>The Azure SDK is an {@code optional} dependency of common-proto: a module calling this class declares
 * {@code azure-storage-blob} (Netty HTTP client excluded) and {@code azure-core-http-jdk-httpclient} itself, as
 * site-sim and cmg-service do; the other modules do not get the SDK through common-proto.
 */
public final class ContentBlobs {
    public static final BlobServiceVersion BLOB_SERVICE_VERSION = BlobServiceVersion.V2025_11_05;
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    private ContentBlobs() {}

    public static BlobContainerClient container(ContentStorageConfig c) throws IOException {
        String key = Files.readString(Path.of(c.keyFile()), StandardCharsets.US_ASCII).trim();
        List<X509Certificate> roots = new ArrayList<>();
        for (String f : c.trustRoots()) {
            roots.addAll(Pem.readCertificates(Path.of(f)));
        }
        java.net.http.HttpClient.Builder jdk = java.net.http.HttpClient.newBuilder();
        if (c.sdkEndpoint().startsWith("https:")) {
            jdk.sslContext(TlsContexts.jdkClient(roots, null));
        }
        String ep = c.sdkEndpoint().endsWith("/") ? c.sdkEndpoint() : c.sdkEndpoint() + "/";
        return new BlobServiceClientBuilder()
                .endpoint(ep + c.account())
                .credential(new StorageSharedKeyCredential(c.account(), key))
                .httpClient(new JdkHttpClientBuilder(jdk).configuration(Configuration.NONE)
                        .connectionTimeout(TIMEOUT).responseTimeout(TIMEOUT).readTimeout(TIMEOUT)
                        .writeTimeout(TIMEOUT).build())
                .retryOptions(new RequestRetryOptions(RetryPolicyType.FIXED, 2, TIMEOUT, Duration.ofMillis(200),
                        Duration.ofMillis(200), null))
                .serviceVersion(BLOB_SERVICE_VERSION)
                .buildClient()
                .getBlobContainerClient(c.container());
    }
}
