package org.cmglab.proto.jwt;

import com.nimbusds.jwt.JWTClaimsSet;
import java.util.Objects;

/**
 * A token that passed {@link JwtVerifier#verify}.
 *
 * @param claims the verified claims
 * @param keyId  the {@code kid} of the key that verified the signature
 */
public record VerifiedToken(JWTClaimsSet claims, String keyId) {
    /** Checks the components are present. */
    public VerifiedToken {
        Objects.requireNonNull(claims, "claims");
        Objects.requireNonNull(keyId, "keyId");
    }
}
