package org.cmglab.azure.dns;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.cmglab.proto.config.AzureEnvironment;
import org.cmglab.proto.config.AzureSimConfig;
import org.cmglab.proto.config.Loopback;

/**
 * The records of the lab DNS, thread-safe: every change publishes a new immutable snapshot, so a query sees one
 * consistent state and a change is visible to the next query.
 *
 * <p><b>Zones</b> (where the server is authoritative, i.e. answers NXDOMAIN rather than REFUSED):
 * <ol>
 *   <li>the Azure DNS suffixes the lab plays, always ({@link #azureZones()}: {@code cloudapp.azure.com},
 *       {@code cloudapp.net}, {@code blob.core.windows.net}, {@code vault.azure.net} and the US Government
 *       equivalents), so a deleted deployment name is NXDOMAIN as in Azure;</li>
 *   <li>for every record name, its parent domain (the name without its first label), e.g.
 *       {@code GraniteFalls.contoso.com} makes the server authoritative for {@code contoso.com} and
 *       {@code login.microsoftonline.com} for {@code microsoftonline.com}. A two-label name (e.g.
 *       {@code contoso.com}) is its own zone: the lab is never authoritative for a top-level domain.</li>
 * </ol>
 * A name is in a zone when it equals the zone or ends with {@code "." + zone}; the most specific zone gives the SOA.
 * Names outside every zone are REFUSED: the lab DNS never recurses or forwards.
 */
public final class LabDnsZone implements DnsZone {
    /** Every record and SOA has this TTL (seconds); it is also the SOA minimum (negative-caching TTL). */
    public static final int TTL = 60;

    private static final Pattern LABEL = Pattern.compile("[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?");

    /** One record: type {@code A} (value = IPv4 loopback address) or {@code CNAME} (value = target name). */
    record Rec(String type, String value) {
        boolean isCname() {
            return "CNAME".equals(type);
        }
    }

    /** An immutable state: the records, the zones derived from them, and the SOA serial. */
    record Snapshot(Map<String, Rec> records, Set<String> zones, long serial) {
        /** The most specific zone holding {@code name}, or null when the lab is not authoritative for it. */
        String zoneOf(String name) {
            String best = null;
            for (String z : zones) {
                if ((name.equals(z) || name.endsWith("." + z)) && (best == null || z.length() > best.length())) {
                    best = z;
                }
            }
            return best;
        }

        /** True when a record exists below {@code name} (an "empty non-terminal": NOERROR, not NXDOMAIN). */
        boolean hasDescendants(String name) {
            String suffix = "." + name;
            for (String n : records.keySet()) {
                if (n.endsWith(suffix)) {
                    return true;
                }
            }
            return false;
        }
    }

    private final Set<String> fixedZones;
    private volatile Snapshot snapshot;

    /** A zone with the Azure suffixes of every environment as fixed zones. */
    public LabDnsZone() {
        this(azureZones());
    }

    /** A zone with the given fixed zones (plus the parents of record names). */
    public LabDnsZone(Collection<String> fixedZones) {
        Set<String> z = new TreeSet<>();
        for (String f : fixedZones) {
            z.add(normalize(f, "zone"));
        }
        this.fixedZones = Set.copyOf(z);
        this.snapshot = new Snapshot(Map.of(), this.fixedZones, 1);
    }

    /** The Azure suffixes of both environments (deployment, storage and key vault names). */
    public static Set<String> azureZones() {
        Set<String> z = new LinkedHashSet<>();
        for (AzureEnvironment e : AzureEnvironment.all()) {
            z.add(e.vmssSuffix());
            z.add(e.classicSuffix());
            z.add(e.blobSuffix());
            z.add(e.keyVaultSuffix());
        }
        return z;
    }

    @Override
    public void putA(String name, String address) {
        String n = normalize(name, "name");
        Loopback.require(address, "address of " + n);
        update(n, new Rec("A", address));
    }

    @Override
    public void putCname(String name, String target) {
        String n = normalize(name, "name");
        String t = normalize(target, "CNAME target of " + n);
        if (n.equals(t)) {
            throw new IllegalArgumentException("CNAME " + n + " points to itself");
        }
        update(n, new Rec("CNAME", t));
    }

    /** Adds a record of the configuration ({@code A} or {@code CNAME}). */
    public void put(AzureSimConfig.DnsRecord r) {
        switch (r.type() == null ? "" : r.type().toUpperCase(Locale.ROOT)) {
            case "A" -> putA(r.name(), r.value());
            case "CNAME" -> putCname(r.name(), r.value());
            default -> throw new IllegalArgumentException("DNS record " + r.name() + ": type " + r.type()
                    + " (expected: A or CNAME)");
        }
    }

    @Override
    public boolean remove(String name) {
        String n = normalize(name, "name");
        synchronized (this) {
            Snapshot s = snapshot;
            if (!s.records().containsKey(n)) {
                return false;
            }
            Map<String, Rec> m = new HashMap<>(s.records());
            m.remove(n);
            publish(m, s.serial());
            return true;
        }
    }

    @Override
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        new TreeMap<>(snapshot.records()).forEach((n, r) -> out.add(n + " " + r.type() + " " + r.value()));
        return out;
    }

    /** The zones the server is authoritative for now, sorted. */
    public List<String> zones() {
        return List.copyOf(new TreeSet<>(snapshot.zones()));
    }

    Snapshot snapshot() {
        return snapshot;
    }

    private synchronized void update(String name, Rec rec) {
        Snapshot s = snapshot;
        if (rec.equals(s.records().get(name))) {
            return;
        }
        Map<String, Rec> m = new HashMap<>(s.records());
        m.put(name, rec);
        publish(m, s.serial());
    }

    private void publish(Map<String, Rec> records, long serial) {
        Set<String> zones = new TreeSet<>(fixedZones);
        for (String n : records.keySet()) {
            int dot = n.indexOf('.');
            String parent = n.substring(dot + 1);
            zones.add(parent.indexOf('.') < 0 ? n : parent);
        }
        snapshot = new Snapshot(Map.copyOf(records), Set.copyOf(zones), serial + 1);
    }

    /**
     * Lower case, no trailing dot, at least two labels of letters, digits, hyphens (not first or last) and
     * underscores, at most 63 characters a label and 253 in all.
     */
    static String normalize(String name, String what) {
        if (name == null) {
            throw new IllegalArgumentException(what + ": null (expected: a DNS name)");
        }
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.endsWith(".")) {
            n = n.substring(0, n.length() - 1);
        }
        if (n.isEmpty() || n.length() > 253) {
            throw new IllegalArgumentException(what + ": '" + name + "' (expected: a DNS name of 1..253 characters)");
        }
        String[] labels = n.split("\\.", -1);
        if (labels.length < 2) {
            throw new IllegalArgumentException(what + ": '" + name
                    + "' (expected: a fully qualified name with at least two labels)");
        }
        for (String l : labels) {
            if (!LABEL.matcher(l).matches()) {
                throw new IllegalArgumentException(what + ": '" + name + "' has an invalid label '" + l
                        + "' (expected: 1..63 letters, digits, '-' or '_', not starting or ending with '-')");
            }
        }
        return n;
    }
}
