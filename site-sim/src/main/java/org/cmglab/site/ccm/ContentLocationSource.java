package org.cmglab.site.ccm;

import java.util.List;

/**
 * Extra content locations for a {@code ContentLocationRequest} — the hook for the CMG content issue (the MP lists a
 * content-enabled CMG when it has the content). Each string is one complete {@code <LocationRecord>} element.
 */
@FunctionalInterface
public interface ContentLocationSource {
    ContentLocationSource NONE = (packageId, version, onInternet) -> List.of();

    List<String> locationRecords(String packageId, String version, boolean onInternet);

    /**
     * The same with the requesting client ({@code GUID:…}, the message's SourceID, or null), for locations that
     * carry a token scoped to the client (the content-enabled CMG). Defaults to the three-argument form.
     */
    default List<String> locationRecords(String packageId, String version, boolean onInternet, String clientId) {
        return locationRecords(packageId, version, onInternet);
    }

    /** This source's records, then {@code next}'s. */
    default ContentLocationSource then(ContentLocationSource next) {
        java.util.Objects.requireNonNull(next, "next");
        ContentLocationSource self = this;
        return new ContentLocationSource() {
            @Override
            public List<String> locationRecords(String packageId, String version, boolean onInternet) {
                return locationRecords(packageId, version, onInternet, null);
            }

            @Override
            public List<String> locationRecords(String packageId, String version, boolean onInternet,
                                                String clientId) {
                List<String> a = self.locationRecords(packageId, version, onInternet, clientId);
                List<String> b = next.locationRecords(packageId, version, onInternet, clientId);
                if (a.isEmpty()) {
                    return b;
                }
                if (b.isEmpty()) {
                    return a;
                }
                List<String> all = new java.util.ArrayList<>(a);
                all.addAll(b);
                return all;
            }
        };
    }
}
