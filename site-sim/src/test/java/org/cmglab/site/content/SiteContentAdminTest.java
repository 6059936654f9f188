package org.cmglab.site.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.common.StorageSharedKeyCredential;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.cmglab.proto.runtime.AdminAction;
import org.junit.jupiter.api.Test;

/** The distribution admin actions refuse bad input (400 through the admin server) before any storage call. */
class SiteContentAdminTest {
    @Test
    void refusesBadPackageIdsAndSizes() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        var container = new BlobServiceClientBuilder().endpoint("https://127.0.0.1:1/granitefalls")
                .credential(new StorageSharedKeyCredential("granitefalls",
                        Base64.getEncoder().encodeToString(new byte[32]))).buildClient()
                .getBlobContainerClient("cmg-content");
        CloudContentCatalog catalog = new CloudContentCatalog();
        try (SiteContent sc = new SiteContent(new ContentDistributor(container, catalog), new CmgContentLocations(
                catalog, "GraniteFalls.contoso.com", "mp01.corp.contoso.com", 9128, g.generateKeyPair().getPrivate(),
                Clock.systemUTC()))) {
            Map<String, AdminAction> a = sc.adminActions();
            assertThat(a).containsKeys("distribute", "undistribute", "content");
            for (Map<String, List<String>> q : List.of(Map.<String, List<String>>of(),
                    Map.of("package", List.of("../etc")), Map.of("package", List.of("P01000121")),
                    Map.of("package", List.of("P0100012"), "files", List.of("0")),
                    Map.of("package", List.of("P0100012"), "files", List.of("x")),
                    Map.of("package", List.of("P0100012"), "bytes", List.of("999999999999")),
                    Map.of("package", List.of("P0100012"), "version", List.of("-1")))) {
                assertThatThrownBy(() -> a.get("distribute").run(q, "")).as(q.toString())
                        .isInstanceOf(IllegalArgumentException.class);
            }
            assertThat(a.get("content").run(Map.of(), "")).isEqualTo(Map.of("states", Map.of(), "onCmg", Map.of()));
        }
    }
}
