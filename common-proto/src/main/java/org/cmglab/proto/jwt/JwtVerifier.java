package org.cmglab.proto.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.cmglab.proto.jwt.TokenRejectedException.Reason;

/**
 * Verifies RS256 JWTs against a fixed JWK set, an expected issuer and audience.
 *
 * <p>Order of checks: parse; algorithm (only RS256, so {@code alg: none} and HS* are refused);
 * key by {@code kid}; signature; then claims — {@code exp} (required), {@code nbf} and
 * {@code iat} against the injected {@link Clock} with {@code allowedSkew} either way, then
 * {@code iss} and {@code aud}. Claims are never looked at before the signature verified.
 * Instances are immutable and thread-safe.
 */
public final class JwtVerifier {

    /** Skew used by {@link #forKeys(JWKSet, String, String)}. */
    public static final Duration DEFAULT_SKEW = Duration.ofMinutes(5);

    private final JWKSet keys;
    private final String expectedIssuer;
    private final String expectedAudience;
    private final Clock clock;
    private final Duration allowedSkew;

    private JwtVerifier(JWKSet keys, String expectedIssuer, String expectedAudience, Clock clock,
                        Duration allowedSkew) {
        this.keys = keys;
        this.expectedIssuer = expectedIssuer;
        this.expectedAudience = expectedAudience;
        this.clock = clock;
        this.allowedSkew = allowedSkew;
    }

    /**
     * A verifier for tokens signed by one of {@code keys}, issued by {@code expectedIssuer} for
     * {@code expectedAudience}, checking time claims against {@code clock} with
     * {@code allowedSkew} tolerance.
     */
    public static JwtVerifier forKeys(JWKSet keys, String expectedIssuer, String expectedAudience, Clock clock,
                                      Duration allowedSkew) {
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(expectedIssuer, "expectedIssuer");
        Objects.requireNonNull(expectedAudience, "expectedAudience");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(allowedSkew, "allowedSkew");
        if (allowedSkew.isNegative()) {
            throw new IllegalArgumentException("allowedSkew: " + allowedSkew + " (expected: >= 0)");
        }
        return new JwtVerifier(keys.toPublicJWKSet(), expectedIssuer, expectedAudience, clock, allowedSkew);
    }

    /** Like the five-argument form with the system UTC clock and {@link #DEFAULT_SKEW}. */
    public static JwtVerifier forKeys(JWKSet keys, String expectedIssuer, String expectedAudience) {
        return forKeys(keys, expectedIssuer, expectedAudience, Clock.systemUTC(), DEFAULT_SKEW);
    }

    /**
     * Verifies a compact JWT.
     *
     * @throws TokenRejectedException with the {@link Reason} when the token must not be accepted
     */
    public VerifiedToken verify(String compactJwt) throws TokenRejectedException {
        if (compactJwt == null || compactJwt.isBlank()) {
            throw new TokenRejectedException(Reason.MALFORMED, "token: empty (expected: a compact JWS)");
        }
        JWT parsed;
        try {
            parsed = JWTParser.parse(compactJwt.trim());
        } catch (ParseException e) {
            throw new TokenRejectedException(Reason.MALFORMED, "token is not a JWT: " + e.getMessage(), e);
        }
        if (!(parsed instanceof SignedJWT jwt)) {
            throw new TokenRejectedException(Reason.UNSUPPORTED_ALGORITHM,
                    "alg: " + parsed.getHeader().getAlgorithm() + " (expected: RS256)");
        }
        JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
        if (!JWSAlgorithm.RS256.equals(alg)) {
            throw new TokenRejectedException(Reason.UNSUPPORTED_ALGORITHM, "alg: " + alg + " (expected: RS256)");
        }
        String kid = jwt.getHeader().getKeyID();
        if (kid == null) {
            throw new TokenRejectedException(Reason.UNKNOWN_KEY, "kid: missing (expected: one of " + keyIds() + ")");
        }
        JWK jwk = keys.getKeyByKeyId(kid);
        if (!(jwk instanceof RSAKey rsa)) {
            throw new TokenRejectedException(Reason.UNKNOWN_KEY, "kid: " + kid + " (expected: one of " + keyIds() + ")");
        }
        boolean valid;
        try {
            valid = jwt.verify(new RSASSAVerifier(rsa));
        } catch (JOSEException | IllegalStateException e) {
            throw new TokenRejectedException(Reason.BAD_SIGNATURE,
                    "signature check with key " + kid + " failed: " + e.getMessage(), e);
        }
        if (!valid || jwt.getState() != JWSObject.State.VERIFIED) {
            throw new TokenRejectedException(Reason.BAD_SIGNATURE, "signature does not verify with key " + kid);
        }
        JWTClaimsSet claims;
        try {
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw new TokenRejectedException(Reason.MALFORMED, "claims are not a JSON object: " + e.getMessage(), e);
        }
        checkTimes(claims);
        if (!expectedIssuer.equals(claims.getIssuer())) {
            throw new TokenRejectedException(Reason.WRONG_ISSUER,
                    "iss: " + claims.getIssuer() + " (expected: " + expectedIssuer + ")");
        }
        List<String> aud = claims.getAudience();
        if (aud == null || !aud.contains(expectedAudience)) {
            throw new TokenRejectedException(Reason.WRONG_AUDIENCE,
                    "aud: " + aud + " (expected: to contain " + expectedAudience + ")");
        }
        return new VerifiedToken(claims, kid);
    }

    private void checkTimes(JWTClaimsSet claims) throws TokenRejectedException {
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            throw new TokenRejectedException(Reason.MALFORMED, "exp: missing (expected: an expiry)");
        }
        // exp is the first instant at which the token is no longer acceptable (RFC 7519 4.1.4)
        if (!now.isBefore(exp.toInstant().plus(allowedSkew))) {
            throw new TokenRejectedException(Reason.EXPIRED,
                    "token expired at " + exp.toInstant() + " (now " + now + ", allowed skew " + allowedSkew + ")");
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && now.isBefore(nbf.toInstant().minus(allowedSkew))) {
            throw new TokenRejectedException(Reason.NOT_YET_VALID,
                    "token not valid before " + nbf.toInstant() + " (now " + now + ", allowed skew " + allowedSkew + ")");
        }
        Date iat = claims.getIssueTime();
        if (iat != null && now.isBefore(iat.toInstant().minus(allowedSkew))) {
            throw new TokenRejectedException(Reason.NOT_YET_VALID,
                    "token issued in the future at " + iat.toInstant() + " (now " + now
                            + ", allowed skew " + allowedSkew + ")");
        }
    }

    private List<String> keyIds() {
        return keys.getKeys().stream().map(JWK::getKeyID).toList();
    }
}
