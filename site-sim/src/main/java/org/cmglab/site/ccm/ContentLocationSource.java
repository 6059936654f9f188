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
}
