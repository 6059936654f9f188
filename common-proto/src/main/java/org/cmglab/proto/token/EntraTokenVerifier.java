package org.cmglab.proto.token;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.cmglab.proto.jwt.JwtVerifier;
import org.cmglab.proto.jwt.TokenRejectedException;
import org.cmglab.proto.jwt.VerifiedToken;
import org.cmglab.proto.token.SiteTokenException.Reason;

/**
 * Verifies Entra ID (device or user) access tokens presented at {@code CCM_STS}: RS256 signed by a key of the
 * onboarded tenant's JWKS, {@code iss} = the tenant's v1 issuer, {@code aud} = the server app (e.g.
 * {@code https://ConfigMgrService}), {@code tid} = the tenant, lifetime with the allowed skew. Built on
 * {@link JwtVerifier}; refusals carry the Microsoft.IdentityModel texts. The keys may arrive later (fetched from the
 * tenant's discovery document): until then every token is refused with {@code IDX10500}. Thread-safe.
 */
public final class EntraTokenVerifier {

    /** A verified Entra token: what CCM_STS logs and puts into the CCM token. */
    public record EntraToken(String tenantId, String tokenType, String objectId, String deviceId, String upn,
                             JWTClaimsSet claims) {}

    private final String tenantId;
    private final String issuer;
    private final String audience;
    private final Clock clock;
    private final Duration skew;
    private final AtomicReference<JwtVerifier> verifier = new AtomicReference<>();

    /**
     * @param keysOrNull the tenant's JWKS, or null until {@link #keys(JWKSet)} is called
     */
    public EntraTokenVerifier(String tenantId, String issuer, String audience, JWKSet keysOrNull, Clock clock,
                              Duration skew) {
        this.tenantId = Objects.requireNonNull(tenantId, "tenantId").toLowerCase(Locale.ROOT);
        this.issuer = Objects.requireNonNull(issuer, "issuer");
        this.audience = Objects.requireNonNull(audience, "audience");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.skew = Objects.requireNonNull(skew, "skew");
        if (keysOrNull != null) {
            keys(keysOrNull);
        }
    }

    /** Installs (or replaces) the tenant's signing keys. */
    public void keys(JWKSet keys) {
        verifier.set(JwtVerifier.forKeys(keys, issuer, audience, clock, skew));
    }

    /** Whether signing keys are installed. */
    public boolean hasKeys() {
        return verifier.get() != null;
    }

    public String tenantId() {
        return tenantId;
    }

    public String issuer() {
        return issuer;
    }

    public String audience() {
        return audience;
    }

    /** Verifies the token of an {@code Authorization: Bearer} header. */
    public EntraToken verifyBearer(String authorizationHeader) throws SiteTokenException {
        return verify(BearerAuthenticator.bearerToken(authorizationHeader));
    }

    /** Verifies a compact Entra access token. */
    public EntraToken verify(String compact) throws SiteTokenException {
        JwtVerifier v = verifier.get();
        if (v == null) {
            throw new SiteTokenException(Reason.BAD_SIGNATURE, "IDX10500: Signature validation failed. No security keys"
                    + " were provided to validate the signature (the tenant's keys are not loaded yet).");
        }
        VerifiedToken t;
        try {
            t = v.verify(compact);
        } catch (TokenRejectedException e) {
            throw translate(e, compact);
        }
        JWTClaimsSet c = t.claims();
        Object tid = c.getClaim("tid");
        if (!(tid instanceof String s) || !s.equalsIgnoreCase(tenantId)) {
            throw new SiteTokenException(Reason.WRONG_ISSUER, "Tenant '" + tid + "' is not onboarded (expected: "
                    + tenantId + ")");
        }
        String type = c.getClaim("idtyp") instanceof String it ? it : "user";
        return new EntraToken(tenantId, type, str(c, "oid"), str(c, "deviceid"), str(c, "upn"), c);
    }

    private SiteTokenException translate(TokenRejectedException e, String compact) {
        Instant now = clock.instant();
        JWTClaimsSet c = null;
        try {
            c = SignedJWT.parse(compact.trim()).getJWTClaimsSet();
        } catch (ParseException | RuntimeException ignored) {
            // only used for the message
        }
        return switch (e.reason()) {
            case EXPIRED -> new SiteTokenException(Reason.EXPIRED, c != null && c.getExpirationTime() != null
                    ? IdentityModelMessages.expired(c.getExpirationTime().toInstant(), now)
                    : IdentityModelMessages.noExpiry(), e);
            case NOT_YET_VALID -> new SiteTokenException(Reason.NOT_YET_VALID, c != null && c.getNotBeforeTime() != null
                    ? IdentityModelMessages.notYetValid(c.getNotBeforeTime().toInstant(), now)
                    : e.getMessage(), e);
            case WRONG_ISSUER -> new SiteTokenException(Reason.WRONG_ISSUER,
                    IdentityModelMessages.wrongIssuer(c == null ? null : c.getIssuer(), issuer), e);
            case WRONG_AUDIENCE -> new SiteTokenException(Reason.WRONG_AUDIENCE,
                    IdentityModelMessages.wrongAudience(c == null ? null : c.getAudience(), audience), e);
            case BAD_SIGNATURE, UNKNOWN_KEY, UNSUPPORTED_ALGORITHM -> new SiteTokenException(Reason.BAD_SIGNATURE,
                    IdentityModelMessages.badSignature(e.getMessage()), e);
            case MALFORMED -> new SiteTokenException(Reason.MALFORMED, IdentityModelMessages.malformed(e.getMessage()), e);
        };
    }

    private static String str(JWTClaimsSet c, String name) {
        return c.getClaim(name) instanceof String s ? s : null;
    }
}
