package org.cmglab.cmg.auth;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.cmglab.proto.token.SiteToken;
import org.cmglab.proto.token.SiteTokenException;
import org.cmglab.proto.token.SiteTokenService;
import org.cmglab.proto.token.SiteTokenType;
import org.cmglab.proto.token.TokenUse;

/**
 * Site tokens the CMG has already verified, by their exact compact text: a client sends the same CCM token with
 * every request for hours, and its RS256 signature, issuer and audience cannot change, so they are checked once
 * (bench W1: the signature check and the two JWT parses were the CMG's largest cost per request, docs/performance.md).
 * What does depend on the moment or the path is checked on every use: {@code exp}/{@code nbf}/{@code iat} with the
 * skew against the service's clock, and the token's type against the path's {@link TokenUse}. Anything not clearly
 * fine goes through the full {@link SiteTokenService#verify} again, so refusals keep their exact reasons.
 *
 * <p>Only CCM and client tokens are kept (a bulk registration token is used once, and the MP keeps its block list).
 * An entry is trusted for at most {@link #MAX_AGE}; the cache holds at most {@link #MAX_ENTRIES} tokens and is emptied
 * when full (a flood of distinct tokens costs what it cost before, no more). Thread-safe, never blocks.
 */
final class VerifiedTokenCache {
    static final int MAX_ENTRIES = 10_000;
    static final Duration MAX_AGE = Duration.ofMinutes(10);

    private record Entry(SiteToken token, Instant verifiedAt) {}

    private final SiteTokenService verifier;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

    /** {@code -Dcmglab.cmg.tokenCache=false} verifies every request's token in full (the bench's before/after). */
    static final String ENABLED_PROPERTY = "cmglab.cmg.tokenCache";

    private final boolean enabled;

    VerifiedTokenCache(SiteTokenService verifier) {
        this(verifier, !"false".equalsIgnoreCase(System.getProperty(ENABLED_PROPERTY, "true")));
    }

    VerifiedTokenCache(SiteTokenService verifier, boolean enabled) {
        this.verifier = Objects.requireNonNull(verifier, "verifier");
        this.enabled = enabled;
    }

    /** The token if it was verified before and is still good for {@code use} now; else null (verify it fully). */
    SiteToken lookup(String compact, TokenUse use) {
        Entry e = enabled ? entries.get(compact) : null;
        if (e == null) {
            return null;
        }
        if (stillGood(e, use, verifier.clock().instant())) {
            return e.token();
        }
        entries.remove(compact, e);
        return null;
    }

    /** As {@link SiteTokenService#verify(String, TokenUse)}, from the cache when the token was verified before. */
    SiteToken verify(String compact, TokenUse use) throws SiteTokenException {
        SiteToken hit = lookup(compact, use);
        if (hit != null) {
            return hit;
        }
        Instant now = verifier.clock().instant();
        SiteToken t = verifier.verify(compact, use);
        if (enabled && t.type() != SiteTokenType.BULK_REGISTRATION) {
            if (entries.size() >= MAX_ENTRIES) {
                entries.clear();
            }
            entries.put(compact, new Entry(t, now));
        }
        return t;
    }

    int size() {
        return entries.size();
    }

    private boolean stillGood(Entry e, TokenUse use, Instant now) {
        if (now.isAfter(e.verifiedAt().plus(MAX_AGE)) || now.isBefore(e.verifiedAt().minus(verifier.skew()))) {
            return false;
        }
        if (!use.accepted().contains(e.token().type())) {
            return false; // the full check names the wrong type
        }
        var c = e.token().claims();
        Duration skew = verifier.skew();
        Date exp = c.getExpirationTime();
        if (exp == null || !now.isBefore(exp.toInstant().plus(skew))) {
            return false;
        }
        Date nbf = c.getNotBeforeTime();
        if (nbf != null && now.isBefore(nbf.toInstant().minus(skew))) {
            return false;
        }
        Date iat = c.getIssueTime();
        return iat == null || !now.isBefore(iat.toInstant().minus(skew));
    }
}
