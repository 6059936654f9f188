package org.cmglab.azure.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.data.tables.TableServiceClient;
import com.azure.data.tables.models.TableEntity;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.models.BlobContainerItem;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.cmglab.azure.instances.DeploymentException;
import org.cmglab.azure.instances.InstanceListener;
import org.cmglab.azure.instances.InstanceState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The provisioner against a real Azurite 3.35.0 (npm) started with the account {@code granitefalls}. */
class AzuriteStorageProvisionerTest {
    static final String ACCOUNT = "granitefalls";
    static final String BLOB_ENDPOINT = "https://granitefalls.blob.core.windows.net/";

    @TempDir
    static Path dir;
    static TestAzurite azurite;
    static String key;

    @BeforeAll
    static void startAzurite() throws Exception {
        var bin = TestAzurite.bin();
        Assumptions.assumeTrue(bin.isPresent(), "tools/azurite/node_modules/.bin/azurite is missing: run "
                + "`npm ci --no-audit --no-fund` in tools/azurite (CI does)");
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        key = Base64.getEncoder().encodeToString(b);
        azurite = new TestAzurite(bin.get(), dir, Map.of(ACCOUNT, key));
    }

    @AfterAll
    static void stopAzurite() throws Exception {
        if (azurite != null) {
            azurite.close();
        }
    }

    static BlobServiceClient blobs() {
        return StorageClients.blob(azurite.blobEndpoint(), ACCOUNT, key, Duration.ofSeconds(10));
    }

    static TableServiceClient tables() {
        return StorageClients.tables(azurite.tableEndpoint(), ACCOUNT, key, Duration.ofSeconds(10));
    }

    static List<String> containers() {
        return blobs().listBlobContainers().stream().map(BlobContainerItem::getName).toList();
    }

    static List<String> tableNames() {
        return StreamSupport.stream(tables().listTables().spliterator(), false).map(t -> t.getName()).toList();
    }

    @Test
    void createMakesContainersAndTableWritesInstanceRowsAndDeleteRemovesThem() throws Exception {
        try (AzuriteStorageProvisioner p = new AzuriteStorageProvisioner(azurite.service(Map.of(ACCOUNT, key)))) {
            p.create(ACCOUNT, BLOB_ENDPOINT);
            assertThat(containers()).contains("cmg-content", "cmg-logs");
            assertThat(tableNames()).contains("CMGInstances");
            p.create(ACCOUNT, BLOB_ENDPOINT); // idempotent (a PUT of an existing deployment)

            Instant since = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            p.changed(new InstanceListener.Change(ACCOUNT, "GraniteFalls.contoso.com", "ProxyService_IN_0",
                    InstanceState.BusyRole, "127.88.7.10", "starting", since));
            p.changed(new InstanceListener.Change(ACCOUNT, "GraniteFalls.contoso.com", "ProxyService_IN_0",
                    InstanceState.ReadyRole, "127.88.7.10", "ready", since.plusSeconds(1)));
            p.changed(new InstanceListener.Change("othercmg", "Other.contoso.com", "ProxyService_IN_0",
                    InstanceState.ReadyRole, "127.88.7.10", "ready", since)); // not provisioned: ignored
            p.flush(Duration.ofSeconds(20));
            TableEntity row = tables().getTableClient("CMGInstances")
                    .getEntity("GraniteFalls.contoso.com", "ProxyService_IN_0");
            assertThat(row.getProperty("State")).isEqualTo("ReadyRole");
            assertThat(row.getProperty("Address")).isEqualTo("127.88.7.10");
            assertThat(((OffsetDateTime) row.getProperty("Since")).toInstant()).isEqualTo(since.plusSeconds(1));
            assertThat(p.status()).containsEntry("provisioned", List.of(ACCOUNT)).doesNotContainValue(key);
            assertThat(p.status().toString()).doesNotContain(key);

            p.delete(ACCOUNT);
            assertThat(containers()).doesNotContain("cmg-content", "cmg-logs");
            assertThat(tableNames()).doesNotContain("CMGInstances");
            p.delete(ACCOUNT); // deleting twice is harmless
        }
    }

    @Test
    void unknownAccountFailsClearlyAndCreatesNothing() throws Exception {
        try (AzuriteStorageProvisioner p = new AzuriteStorageProvisioner(azurite.service(Map.of(ACCOUNT, key)))) {
            assertThatThrownBy(() -> p.create("contosocmg", "https://contosocmg.blob.core.windows.net/"))
                    .isInstanceOfSatisfying(DeploymentException.class,
                            e -> assertThat(e.code()).isEqualTo("StorageAccountNotProvisioned"))
                    .hasMessageContaining("'contosocmg'")
                    .hasMessageContaining("[" + ACCOUNT + "]")
                    .hasMessageNotContaining(key);
            p.delete("contosocmg"); // nothing to delete, no error
        }
        assertThat(containers()).doesNotContain("cmg-content");
    }

    @Test
    void wrongKeyFailsWithTheAzuriteError() throws Exception {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        String wrong = Base64.getEncoder().encodeToString(b);
        try (AzuriteStorageProvisioner p = new AzuriteStorageProvisioner(azurite.service(Map.of(ACCOUNT, wrong)),
                Duration.ofSeconds(5), Duration.ofSeconds(30))) {
            assertThatThrownBy(() -> p.create(ACCOUNT, BLOB_ENDPOINT))
                    .isInstanceOfSatisfying(DeploymentException.class,
                            e -> assertThat(e.code()).isEqualTo("StorageAccountProvisioningFailed"))
                    .hasMessageContaining("creating storage account granitefalls")
                    .hasMessageNotContaining(wrong);
        }
    }
}
