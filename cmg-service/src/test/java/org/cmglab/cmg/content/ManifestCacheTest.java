package org.cmglab.cmg.content;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.cmglab.proto.content.ContentManifest;
import org.junit.jupiter.api.Test;

class ManifestCacheTest {
    private static ContentManifest manifest(String cid) {
        return new ContentManifest(cid, cid, 1, List.of(new ContentManifest.FileEntry("a.bin", 1, "00".repeat(32), null)));
    }

    @Test
    void entriesExpireAfterTheTtl() {
        AtomicLong now = new AtomicLong();
        ManifestCache c = new ManifestCache(Duration.ofSeconds(30), 10, now::get);
        ContentManifest m = manifest("P0100001");
        c.put("P0100001", m);
        now.addAndGet(Duration.ofSeconds(29).toNanos());
        assertThat(c.get("P0100001")).isSameAs(m);
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(c.get("P0100001")).isNull();
        assertThat(c.size()).isZero();
        assertThat(c.get("P0100002")).isNull();
    }

    @Test
    void aZeroTtlKeepsNothingAndTheCapacityBoundsTheEntries() {
        ManifestCache off = new ManifestCache(Duration.ZERO, 10, System::nanoTime);
        off.put("P0100001", manifest("P0100001"));
        assertThat(off.get("P0100001")).isNull();

        AtomicLong now = new AtomicLong();
        ManifestCache c = new ManifestCache(Duration.ofSeconds(30), 3, now::get);
        for (int i = 0; i < 10; i++) {
            c.put("P010000" + i, manifest("P010000" + i));
            assertThat(c.size()).isLessThanOrEqualTo(3);
        }
        assertThat(c.get("P0100009")).isNotNull();
    }
}
