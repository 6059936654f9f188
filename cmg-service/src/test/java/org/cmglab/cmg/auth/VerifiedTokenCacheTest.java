package org.cmglab.cmg.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.token.SiteToken;
import org.cmglab.proto.token.SiteTokenException;
import org.cmglab.proto.token.SiteTokenPki;
import org.cmglab.proto.token.SiteTokenService;
import org.cmglab.proto.token.SiteTokenType;
import org.cmglab.proto.token.TokenUse;
import org.junit.jupiter.api.Test;

class VerifiedTokenCacheTest {
    private static final String HIERARCHY = "2bdde264-15d8-3b7d-b3e8-e3cdbf4aeb77";
    private static final String SMSID = "GUID:0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0";
    private static final Instant NOW = Instant.parse("2026-11-29T09:00:00Z");
    private static final IssuedCert SIGNING = SiteTokenPki.createEphemeral().signing();

    /** A clock the test moves. */
    static final class MovingClock extends Clock {
        Instant now = NOW;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final MovingClock clock = new MovingClock();
    private final SiteTokenService issuer = SiteTokenService.forSigning(SIGNING, HIERARCHY, Clock.fixed(NOW, ZoneOffset.UTC),
            SiteTokenService.DEFAULT_SKEW);
    private final SiteTokenService verifier = SiteTokenService.forVerifying(SIGNING.certificate(), HIERARCHY, clock,
            SiteTokenService.DEFAULT_SKEW);

    @Test
    void aVerifiedCcmTokenIsServedFromTheCacheUntilItExpires() throws Exception {
        VerifiedTokenCache cache = new VerifiedTokenCache(verifier);
        String t = issuer.issueCcmToken(SiteTokenType.CCM_UDA, SMSID, "tenant", "user");
        assertThat(cache.lookup(t, TokenUse.MESSAGING)).isNull();
        SiteToken first = cache.verify(t, TokenUse.MESSAGING);
        assertThat(cache.size()).isEqualTo(1);
        assertThat(cache.lookup(t, TokenUse.MESSAGING)).isSameAs(first);
        assertThat(cache.verify(t, TokenUse.STS)).isSameAs(first);

        clock.now = NOW.plus(Duration.ofHours(8)).plus(SiteTokenService.DEFAULT_SKEW).plusSeconds(1);
        assertThat(cache.lookup(t, TokenUse.MESSAGING)).isNull(); // expired: not from the cache …
        SiteTokenException e = catchThrowableOfType(SiteTokenException.class, () -> cache.verify(t, TokenUse.MESSAGING));
        assertThat(e.reason()).isEqualTo(SiteTokenException.Reason.EXPIRED); // … and refused with the full check's reason
        assertThat(cache.size()).isZero();
    }

    @Test
    void switchedOffEveryCheckIsAFullOne() throws Exception {
        VerifiedTokenCache cache = new VerifiedTokenCache(verifier, false);
        String t = issuer.issueCcmToken(SiteTokenType.CCM_UDA, SMSID, "tenant", "user");
        assertThat(cache.verify(t, TokenUse.MESSAGING).deviceId()).isEqualTo(SMSID);
        assertThat(cache.size()).isZero();
        assertThat(cache.lookup(t, TokenUse.MESSAGING)).isNull();
    }

    @Test
    void anEntryIsTrustedForTenMinutesAtMost() throws Exception {
        VerifiedTokenCache cache = new VerifiedTokenCache(verifier);
        String t = issuer.issueCcmToken(SiteTokenType.CCM_DEVICE, SMSID, "tenant", null);
        cache.verify(t, TokenUse.MESSAGING);
        clock.now = NOW.plus(VerifiedTokenCache.MAX_AGE).plusSeconds(1);
        assertThat(cache.lookup(t, TokenUse.MESSAGING)).isNull();
        assertThat(cache.verify(t, TokenUse.MESSAGING).deviceId()).isEqualTo(SMSID); // verified again, still valid
    }

    @Test
    void otherTextIsNeverAHitAndBulkTokensAreNotKept() throws Exception {
        VerifiedTokenCache cache = new VerifiedTokenCache(verifier);
        String t = issuer.issueCcmToken(SiteTokenType.CCM_UDA, SMSID, "tenant", "user");
        cache.verify(t, TokenUse.MESSAGING);
        String tampered = t.substring(0, t.length() - 2) + (t.endsWith("A") ? "BB" : "AA");
        SiteTokenException e = catchThrowableOfType(SiteTokenException.class,
                () -> cache.verify(tampered, TokenUse.MESSAGING));
        assertThat(e.reason()).isEqualTo(SiteTokenException.Reason.BAD_SIGNATURE);

        String bulk = issuer.issueBulk(Duration.ofMinutes(60)).token();
        cache.verify(bulk, TokenUse.REGISTRATION);
        assertThat(cache.lookup(bulk, TokenUse.REGISTRATION)).isNull();
        assertThat(cache.size()).isEqualTo(1);
    }

    @Test
    void cachedChecksCostAFractionOfFullOnes() throws Exception {
        VerifiedTokenCache cache = new VerifiedTokenCache(verifier);
        String t = issuer.issueCcmToken(SiteTokenType.CCM_UDA, SMSID, "tenant", "user");
        int n = 2_000;
        for (int i = 0; i < n; i++) { // warm both paths
            verifier.verify(t, TokenUse.MESSAGING);
            cache.verify(t, TokenUse.MESSAGING);
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            verifier.verify(t, TokenUse.MESSAGING);
        }
        long full = System.nanoTime() - t0;
        t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            cache.verify(t, TokenUse.MESSAGING);
        }
        long cached = System.nanoTime() - t0;
        System.out.printf("site token check: full %.1f µs, cached %.2f µs%n", full / 1e3 / n, cached / 1e3 / n);
        assertThat(cached).isLessThan(full / 5);
    }
}
