package org.cmglab.site.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.azure.storage.blob.BlobContainerClient;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cmglab.proto.config.ContentStorageConfig;
import org.cmglab.proto.content.ContentBlobs;
import org.cmglab.proto.content.ContentManifest;
import org.cmglab.proto.content.ContentToken;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.testing.ContentAzurite;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Distribution into Azurite over HTTPS (lab root trusted) and the MP's CMG content locations. */
class ContentDistributionTest {
    private static final String CLIENT = "GUID:0F0E0D0C-1111-2222-3333-444455556666";
    private static final Instant T0 = Instant.parse("2026-11-29T07:00:00Z");
    @TempDir
    static Path dir;
    static ContentAzurite azurite;
    static KeyPair site;

    @BeforeAll
    static void start() throws Exception {
        assumeThat(ContentAzurite.bin()).as("tools/azurite installed (npm ci)").isPresent();
        azurite = new ContentAzurite(ContentAzurite.bin().get(), dir, LabCa.createEphemeral(), "granitefalls");
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        site = g.generateKeyPair();
    }

    @AfterAll
    static void stop() throws Exception {
        if (azurite != null) {
            azurite.close();
        }
    }

    @Test
    void uploadsFilesAndManifestOverHttpsAndOffersTheCmgOnlyForThatContent() throws Exception {
        ContentStorageConfig storage = azurite.storage(60);
        BlobContainerClient container = ContentBlobs.container(storage);
        CloudContentCatalog catalog = new CloudContentCatalog();
        ContentDistributor d = new ContentDistributor(container, catalog);
        CmgContentLocations loc = new CmgContentLocations(catalog, "GraniteFalls.contoso.com", "mp01.corp.contoso.com",
                9128, site.getPrivate(), Clock.fixed(T0, ZoneOffset.UTC));
        assertThat(loc.locationRecords("P0100012", "1", true, CLIENT)).isEmpty();

        LabPackage pkg = LabPackage.generate("P0100012", 1, 3, 3_000_000);
        ContentManifest m = d.distribute(pkg, "P0100012");

        assertThat(m.files()).hasSize(3);
        assertThat(m.totalSize()).isEqualTo(3_000_000);
        for (ContentManifest.FileEntry f : m.files()) {
            var blob = container.getBlobClient(ContentStorageConfig.fileBlob("P0100012", 1, f.name()));
            assertThat(blob.getProperties().getBlobSize()).isEqualTo(f.size());
            assertThat(LabPackage.sha256Hex(blob.downloadContent().toBytes())).isEqualTo(f.sha256());
        }
        String stored = container.getBlobClient(ContentStorageConfig.manifestBlob("P0100012")).downloadContent()
                .toString();
        assertThat(ContentManifest.parse(stored)).isEqualTo(m);

        List<String> records = loc.locationRecords("P0100012", "1", true, CLIENT);
        assertThat(records).hasSize(1);
        Matcher u = Pattern.compile("URL Name=\"([^\"]+)\"").matcher(records.get(0));
        assertThat(u.find()).isTrue();
        String url = u.group(1).replace("&amp;", "&");
        assertThat(url).startsWith("https://GraniteFalls.contoso.com/downloadrestservice.svc/getcontentxmlsecure"
                + "?pid=P0100012&cid=P0100012&tid=" + CLIENT + "&iss=mp01.corp.contoso.com&alg=1.2.840.113549.1.1.11"
                + "&st=2026-11-29T07:00:00Z&et=2026-11-30T07:00:00Z&sig=");
        ContentToken.parse(url.substring(url.indexOf('?') + 1)).verify(site.getPublic(), "P0100012", "P0100012",
                CLIENT, Clock.fixed(T0.plus(Duration.ofHours(20)), ZoneOffset.UTC), Duration.ofMinutes(5));
        assertThat(records.get(0)).contains("<DPType>CLOUD</DPType>");

        assertThat(loc.locationRecords("P0100099", "1", true, CLIENT)).as("not on the CMG").isEmpty();
        assertThat(loc.locationRecords("P0100012", "2", true, CLIENT)).as("other version").isEmpty();
        assertThat(loc.locationRecords("P0100012", "1", true, null)).as("no client id, no token").isEmpty();

        d.remove("P0100012");
        assertThat(loc.locationRecords("P0100012", "1", true, CLIENT)).isEmpty();
        assertThat(container.getBlobClient(ContentStorageConfig.manifestBlob("P0100012")).exists()).isFalse();
        assertThat(container.listBlobs().stream().count()).isZero();
    }

    @Test
    void generatedPackagesAreDeterministic() {
        LabPackage a = LabPackage.generate("P0100012", 1, 5, 6_000_000);
        LabPackage b = LabPackage.generate("P0100012", 1, 5, 6_000_000);
        assertThat(a.manifest("P0100012")).isEqualTo(b.manifest("P0100012"));
        assertThat(a.manifest("P0100012").totalSize()).isEqualTo(6_000_000);
        assertThat(a.files().values()).allSatisfy(f -> assertThat(f.length).isPositive());
        assertThat(LabPackage.generate("P0100012", 2, 5, 6_000_000).manifest("P0100012").files().get(0).sha256())
                .isNotEqualTo(a.manifest("P0100012").files().get(0).sha256());
    }
}
