package org.cmglab.proto.token;

import com.nimbusds.jwt.JWTClaimsSet;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A site token that passed verification.
 *
 * @param type      its {@code Type}
 * @param claims    all verified claims
 * @param compact   the token as presented
 */
public record SiteToken(SiteTokenType type, JWTClaimsSet claims, String compact) {
    public SiteToken {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(claims, "claims");
        Objects.requireNonNull(compact, "compact");
    }

    /** {@code DeviceId} ({@code GUID:<SMSID>}), or null (bulk tokens). */
    public String deviceId() {
        return string("DeviceId");
    }

    /** {@code UniqueId} of a bulk token, or null. */
    public String uniqueId() {
        return string("UniqueId");
    }

    /** {@code TenantId}, or null. */
    public String tenantId() {
        return string("TenantId");
    }

    /** {@code UserId} of a UDA CCM token, or null. */
    public String userId() {
        return string("UserId");
    }

    /** {@code exp}. */
    public Instant expires() {
        return claims.getExpirationTime().toInstant();
    }

    /** {@code cnf.x5t#S256}: the base64url SHA-256 thumbprint of the certificate a client token is bound to, or null. */
    public String confirmationThumbprint() {
        Object cnf = claims.getClaim("cnf");
        if (cnf instanceof Map<?, ?> m && m.get("x5t#S256") instanceof String s) {
            return s;
        }
        return null;
    }

    private String string(String name) {
        Object v = claims.getClaim(name);
        return v instanceof String s ? s : null;
    }
}
