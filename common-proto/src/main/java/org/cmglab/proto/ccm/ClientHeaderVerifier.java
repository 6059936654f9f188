package org.cmglab.proto.ccm;

import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Verifies the {@code CCMClient*} and {@code ClientToken} headers (docs/client-auth.md): the signatures against the
 * signing key registered for the client, the timestamp within ±{@code skew} of {@link Clock}, and the replay rule —
 * one signed (client id, timestamp, signature) triple serves at most {@code maxUses} requests (any URLs: PXEThief
 * signs once and downloads several policies with the same headers) while it is remembered (2 × skew); the next use
 * is refused as a replay. The replay memory is bounded ({@code capacity} triples, oldest forgotten first).
 */
public final class ClientHeaderVerifier {

    /** Finds the registered signing key of a client id ({@code GUID:...}); null when unknown. */
    @FunctionalInterface
    public interface KeyLookup {
        PublicKey signingKey(String clientId);
    }

    /** A verified identity. */
    public record Verified(String clientId, Instant timestamp, String header) {}

    public static final Duration DEFAULT_SKEW = Duration.ofMinutes(5);
    /** Requests one signed timestamp may serve. */
    public static final int DEFAULT_MAX_USES = 32;
    static final int DEFAULT_CAPACITY = 100_000;

    private final Clock clock;
    private final Duration skew;
    private final int maxUses;
    private final int capacity;
    private final Map<String, Seen> seen = new LinkedHashMap<>();

    private record Seen(String firstUrl, int uses, Instant expires) {}

    public ClientHeaderVerifier(Clock clock, Duration skew) {
        this(clock, skew, DEFAULT_MAX_USES, DEFAULT_CAPACITY);
    }

