package org.cmglab.cmg.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import io.netty.channel.EventLoopGroup;
import org.cmglab.proto.content.ContentBlobs;
import org.cmglab.proto.runtime.EventLoops;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URI;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.config.ContentStorageConfig;
import org.cmglab.proto.content.ContentManifest;
import org.cmglab.proto.content.ContentToken;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.HostMap;
import org.cmglab.proto.runtime.LabHttpClient;
import org.cmglab.proto.testing.ContentAzurite;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CMG content service against Azurite over HTTPS: token checks, manifest with SAS URLs that Azurite honours. */
class ContentServiceTest {
    private static final String CLIENT = "GUID:0F0E0D0C-1111-2222-3333-444455556666";
    private static final String MP = "mp01.corp.contoso.com";
    @TempDir
    static Path dir;
    static ContentAzurite azurite;
    static KeyPair site;
    static LabCa ca;
    static BlobContainerClient container;
    static byte[] fileA = new byte[300_000];
    static EventLoopGroup group;

    @BeforeAll
    static void start() throws Exception {
        assumeThat(ContentAzurite.bin()).as("tools/azurite installed (npm ci)").isPresent();
        ca = LabCa.createEphemeral();
        azurite = new ContentAzurite(ContentAzurite.bin().get(), dir, ca, "granitefalls");
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        site = g.generateKeyPair();
        container = ContentBlobs.container(azurite.storage(60));
        container.createIfNotExists();
        new java.util.Random(7).nextBytes(fileA);
        container.getBlobClient(ContentStorageConfig.fileBlob("P0100012", 1, "setup.exe"))
                .upload(BinaryData.fromBytes(fileA), true);
        ContentManifest m = new ContentManifest("P0100012", "P0100012", 1, List.of(new ContentManifest.FileEntry(
                "setup.exe", fileA.length, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(fileA)), null)));
        container.getBlobClient(ContentStorageConfig.manifestBlob("P0100012"))
                .upload(BinaryData.fromString(m.toXml()), true);
        group = EventLoops.newGroup(1, "content-test");
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

    private static ContentService service(Clock clock) {
        return new ContentService(azurite.storage(60), container, site.getPublic(), clock, Duration.ofMinutes(5),
                Duration.ofMinutes(10));
    }

    private static String uri(ContentToken t) {
        return ContentService.PATH + "?" + t.query();
    }

    private static ContentToken token(String pid, Instant at) {
        return ContentToken.issue(pid, pid, CLIENT, MP, Clock.fixed(at, ZoneOffset.UTC), site.getPrivate());
    }

