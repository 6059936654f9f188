package org.cmglab.lab.azurite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.azure.data.tables.TableClient;
import com.azure.data.tables.TableServiceClient;
import com.azure.data.tables.models.TableEntity;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.core.util.BinaryData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.cmglab.lab.azurite.RunningAzurite.Mode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AzuriteLauncherTest {

    @TempDir
    Path work;

    static Path repoRoot() {
        String home = System.getProperty("cmglab.home");
        Path p = home != null ? Path.of(home) : Path.of("").toAbsolutePath().getParent();
        return p.toAbsolutePath().normalize();
    }

    @Test
    void startsOnLoopbackServesBlobAndTablesAndStopsCleanly() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream tee = new PrintStream(new TeeStream(System.out, captured), true, StandardCharsets.UTF_8);

        long t0 = System.nanoTime();
        RunningAzurite azurite = AzuriteLauncher.builder()
                .home(repoRoot())
                .workDir(work)
                .host("127.0.0.1")
                .out(tee)
                .build()
                .start();
        ProcessHandle process;
        int blobPort;
        try {
            System.out.printf("Azurite ready in %d ms%n", (System.nanoTime() - t0) / 1_000_000);

            // No Docker engine on this machine: the npm mode is used and announced in exactly one line.
            assertThat(azurite.mode()).isEqualTo(Mode.NPM);
            String printed = captured.toString(StandardCharsets.UTF_8);
            assertThat(printed.lines().filter(l -> l.startsWith("Azurite: npm ")).count()).isEqualTo(1);
            assertThat(printed).contains(azurite.describe());
            assertThat(azurite.describe())
                    .startsWith("Azurite: npm tools/azurite (azurite 3.35.0), blob http://127.0.0.1:")
                    .contains("no Docker engine answered");

            assertThat(azurite.blobEndpoint()).matches("http://127\\.0\\.0\\.1:\\d+/devstoreaccount1");
            assertThat(azurite.queueEndpoint()).matches("http://127\\.0\\.0\\.1:\\d+/devstoreaccount1");
            assertThat(azurite.tableEndpoint()).matches("http://127\\.0\\.0\\.1:\\d+/devstoreaccount1");
            assertThat(azurite.connectionString())
                    .contains("AccountName=devstoreaccount1")
                    .contains("BlobEndpoint=" + azurite.blobEndpoint())
                    .contains("QueueEndpoint=" + azurite.queueEndpoint())
                    .contains("TableEndpoint=" + azurite.tableEndpoint());
            assertThat(Files.exists(work.resolve("azurite.log"))).isTrue();

            // Blob: container, upload a few KB, download, compare.
            BlobServiceClient blobs = AzureStorageClients.blob(azurite);
            BlobContainerClient container = blobs.createBlobContainer("cmglab-test");
            byte[] payload = new byte[6 * 1024 + 123];
            new Random(42).nextBytes(payload);
            BlobClient blob = container.getBlobClient("dir/payload.bin");
            blob.upload(BinaryData.fromBytes(payload));
            assertThat(blob.downloadContent().toBytes()).isEqualTo(payload);
            assertThat(blob.getProperties().getBlobSize()).isEqualTo(payload.length);

            // Table: create, upsert, read back.
            TableServiceClient tables = AzureStorageClients.tables(azurite);
            TableClient table = tables.createTableIfNotExists("cmglabtest");
            table.upsertEntity(new TableEntity("site-P01", "client-0001")
                    .addProperty("Name", "CLIENT0001")
                    .addProperty("Hits", 3));
            table.upsertEntity(new TableEntity("site-P01", "client-0001")
                    .addProperty("Name", "CLIENT0001")
                    .addProperty("Hits", 4));
            TableEntity back = table.getEntity("site-P01", "client-0001");
            assertThat(back.getProperty("Name")).isEqualTo("CLIENT0001");
            assertThat(back.getProperty("Hits")).isEqualTo(4);

            process = azurite.process().orElseThrow();
            assertThat(process.isAlive()).isTrue();
            blobPort = URI.create(azurite.blobEndpoint()).getPort();
        } finally {
            azurite.close();
        }

        assertThat(process.isAlive()).isFalse();
        // close() waits for the process, so the port is free at once; allow a short grace for the kernel.
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> canBind(blobPort));
        azurite.close(); // idempotent
    }

    @Test
    void extraAccountServesBlobsWithItsOwnKeyAndDevstoreaccount1Stays() throws Exception {
        byte[] k = new byte[32];
        new java.security.SecureRandom().nextBytes(k);
        String key = java.util.Base64.getEncoder().encodeToString(k);
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (RunningAzurite azurite = AzuriteLauncher.builder()
                .home(repoRoot())
                .workDir(work)
                .host("127.0.0.1")
                .preferDocker(false)
                .account("granitefalls", key)
                .out(new PrintStream(captured, true, StandardCharsets.UTF_8))
                .build()
                .start()) {
            assertThat(azurite.accounts()).containsOnlyKeys(AzuriteLauncher.ACCOUNT_NAME, "granitefalls")
                    .containsEntry("granitefalls", key);
            assertThat(azurite.blobEndpoint("granitefalls")).matches("http://127\\.0\\.0\\.1:\\d+/granitefalls");

            // blob round trip under the extra account, with its key
            BlobServiceClient blobs = AzureStorageClients.blob(azurite, "granitefalls");
            BlobClient blob = blobs.createBlobContainer("cmg-content").getBlobClient("pkg/P0100001.bin");
            byte[] payload = "content of the granitefalls account".getBytes(StandardCharsets.UTF_8);
            blob.upload(BinaryData.fromBytes(payload));
            assertThat(blob.downloadContent().toBytes()).isEqualTo(payload);
            assertThat(blobs.listBlobContainers().stream().map(c -> c.getName())).containsExactly("cmg-content");
            TableClient table = AzureStorageClients.tables(azurite, "granitefalls")
                    .createTableIfNotExists("CMGInstances");
            table.upsertEntity(new TableEntity("GraniteFalls.contoso.com", "ProxyService_IN_0")
                    .addProperty("State", "ReadyRole"));
            assertThat(table.getEntity("GraniteFalls.contoso.com", "ProxyService_IN_0").getProperty("State"))
                    .isEqualTo("ReadyRole");

            // the default account is still served (AZURITE_ACCOUNTS lists it too), and its data is separate
            assertThat(AzureStorageClients.blob(azurite).listBlobContainers().stream().map(c -> c.getName()))
                    .doesNotContain("cmg-content");

            // the extra account with a wrong key is refused
            byte[] w = new byte[32];
            new java.security.SecureRandom().nextBytes(w);
            BlobServiceClient wrong = new com.azure.storage.blob.BlobServiceClientBuilder()
                    .endpoint(azurite.blobEndpoint("granitefalls"))
                    .credential(new com.azure.storage.common.StorageSharedKeyCredential("granitefalls",
                            java.util.Base64.getEncoder().encodeToString(w)))
                    .httpClient(AzureStorageClients.httpClient())
                    .retryOptions(new com.azure.storage.common.policy.RequestRetryOptions(
                            com.azure.storage.common.policy.RetryPolicyType.FIXED, 1, 10, 100L, 100L, null))
                    .serviceVersion(AzureStorageClients.BLOB_SERVICE_VERSION)
                    .buildClient();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> wrong.listBlobContainers().stream().toList())
                    .isInstanceOfSatisfying(com.azure.storage.blob.models.BlobStorageException.class,
                            e -> assertThat(e.getStatusCode()).isEqualTo(403));
            // the key is never printed
            assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain(key);
        }
    }

    @Test
    void accountRejectsBadNamesAndKeys() {
        var b = AzuriteLauncher.builder();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> b.account("Granite-Falls", "a2V5"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lower-case");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> b.account("granitefalls", "not base64!"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not base64")
                .hasMessageNotContaining("not base64!");
    }

    @Test
    void refusesNonLoopbackHost() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> AzuriteLauncher.builder()
                        .home(repoRoot()).workDir(work).host("0.0.0.0").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("loopback");
    }

    @Test
    void namesTheMissingLockfileWhenHomeIsNotTheRepoRoot() {
        Path notARepo = work.resolve("not-a-repo");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> AzuriteLauncher.builder()
                        .home(notARepo).workDir(work.resolve("w")).preferDocker(false).build().start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("package-lock.json")
                .hasMessageContaining("repository root");
    }

    @Test
    void dockerProbeAnswersQuicklyAndNeverThrows() {
        AzuriteLauncher.DockerProbe probe = AzuriteLauncher.probeDocker(Duration.ofSeconds(5));
        System.out.printf("isDockerAvailable() -> %s in %d ms (%s)%n",
                probe.available, probe.took.toMillis(), probe.reason);
        assertThat(probe.took).isLessThan(Duration.ofSeconds(6));
        assertThat(probe.reason).isNotBlank();
    }

    private static boolean canBind(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Writes to two streams. */
    private static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws IOException {
            a.flush();
            b.flush();
        }
    }
}
