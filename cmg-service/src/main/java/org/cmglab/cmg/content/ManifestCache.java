package org.cmglab.cmg.content;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.cmglab.proto.content.ContentManifest;

/**
 * Content manifests by content ID, each kept for at most {@code ttl}, at most {@code capacity} of them (when full,
 * expired entries go first, then everything: a cache miss only costs one storage read). Thread-safe.
 */
final class ManifestCache {
    private record Entry(ContentManifest manifest, long expiresAtNanos) {}

    private final long ttlNanos;
    private final int capacity;
    private final LongSupplier nanoTime;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    ManifestCache(Duration ttl, int capacity, LongSupplier nanoTime) {
        this.ttlNanos = Math.max(0, ttl.toNanos());
        this.capacity = capacity;
        this.nanoTime = nanoTime;
    }

    /** The manifest of {@code contentId} if it was put less than the TTL ago, else null. */
    ContentManifest get(String contentId) {
        Entry e = entries.get(contentId);
        if (e == null) {
            return null;
        }
        if (nanoTime.getAsLong() - e.expiresAtNanos() >= 0) {
            entries.remove(contentId, e);
            return null;
        }
        return e.manifest();
    }

    void put(String contentId, ContentManifest manifest) {
        if (ttlNanos == 0) {
            return;
        }
        long now = nanoTime.getAsLong();
        if (entries.size() >= capacity) {
            entries.values().removeIf(e -> now - e.expiresAtNanos() >= 0);
            if (entries.size() >= capacity) {
                entries.clear();
            }
        }
        entries.put(contentId, new Entry(manifest, now + ttlNanos));
    }

    int size() {
        return entries.size();
    }
}
