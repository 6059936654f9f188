package org.cmglab.azure.arm;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.data.tables.TableServiceClient;
import com.azure.data.tables.models.TableEntity;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.models.BlobContainerItem;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.handler.codec.http.HttpMethod;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.cmglab.azure.instances.CloudFabric;
import org.cmglab.azure.instances.FakeLauncher;
import org.cmglab.azure.storage.AzuriteStorageProvisioner;
import org.cmglab.azure.storage.TestAzurite;
import org.cmglab.proto.config.AzureEnvironment;
import org.cmglab.proto.config.AzureSimConfig;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.jwt.JwtVerifier;
import org.cmglab.proto.runtime.EventLoops;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Resource Manager with the Azurite provisioner: the deployment creates and deletes the storage account. */
class ResourceManagerStorageTest {
    static final String API = ResourceManagerServiceTest.API;
    static final String VMSS = ResourceManagerServiceTest.VMSS;

    @TempDir
    static Path azuriteDir;
    static TestAzurite azurite;
    static String key;

    @TempDir
    Path dir;
    ResourceManagerServiceTest h;
    AzuriteStorageProvisioner storage;

    @BeforeAll
    static void startAzurite() throws Exception {
        var bin = TestAzurite.bin();
        Assumptions.assumeTrue(bin.isPresent(), "tools/azurite/node_modules/.bin/azurite is missing: run "
                + "`npm ci --no-audit --no-fund` in tools/azurite (CI does)");
        ResourceManagerServiceTest.pki();
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        key = Base64.getEncoder().encodeToString(b);
        azurite = new TestAzurite(bin.get(), azuriteDir, Map.of("granitefalls", key));
    }

    @AfterAll
    static void stopAzurite() throws Exception {
        if (azurite != null) {
            azurite.close();
        }
    }

    @BeforeEach
    void start() {
        h = new ResourceManagerServiceTest();
        h.dir = dir;
        h.group = EventLoops.newGroup(2, "arm-storage-test");
        h.launcher = new FakeLauncher(h.group);
        AzureSimConfig.StorageService service = azurite.service(Map.of("granitefalls", key));
        AzureSimConfig cfg = new AzureSimConfig("public", ResourceManagerServiceTest.TENANT,
                ResourceManagerServiceTest.SUB, new Endpoint("127.88.2.1", 0), new Endpoint("127.88.2.1", 0),
                new Endpoint("127.88.2.1", 0), null, List.of(), List.of(), ResourceManagerServiceTest.VIP,
                "127.88.2.", ResourceManagerServiceTest.OFFSET + 1000, "none.jar", List.of(),
                dir.resolve("state").toString(), dir.resolve("logs").toString(), "127.88.5.10", service);
        storage = new AzuriteStorageProvisioner(cfg.storage());
        h.fabric = new CloudFabric(cfg, h.group, h.launcher, "127.88.5.10")
                .timings(Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofMillis(200))
                .listener(storage);
        h.zone = new ResourceManagerServiceTest.FakeZone();
        JwtVerifier verifier = JwtVerifier.forKeys(ResourceManagerServiceTest.signer.publicJwkSet(),
                ResourceManagerService.issuer(ResourceManagerServiceTest.TENANT), ResourceManagerService.AUDIENCE);
        h.arm = new ResourceManagerService(AzureEnvironment.PUBLIC, ResourceManagerServiceTest.SUB,
                ResourceManagerServiceTest.TENANT, verifier, h.zone, h.fabric, storage);
    }

    @AfterEach
    void stop() {
        h.stop();
        storage.close();
    }

    static List<String> containers() {
        BlobServiceClient b = org.cmglab.azure.storage.StorageClientsAccess.blob(azurite, "granitefalls", key);
        return b.listBlobContainers().stream().map(BlobContainerItem::getName).toList();
    }

    static TableServiceClient tables() {
        return org.cmglab.azure.storage.StorageClientsAccess.tables(azurite, "granitefalls", key);
    }

    static List<String> tableNames() {
        return StreamSupport.stream(tables().listTables().spliterator(), false).map(t -> t.getName()).toList();
    }

    @Test
    void deploymentCreatesTheStorageAccountRegistersInstancesAndDeleteRemovesIt() throws Exception {
        ResourceManagerServiceTest.Res created = h.call(HttpMethod.PUT, VMSS + "granitefalls" + API,
                ResourceManagerServiceTest.spec(2));
        assertThat(created.status()).isEqualTo(201);
        assertThat(h.awaitOperation(created).get("status").asText()).isEqualTo("Succeeded");
        assertThat(containers()).contains("cmg-content", "cmg-logs");
        assertThat(tableNames()).contains("CMGInstances");
        storage.flush(Duration.ofSeconds(20));
        List<TableEntity> rows = tables().getTableClient("CMGInstances").listEntities().stream().toList();
        assertThat(rows).extracting(TableEntity::getRowKey)
                .containsExactlyInAnyOrder("ProxyService_IN_0", "ProxyService_IN_1");
        assertThat(rows).allSatisfy(r -> {
            assertThat(r.getPartitionKey()).isEqualTo("GraniteFalls.contoso.com");
            assertThat(r.getProperty("State")).isEqualTo("ReadyRole");
        });
        assertThat(rows).extracting(r -> r.getProperty("Address")).containsExactlyInAnyOrder("127.88.2.10",
                "127.88.2.11");

        ResourceManagerServiceTest.Res del = h.call(HttpMethod.DELETE, VMSS + "granitefalls" + API, null);
        assertThat(h.awaitOperation(del).get("status").asText()).isEqualTo("Succeeded");
        assertThat(containers()).doesNotContain("cmg-content", "cmg-logs");
        assertThat(tableNames()).doesNotContain("CMGInstances");
    }

    @Test
    void aCmgWithoutAStorageAccountFailsBeforeAnyInstanceStarts() {
        var cert = ResourceManagerServiceTest.ca.issue(org.cmglab.proto.pki.CertSpec.server("Contoso1.contoso.com",
                List.of("Contoso1.contoso.com"), List.of()));
        ResourceManagerServiceTest.Res created = h.call(HttpMethod.PUT, VMSS + "contoso1" + API,
                ResourceManagerServiceTest.spec("westus", 1, cert, "Contoso1.contoso.com"));
        assertThat(created.status()).isEqualTo(201);
        JsonNode op = h.awaitOperation(created);
        assertThat(op.get("status").asText()).isEqualTo("Failed");
        assertThat(op.at("/error/code").asText()).isEqualTo("StorageAccountNotProvisioned");
        assertThat(op.at("/error/message").asText()).contains("'contoso1'").doesNotContain(key);
        assertThat(h.launcher.launched).isEmpty();
        assertThat(h.zone.records).isEmpty();
        assertThat(h.fabric.deployment("contoso1")).isEmpty();
    }
}
