package org.cmglab.proto.jwt;

import java.util.Objects;

/** Thrown by {@link JwtVerifier#verify} when a token must not be accepted; carries the reason. */
public final class TokenRejectedException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why a token was rejected. */
    public enum Reason {
        /** Not a parseable compact JWS / JWT claims set, or a required claim is missing. */
        MALFORMED,
        /** The signature does not verify with the key named by {@code kid}. */
        BAD_SIGNATURE,
        /** No {@code kid}, or no RSA key with that {@code kid} in the key set. */
        UNKNOWN_KEY,
        /** {@code exp} is in the past (beyond the allowed skew). */
        EXPIRED,
        /** {@code nbf} (or {@code iat}) is in the future (beyond the allowed skew). */
        NOT_YET_VALID,
        /** {@code iss} is not the expected issuer. */
        WRONG_ISSUER,
        /** {@code aud} does not contain the expected audience. */
        WRONG_AUDIENCE,
        /** Unsigned ({@code alg: none}), encrypted, or signed with anything but RS256. */
        UNSUPPORTED_ALGORITHM
    }

    private final Reason reason;

    /** Creates an exception with a reason and a human-readable message. */
    public TokenRejectedException(Reason reason, String message) {
        this(reason, message, null);
    }

    /** Creates an exception with a reason, a human-readable message and a cause. */
    public TokenRejectedException(Reason reason, String message, Throwable cause) {
        super(Objects.requireNonNull(reason, "reason") + ": " + Objects.requireNonNull(message, "message"), cause);
        this.reason = reason;
    }

    /** The machine-readable reason. */
    public Reason reason() {
        return reason;
    }
}
