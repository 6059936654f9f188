package org.cmglab.site.ccm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The site's other on-premises distribution points and the content they hold: besides the MP's own DP (always in a
 * {@code ContentLocationReply} to an intranet client), package {@code P} may be on {@code dp02.<domain>},
 * {@code dp03.<domain>}, ... (the lab's names; nothing listens there, a client of the lab downloads from the MP).
 * An intranet client's location reply lists one {@code <LocationRecord>} per DP holding the package, in the same
 * shape as the MP's own; internet clients get none of them (on-premises DPs are not reachable from the internet).
 *
 * <p>Set by the admin action {@code POST /dps?package=P0100B01&count=2} ({@code count} 0..{@link #MAX_DPS}, 0 = only
 * the MP's DP again); the bench harness uses it to give W1's location reply the product's size (several DPs).
 */
public final class DistributionPoints implements ContentLocationSource {
    public static final int MAX_DPS = 20;
    private static final Pattern PACKAGE_ID = Pattern.compile("[A-Z0-9]{3}[0-9A-F]{5}");

    private final String domain;
    private final boolean https;
    private final int mpVersion;
    private final Map<String, List<String>> byPackage = new ConcurrentHashMap<>();

    /**
     * @param mpFqdn the MP's FQDN: the DPs are in its domain
     * @param https  whether the DPs (like the MP) serve HTTPS
     */
    public DistributionPoints(String mpFqdn, boolean https, int mpVersion) {
        String fqdn = Objects.requireNonNull(mpFqdn, "mpFqdn");
        int dot = fqdn.indexOf('.');
        this.domain = dot < 0 ? "" : fqdn.substring(dot);
        this.https = https;
        this.mpVersion = mpVersion;
    }

    /** Puts {@code packageId} on {@code count} DPs ({@code dp02...}), replacing what it was on; their FQDNs. */
    public List<String> place(String packageId, int count) {
        if (packageId == null || !PACKAGE_ID.matcher(packageId).matches()) {
            throw new IllegalArgumentException("package: " + packageId + " (expected a package id like P0100012)");
        }
        if (count < 0 || count > MAX_DPS) {
            throw new IllegalArgumentException("count: " + count + " (expected: 0.." + MAX_DPS + ")");
        }
        List<String> dps = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            dps.add(String.format(Locale.ROOT, "dp%02d%s", i + 2, domain));
        }
        if (dps.isEmpty()) {
            byPackage.remove(packageId);
        } else {
            byPackage.put(packageId, List.copyOf(dps));
        }
        return List.copyOf(dps);
    }

    /** The admin action {@code POST /dps?package=<id>&count=<n>}. */
    public Map<String, Object> adminPlace(Map<String, List<String>> query) {
        String pkg = firstOf(query, "package");
        String n = firstOf(query, "count");
        int count;
        try {
            count = Integer.parseInt(n == null ? "" : n.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("count: " + n + " (expected: a number 0.." + MAX_DPS + ")");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("package", pkg);
        m.put("distributionPoints", place(pkg, count));
        return m;
    }

    private static String firstOf(Map<String, List<String>> q, String name) {
        List<String> v = q.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    /** Package → its DPs besides the MP's. */
    public Map<String, List<String>> describe() {
        return Map.copyOf(byPackage);
    }

    @Override
    public List<String> locationRecords(String packageId, String version, boolean onInternet) {
        List<String> dps = byPackage.get(packageId);
        if (onInternet || dps == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>(dps.size());
        for (String dp : dps) {
            out.add(LocationReplies.dpRecord(dp, https, mpVersion, packageId));
        }
        return out;
    }
}
