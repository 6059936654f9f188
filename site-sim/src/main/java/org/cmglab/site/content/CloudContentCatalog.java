package org.cmglab.site.content;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.cmglab.proto.content.ContentManifest;

/**
 * What the site knows the content-enabled CMG holds: content id → the manifest it distributed (recorded only after
 * the files and the manifest are in the CMG's storage account). The MP offers the CMG as a location only for content
 * in here.
 */
public final class CloudContentCatalog {
    private final Map<String, ContentManifest> byContentId = new ConcurrentHashMap<>();

    public void record(ContentManifest m) {
        byContentId.put(m.contentId().toUpperCase(Locale.ROOT), m);
    }

    public void remove(String contentId) {
        byContentId.remove(contentId.toUpperCase(Locale.ROOT));
    }

    public Optional<ContentManifest> find(String contentId) {
        return Optional.ofNullable(byContentId.get(contentId.toUpperCase(Locale.ROOT)));
    }

    /** For /status: content id → "version N, F files, B bytes". */
    public Map<String, String> describe() {
        Map<String, String> out = new TreeMap<>();
        byContentId.forEach((k, m) -> out.put(k, "version " + m.version() + ", " + m.files().size() + " files, "
                + m.totalSize() + " bytes"));
        return out;
    }

    public List<ContentManifest> all() {
        return List.copyOf(byContentId.values());
    }
}
