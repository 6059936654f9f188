package org.cmglab.proto.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.cmglab.proto.ccm.CcmFormatException;
import org.junit.jupiter.api.Test;

class ContentManifestTest {
    private static final String H = "ab".repeat(32);

    @Test
    void roundTripsWithAndWithoutUrls() {
        ContentManifest m = new ContentManifest("P0100012", "P0100012", 1, List.of(
                new ContentManifest.FileEntry("setup.exe", 3_000_000, H, null),
                new ContentManifest.FileEntry("data-1.cab", 5, H.toUpperCase(), "https://s/x?a=1&sig=%2B")));
        ContentManifest back = ContentManifest.parse(m.toXml());
        assertThat(back).isEqualTo(m);
        assertThat(back.totalSize()).isEqualTo(3_000_005);
        assertThat(back.files().get(1).sha256()).isEqualTo(H);
        assertThat(back.files().get(1).url()).isEqualTo("https://s/x?a=1&sig=%2B");
        assertThat(m.toXml()).contains("URL=\"https://s/x?a=1&amp;sig=%2B\"");
    }

    @Test
    void refusesTraversalBadHashesAndDuplicates() {
        assertThatThrownBy(() -> new ContentManifest.FileEntry("../evil", 1, H, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ContentManifest.FileEntry("a/b", 1, H, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ContentManifest.FileEntry("a", 1, "abc", null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ContentManifest("P", "P", 1, List.of(
                new ContentManifest.FileEntry("a", 1, H, null), new ContentManifest.FileEntry("A", 1, H, null))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ContentManifest.parse("<ContentManifest PackageID=\"P\" ContentID=\"P\" Version=\"1\">"
                + "<File Name=\"..\" Size=\"1\" SHA256=\"" + H + "\"/></ContentManifest>"))
                .isInstanceOf(CcmFormatException.class);
        assertThatThrownBy(() -> ContentManifest.parse("<Other/>")).isInstanceOf(CcmFormatException.class);
    }
}