    @Test
    void aManifestReadOnceIsAnsweredFromTheCacheWithoutStorage() throws Exception {
        byte[] file = "cached".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        ContentManifest m = new ContentManifest("P0100C01", "P0100C01", 1, List.of(new ContentManifest.FileEntry(
                "a.txt", file.length, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(file)),
                null)));
        var manifestBlob = container.getBlobClient(ContentStorageConfig.manifestBlob("P0100C01"));
        manifestBlob.upload(BinaryData.fromString(m.toXml()), true);
        try (ContentService s = service(Clock.systemUTC())) {
            ContentService.Answer first = s.answer("GET", uri(token("P0100C01", Instant.now())), CLIENT)
                    .get(30, TimeUnit.SECONDS);
            assertThat(first.status()).as(first.detail()).isEqualTo(200);
            manifestBlob.delete(); // storage no longer has it: only the cache can answer now
            ContentService.Answer second = s.answer("GET", uri(token("P0100C01", Instant.now())), CLIENT)
                    .get(30, TimeUnit.SECONDS);
            assertThat(second.status()).as(second.detail()).isEqualTo(200);
            assertThat(ContentManifest.parse(second.body()).files().get(0).url()).contains("/P0100C01/1/a.txt?")
                    .contains("sig=");
        }
        try (ContentService fresh = service(Clock.systemUTC())) { // a new CMG instance reads storage: gone
            ContentService.Answer a = fresh.answer("GET", uri(token("P0100C01", Instant.now())), CLIENT)
                    .get(30, TimeUnit.SECONDS);
            assertThat(a.status()).isEqualTo(404);
        }
    }

    @Test
    void answersTheManifestWithSasUrlsAzuriteServesOverHttps() throws Exception {
        try (ContentService s = service(Clock.systemUTC())) {
            ContentService.Answer a = s.answer("GET", uri(token("P0100012", Instant.now())), CLIENT)
                    .get(30, TimeUnit.SECONDS);
            assertThat(a.status()).as(a.detail()).isEqualTo(200);
            ContentManifest m = ContentManifest.parse(a.body());
            String url = m.files().get(0).url();
            assertThat(url).startsWith("https://granitefalls.blob.core.windows.net:" + azurite.blobPort
                    + "/cmg-content/P0100012/1/setup.exe?").contains("sig=").contains("sp=r");
            LabHttpClient http = new LabHttpClient(group, TlsContexts.client(
                    Pem.readCertificates(azurite.rootFile), null),
                    LabHttpClient.staticResolver(new HostMap(azurite.hosts())));
            DefaultHttpHeaders h = new DefaultHttpHeaders();
            h.set("Range", "bytes=100-199");
            LabHttpClient.Response r = http.send(HttpMethod.GET, URI.create(url), h, null).get(30, TimeUnit.SECONDS);
            assertThat(r.status()).as(r.bodyText()).isEqualTo(206);
            assertThat(r.body()).isEqualTo(java.util.Arrays.copyOfRange(fileA, 100, 200));
            LabHttpClient.Response noSas = http.send(HttpMethod.GET, URI.create(url.substring(0, url.indexOf('?'))),
                    null, null).get(30, TimeUnit.SECONDS);
            assertThat(noSas.status()).as("without the SAS").isIn(403, 404);
        }
    }

    @Test
    void refusesExpiredTamperedForeignAndMisdirectedTokens() throws Exception {
        Instant t0 = Instant.parse("2026-11-29T07:00:00Z");
        try (ContentService late = service(Clock.fixed(t0.plus(Duration.ofHours(25)), ZoneOffset.UTC));
             ContentService now = service(Clock.fixed(t0.plusSeconds(60), ZoneOffset.UTC))) {
            ContentToken t = token("P0100012", t0);
            assertThat(late.answer("GET", uri(t), CLIENT).get(30, TimeUnit.SECONDS))
                    .satisfies(a -> assertThat(a.status()).isEqualTo(401))
                    .satisfies(a -> assertThat(a.detail()).startsWith("EXPIRED"));
            assertThat(now.answer("GET", uri(t), "GUID:AAAAAAAA-1111-2222-3333-444455556666").get(30, TimeUnit.SECONDS))
                    .satisfies(a -> assertThat(a.status()).isEqualTo(403))
                    .satisfies(a -> assertThat(a.detail()).startsWith("WRONG_CLIENT"));
            assertThat(now.answer("GET", uri(t), null).get(30, TimeUnit.SECONDS).status()).isEqualTo(403);
            String tampered = uri(t).replace("pid=P0100012&cid=P0100012", "pid=P0100013&cid=P0100013");
            assertThat(now.answer("GET", tampered, CLIENT).get(30, TimeUnit.SECONDS))
                    .satisfies(a -> assertThat(a.status()).isEqualTo(401))
                    .satisfies(a -> assertThat(a.detail()).startsWith("BAD_SIGNATURE"));
            assertThat(now.answer("GET", ContentService.PATH + "?pid=P0100012&cid=P0100012", CLIENT)
                    .get(30, TimeUnit.SECONDS).status()).isEqualTo(400);
            assertThat(now.answer("POST", uri(t), CLIENT).get(30, TimeUnit.SECONDS).status()).isEqualTo(405);
            ContentService.Answer missing = now.answer("GET", uri(token("P0100099", t0)), CLIENT)
                    .get(30, TimeUnit.SECONDS);
            assertThat(missing.status()).isEqualTo(404);
            assertThat(missing.body()).contains("not on this cloud distribution point");
        }
    }
}
