package org.cmglab.site.ccm;

import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The MP's registered clients (in memory, for the life of the process): SMSID ↔ signing and encryption
 * certificates, approval.
 */
public final class ClientRegistry {
    /** One registered client. */
    public record Registration(String smsId, String netbiosName, String fqdn, X509Certificate signing,
                               X509Certificate encryption, boolean approved, Instant registeredAt, String via) {
        public Registration {
            Objects.requireNonNull(smsId, "smsId");
            Objects.requireNonNull(signing, "signing");
            Objects.requireNonNull(encryption, "encryption");
        }
    }

    static final int MAX_CLIENTS = 100_000;
    private final Map<String, Registration> bySmsId = new ConcurrentHashMap<>();

    /** {@code GUID:<UPPER>} */
    public static String key(String smsId) {
        String s = smsId.trim();
        if (s.regionMatches(true, 0, "GUID:", 0, 5)) {
            s = s.substring(5);
        }
        return "GUID:" + s.toUpperCase(Locale.ROOT);
    }

    public Registration get(String smsId) {
        return smsId == null ? null : bySmsId.get(key(smsId));
    }

    public PublicKey signingKey(String smsId) {
        Registration r = get(smsId);
        return r == null ? null : r.signing().getPublicKey();
    }

    /** Stores (or replaces) a registration; refuses when the registry is full. */
    public Registration put(Registration r) {
        if (bySmsId.size() >= MAX_CLIENTS && !bySmsId.containsKey(key(r.smsId()))) {
            throw new IllegalStateException("registry full (" + MAX_CLIENTS + " clients)");
        }
        bySmsId.put(key(r.smsId()), r);
        return r;
    }

    public int size() {
        return bySmsId.size();
    }

    public List<Registration> all() {
        return List.copyOf(bySmsId.values());
    }
}
