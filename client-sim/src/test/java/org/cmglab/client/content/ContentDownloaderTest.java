package org.cmglab.client.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.BlobServiceVersion;
import com.azure.storage.blob.sas.BlobSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import com.azure.storage.common.StorageSharedKeyCredential;
import io.netty.channel.EventLoopGroup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.cmglab.proto.content.ContentManifest;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.EventLoops;
import org.cmglab.proto.runtime.HostMap;
import org.cmglab.proto.runtime.LabHttpClient;
import org.cmglab.proto.testing.ContentAzurite;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BITS-style downloads from Azurite over HTTPS with SAS URLs: resume, SAS refresh, hash mismatch, missing blob, trust. */
class ContentDownloaderTest {
    @TempDir
    static Path dir;
    static ContentAzurite azurite;
    static BlobContainerClient container;
    static EventLoopGroup group;
    static LabHttpClient http;
    static final byte[] A = bytes(1, 700_001);
    static final byte[] B = bytes(2, 300_000);

    static byte[] bytes(int seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @BeforeAll
    static void start() throws Exception {
        assumeThat(ContentAzurite.bin()).as("tools/azurite installed (npm ci)").isPresent();
        Path az = Files.createDirectories(dir.resolve("azurite"));
        azurite = new ContentAzurite(ContentAzurite.bin().get(), az, LabCa.createEphemeral(), "granitefalls");
        java.net.http.HttpClient.Builder jdk = java.net.http.HttpClient.newBuilder()
                .sslContext(TlsContexts.jdkClient(Pem.readCertificates(azurite.rootFile), null));
        container = new BlobServiceClientBuilder()
                .endpoint("https://127.0.0.1:" + azurite.blobPort + "/granitefalls")
                .credential(new StorageSharedKeyCredential("granitefalls", Files.readString(azurite.keyFile).trim()))
                .httpClient(new JdkHttpClientBuilder(jdk).build())
                .serviceVersion(BlobServiceVersion.V2025_11_05)
                .buildClient().getBlobContainerClient("cmg-content");
        container.createIfNotExists();
        container.getBlobClient("P0100012/1/setup.exe").upload(BinaryData.fromBytes(A), true);
        container.getBlobClient("P0100012/1/data1.cab").upload(BinaryData.fromBytes(B), true);
        group = EventLoops.newGroup(1, "dl-test");
        http = new LabHttpClient(group, TlsContexts.client(Pem.readCertificates(azurite.rootFile), null),
                LabHttpClient.staticResolver(new HostMap(azurite.hosts())));
    }

    @AfterAll
    static void stop() throws Exception {
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (azurite != null) {
            azurite.close();
        }
    }

    static String url(String blob, OffsetDateTime expiry) {
        String sas = container.getBlobClient(blob).generateSas(new BlobServiceSasSignatureValues(expiry,
                new BlobSasPermission().setReadPermission(true)));
        return "https://granitefalls.blob.core.windows.net:" + azurite.blobPort + "/cmg-content/" + blob + "?" + sas;
    }

    static ContentManifest manifest(OffsetDateTime expiry, String shaOfB, String blobOfB) throws Exception {
        return new ContentManifest("P0100012", "P0100012", 1, List.of(
                new ContentManifest.FileEntry("setup.exe", A.length, sha(A), url("P0100012/1/setup.exe", expiry)),
                new ContentManifest.FileEntry("data1.cab", B.length, shaOfB, url(blobOfB, expiry))));
    }

    static ContentManifest valid() throws Exception {
        return manifest(OffsetDateTime.now().plusMinutes(10), sha(B), "P0100012/1/data1.cab");
    }

    static ContentDownloader downloader(long stopAfter) {
        return new ContentDownloader(http, new ContentDownloader.Options(128 * 1024, stopAfter, 30));
    }

    @Test
    void resumesAnInterruptedDownloadFromThePartialFileAndVerifiesEveryFile() throws Exception {
        Path out = dir.resolve("resume");
        ContentDownloader.Result first = downloader(500_000).download(valid(), out, null);
        assertThat(first.state()).isEqualTo("interrupted");
        assertThat(first.bytesThisRun()).isEqualTo(500_000);
        assertThat(Files.size(out.resolve("setup.exe.part"))).isEqualTo(500_000);
        assertThat(out.resolve("setup.exe")).doesNotExist();

        ContentDownloader.Result second = downloader(-1).download(valid(), out, null);
        assertThat(second.state()).as(String.valueOf(second.failure())).isEqualTo("complete");
        assertThat(second.bytesThisRun()).as("only the rest is downloaded").isEqualTo(A.length + B.length - 500_000);
        assertThat(second.headRequests()).isEqualTo(2);
        assertThat(Files.readAllBytes(out.resolve("setup.exe"))).isEqualTo(A);
        assertThat(Files.readAllBytes(out.resolve("data1.cab"))).isEqualTo(B);
        assertThat(out.resolve("setup.exe.part")).doesNotExist();

        ContentDownloader.Result third = downloader(-1).download(valid(), out, null);
        assertThat(third.complete()).isTrue();
        assertThat(third.bytesThisRun()).as("verified files are not downloaded again").isZero();
    }

    @Test
    void aSasThatExpiredMidDownloadIsRenewedAndThePartialDataKept() throws Exception {
        Path out = dir.resolve("sas");
        assertThat(downloader(200_000).download(valid(), out, null).state()).isEqualTo("interrupted");
        ContentManifest expired = manifest(OffsetDateTime.now().minusMinutes(1), sha(B), "P0100012/1/data1.cab");
        AtomicInteger asked = new AtomicInteger();
        ContentDownloader.Result r = downloader(-1).download(expired, out, () -> {
            asked.incrementAndGet();
            try {
                return valid();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(r.state()).as(String.valueOf(r.failure())).isEqualTo("complete");
        assertThat(asked.get()).isEqualTo(1);
        assertThat(r.sasRefreshes()).isEqualTo(1);
        assertThat(r.bytesThisRun()).isEqualTo(A.length + B.length - 200_000);
        assertThat(Files.readAllBytes(out.resolve("setup.exe"))).isEqualTo(A);

        Path out2 = dir.resolve("sas-norefresh");
        ContentDownloader.Result noNew = downloader(-1).download(expired, out2, null);
        assertThat(noNew.state()).isEqualTo("failed");
        assertThat(noNew.failure()).contains("SAS").contains("403");
    }

    @Test
    void corruptedBytesAreRetriedOnceThenFailLoudlyKeepingVerifiedFiles() throws Exception {
        Path out = dir.resolve("corrupt");
        ContentManifest wrong = manifest(OffsetDateTime.now().plusMinutes(10), "00".repeat(32), "P0100012/1/data1.cab");
        ContentDownloader.Result r = downloader(-1).download(wrong, out, null);
        assertThat(r.state()).isEqualTo("failed");
        assertThat(r.failure()).contains("data1.cab").contains("hash mismatch twice");
        assertThat(r.bytesThisRun()).as("data1.cab fetched twice").isEqualTo(A.length + 2L * B.length);
        assertThat(Files.readAllBytes(out.resolve("setup.exe"))).as("verified file kept").isEqualTo(A);
        assertThat(out.resolve("data1.cab")).doesNotExist();
        assertThat(r.files()).extracting(ContentDownloader.FileResult::state).containsExactly("verified", "failed");
    }

    @Test
    void aMissingBlobFailsClearlyKeepingVerifiedFiles() throws Exception {
        Path out = dir.resolve("missing");
        ContentManifest m = manifest(OffsetDateTime.now().plusMinutes(10), sha(B), "P0100012/1/gone.cab");
        ContentDownloader.Result r = downloader(-1).download(m, out, null);
        assertThat(r.state()).isEqualTo("failed");
        assertThat(r.failure()).contains("missing").contains("404");
        assertThat(Files.readAllBytes(out.resolve("setup.exe"))).isEqualTo(A);
    }

    @Test
    void refusesAStorageCertificateFromAnUntrustedIssuer() throws Exception {
        LabHttpClient other = new LabHttpClient(group, TlsContexts.client(List.of(LabCa.createEphemeral().root()),
                null), LabHttpClient.staticResolver(new HostMap(azurite.hosts())));
        Path out = dir.resolve("untrusted");
        ContentDownloader.Result r = new ContentDownloader(other, ContentDownloader.Options.defaults())
                .download(valid(), out, null);
        assertThat(r.state()).isEqualTo("failed");
        assertThat(r.failure()).contains("not trusted");
        assertThat(r.bytesThisRun()).isZero();
        try (var files = Files.list(out)) {
            assertThat(new ArrayList<>(files.toList())).isEmpty();
        }
    }
}