    public ClientHeaderVerifier(Clock clock, Duration skew, int maxUses, int capacity) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.skew = Objects.requireNonNull(skew, "skew");
        if (skew.isNegative() || capacity < 1 || maxUses < 1) {
            throw new IllegalArgumentException("skew >= 0, maxUses >= 1 and capacity >= 1 expected");
        }
        this.maxUses = maxUses;
        this.capacity = capacity;
    }

    public Duration skew() {
        return skew;
    }

    /** Whether the request carries a {@code CCMClientID} header. */
    public static boolean hasCcmClient(Function<String, String> header) {
        return header.apply(CcmClientHeaders.CCM_CLIENT_ID) != null;
    }

    public static boolean hasClientToken(Function<String, String> header) {
        return header.apply(CcmClientHeaders.CLIENT_TOKEN) != null;
    }

    /**
     * Verifies the four {@code CCMClient*} headers ({@code header} looks names up case-insensitively; both
     * spellings of the timestamp signature are accepted).
     */
    public Verified verifyCcmClient(Function<String, String> header, String url, KeyLookup keys) {
        String id = header.apply(CcmClientHeaders.CCM_CLIENT_ID);
        String idSig = header.apply(CcmClientHeaders.CCM_CLIENT_ID_SIGNATURE);
        String ts = header.apply(CcmClientHeaders.CCM_CLIENT_TIMESTAMP);
        String tsSig = header.apply(CcmClientHeaders.CCM_CLIENT_TIMESTAMP_SIGNATURE);
        if (tsSig == null) {
            tsSig = header.apply(CcmClientHeaders.CCM_CLIENT_TIMESTAMPS_SIGNATURE);
        }
        if (id == null || idSig == null || ts == null || tsSig == null) {
            throw new CcmAuthException(CcmAuthException.Reason.MISSING_SIGNATURE,
                    "CCMClientID, CCMClientIDSignature, CCMClientTimestamp and CCMClientTimestampSignature are all"
                            + " required (got " + (id != null) + "/" + (idSig != null) + "/" + (ts != null) + "/"
                            + (tsSig != null) + ")");
        }
        PublicKey key = key(keys, id);
        if (!CcmSignatures.verify(key, Utf16.leNul(id), idSig)) {
            throw new CcmAuthException(CcmAuthException.Reason.BAD_SIGNATURE,
                    "CCMClientIDSignature does not verify for " + id);
        }
        if (!CcmSignatures.verify(key, Utf16.leNul(ts), tsSig)) {
            throw new CcmAuthException(CcmAuthException.Reason.BAD_SIGNATURE,
                    "CCMClientTimestampSignature does not verify for " + id + " at " + ts);
        }
        Instant t = checkTime(ts);
        checkReplay(id, ts, tsSig, url);
        return new Verified(normalize(id), t, CcmClientHeaders.CCM_CLIENT_ID);
    }

    /** Verifies {@code ClientToken: GUID:<id>;<timestamp>[;2]} and {@code ClientTokenSignature}. */
    public Verified verifyClientToken(Function<String, String> header, String url, KeyLookup keys) {
        String token = header.apply(CcmClientHeaders.CLIENT_TOKEN);
        String sig = header.apply(CcmClientHeaders.CLIENT_TOKEN_SIGNATURE);
        if (token == null || sig == null) {
            throw new CcmAuthException(CcmAuthException.Reason.MISSING_SIGNATURE,
                    "ClientToken and ClientTokenSignature are both required");
        }
        String[] f = token.split(";", -1);
        if (f.length < 2 || f.length > 3 || f[0].isBlank()) {
            throw new CcmAuthException(CcmAuthException.Reason.BAD_TIMESTAMP,
                    "ClientToken " + abbreviate(token) + " (expected: GUID:<id>;<yyyy-MM-ddTHH:mm:ssZ>;2)");
        }
        String id = f[0].trim();
        PublicKey key = key(keys, id);
        if (!CcmSignatures.verify(key, Utf16.leNul(token), sig)) {
            throw new CcmAuthException(CcmAuthException.Reason.BAD_SIGNATURE,
                    "ClientTokenSignature does not verify for " + id);
        }
        Instant t = checkTime(f[1].trim());
        checkReplay(id, f[1].trim(), sig, url);
        return new Verified(normalize(id), t, CcmClientHeaders.CLIENT_TOKEN);
    }

    /** {@code GUID:<upper-case id>}. */
    public static String normalize(String id) {
        String s = id.trim();
        if (s.regionMatches(true, 0, "GUID:", 0, 5)) {
            s = s.substring(5);
        }
        return "GUID:" + s.toUpperCase(Locale.ROOT);
    }

    private static PublicKey key(KeyLookup keys, String id) {
        PublicKey k = keys.signingKey(normalize(id));
        if (k == null) {
            throw new CcmAuthException(CcmAuthException.Reason.UNKNOWN_CLIENT, "no client registered as " + id);
        }
        return k;
    }

    private Instant checkTime(String ts) {
        Instant t;
        try {
            t = Instant.parse(ts.trim());
        } catch (DateTimeParseException e) {
            throw new CcmAuthException(CcmAuthException.Reason.BAD_TIMESTAMP,
                    "timestamp " + abbreviate(ts) + " (expected: yyyy-MM-ddTHH:mm:ssZ)");
        }
        Instant now = clock.instant();
        Duration off = Duration.between(now, t).abs();
        if (off.compareTo(skew) > 0) {
            throw new CcmAuthException(CcmAuthException.Reason.CLOCK_SKEW, "timestamp " + ts + " is " + off.toSeconds()
                    + " s from the MP's clock " + CcmClientHeaders.timestamp(now) + " (allowed: ±" + skew.toSeconds() + " s)");
        }
        return t;
    }

    private synchronized void checkReplay(String id, String ts, String sig, String url) {
        Instant now = clock.instant();
        String key = normalize(id) + "|" + ts + "|" + sig.toUpperCase(Locale.ROOT);
        String u = url == null ? "" : url;
        Seen s = seen.get(key);
        if (s != null && s.expires().isAfter(now)) {
            if (s.uses() >= maxUses) {
                throw new CcmAuthException(CcmAuthException.Reason.REPLAY, "the signed timestamp " + ts + " of " + id
                        + " was already used " + s.uses() + " times (first for " + abbreviate(s.firstUrl())
                        + "); refused for " + abbreviate(u));
            }
            seen.put(key, new Seen(s.firstUrl(), s.uses() + 1, s.expires()));
        } else {
            seen.remove(key);
            seen.put(key, new Seen(u, 1, now.plus(skew.multipliedBy(2))));
        }
        if (seen.size() > capacity) {
            Iterator<Map.Entry<String, Seen>> it = seen.entrySet().iterator();
            while (it.hasNext() && seen.size() > capacity) {
                it.next();
                it.remove();
            }
        }
    }

    /** Entries currently remembered (tests). */
    synchronized int remembered() {
        return seen.size();
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
