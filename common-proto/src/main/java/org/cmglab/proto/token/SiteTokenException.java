package org.cmglab.proto.token;

import java.util.Objects;

/**
 * A bearer token (site token or Entra token) was refused. The message is what the product's logs say where it is
 * known (Microsoft.IdentityModel's {@code IDX…} texts, e.g. {@code IDX10223: Lifetime validation failed. The token is
 * expired.}), otherwise the lab's own wording.
 */
public final class SiteTokenException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why a token was refused; each has its own test. */
    public enum Reason {
        /** No {@code Authorization: Bearer}, not a JWT, unsigned, or a required claim missing. */
        MALFORMED,
        /** {@code exp} is past (beyond the allowed skew). */
        EXPIRED,
        /** {@code nbf} (or {@code iat}) is in the future (beyond the allowed skew). */
        NOT_YET_VALID,
        /** Not signed by the expected key (site token-signing certificate or the tenant's JWKS). */
        BAD_SIGNATURE,
        /** {@code iss} is not the site's hierarchy (or the onboarded tenant). */
        WRONG_ISSUER,
        /** {@code aud} is not {@code urn:sccm:service} (or the server app). */
        WRONG_AUDIENCE,
        /** A valid token of a type this use does not accept (e.g. a bulk token for messaging). */
        WRONG_TYPE,
        /** A bulk registration token whose {@code UniqueId} the administrator blocked. */
        BLOCKED
    }

    private final Reason reason;

    public SiteTokenException(Reason reason, String message) {
        this(reason, message, null);
    }

    public SiteTokenException(Reason reason, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }

    /** The .NET exception type the product logs for this reason, e.g. {@code SecurityTokenExpiredException}. */
    public String exceptionName() {
        return switch (reason) {
            case EXPIRED -> "System.IdentityModel.Tokens.SecurityTokenExpiredException";
            case NOT_YET_VALID -> "System.IdentityModel.Tokens.SecurityTokenNotYetValidException";
            case BAD_SIGNATURE -> "System.IdentityModel.Tokens.SecurityTokenInvalidSignatureException";
            case WRONG_ISSUER -> "System.IdentityModel.Tokens.SecurityTokenInvalidIssuerException";
            case WRONG_AUDIENCE -> "System.IdentityModel.Tokens.SecurityTokenInvalidAudienceException";
            case MALFORMED -> "System.ArgumentException";
            case WRONG_TYPE, BLOCKED -> "System.IdentityModel.Tokens.SecurityTokenValidationException";
        };
    }

    /** The line the product writes for a refused pre-auth (bulk) token: {@code PreAuth token validation failed, …}. */
    public String preAuthLogLine() {
        return "PreAuth token validation failed, " + exceptionName() + ": " + getMessage();
    }
}
