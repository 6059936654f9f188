package org.cmglab.proto.token;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.token.SiteTokenException.Reason;

/**
 * Issues and verifies the site's tokens (docs/client-auth.md, "Tokens"): RS256 JWTs with exactly the header
 * {@code {"typ":"JWT","alg":"RS256","x5t":"<b64url SHA-1 of the SMS Token Signing Certificate>"}}, {@code iss} =
 * {@code urn:sccm:oauth2:<hierarchy id>}, {@code aud} = {@code urn:sccm:service}.
 *
 * <p>Verification order: parse; RS256 only; {@code x5t} names the signing certificate; signature; then claims —
 * {@code exp} (required), {@code nbf}/{@code iat} against the injected {@link Clock} with the allowed skew either way;
 * {@code iss}; {@code aud}; {@code Type} accepted for the {@link TokenUse}; a bulk token's {@code UniqueId} not blocked.
 * Claims are never trusted before the signature verified.
 *
 * <p>The MP builds it with the signing key ({@link #forSigning}); the CMG only verifies ({@link #forVerifying}).
 * Thread-safe; the block list is shared by all threads.
 */
public final class SiteTokenService implements BearerAuthenticator {
    /** {@code aud} of every site token. */
    public static final String AUDIENCE = "urn:sccm:service";
    /** Allowed clock skew by default. */
    public static final Duration DEFAULT_SKEW = Duration.ofMinutes(5);
    /** {@code BulkRegistrationTokenTool.exe /lifetime} default (3 days). */
    public static final Duration DEFAULT_BULK_LIFETIME = SiteTokenType.BULK_REGISTRATION.lifetime();
    /** {@code BulkRegistrationTokenTool.exe /lifetime} maximum (7 days). */
    public static final Duration MAX_BULK_LIFETIME = Duration.ofMinutes(10_080);

    private final RSAPrivateKey key;
    private final RSAPublicKey publicKey;
    private final Base64URL x5t;
    private final String hierarchyId;
    private final String issuer;
    private final Clock clock;
    private final Duration skew;
    private final Set<String> blocked = ConcurrentHashMap.newKeySet();

    private SiteTokenService(RSAPrivateKey key, X509Certificate cert, String hierarchyId, Clock clock, Duration skew) {
        Objects.requireNonNull(cert, "cert");
        if (!(cert.getPublicKey() instanceof RSAPublicKey pub)) {
            throw new IllegalArgumentException("token-signing key: " + cert.getPublicKey().getAlgorithm()
                    + " (expected: RSA)");
        }
        this.key = key;
        this.publicKey = pub;
        this.x5t = thumbprint(cert, "SHA-1");
        this.hierarchyId = UUID.fromString(Objects.requireNonNull(hierarchyId, "hierarchyId")).toString();
        this.issuer = "urn:sccm:oauth2:" + this.hierarchyId;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.skew = Objects.requireNonNull(skew, "skew");
        if (skew.isNegative()) {
            throw new IllegalArgumentException("skew: " + skew + " (expected: >= 0)");
        }
    }

    /** Issues and verifies tokens with the site's token-signing certificate and key. */
    public static SiteTokenService forSigning(IssuedCert signingCert, String hierarchyId, Clock clock, Duration skew) {
        Objects.requireNonNull(signingCert, "signingCert");
        if (!(signingCert.privateKey() instanceof RSAPrivateKey k)) {
            throw new IllegalArgumentException("token-signing key: " + signingCert.privateKey().getAlgorithm()
                    + " (expected: RSA)");
        }
        return new SiteTokenService(k, signingCert.certificate(), hierarchyId, clock, skew);
    }

    /** Only verifies (the CMG): the certificate's public key, no private key. */
    public static SiteTokenService forVerifying(X509Certificate signingCert, String hierarchyId, Clock clock,
                                                Duration skew) {
        return new SiteTokenService(null, signingCert, hierarchyId, clock, skew);
    }

    /** {@code urn:sccm:oauth2:<hierarchy id>}. */
    public String issuer() {
        return issuer;
    }

    /** The hierarchy id (lower-case GUID). */
    public String hierarchyId() {
        return hierarchyId;
    }

    public Duration skew() {
        return skew;
    }

    public Clock clock() {
        return clock;
    }

    // ------------------------------------------------------------------ issuing

    /**
     * A bulk registration token valid from now for {@code lifetime} (1 minute .. {@link #MAX_BULK_LIFETIME}).
     *
     * @throws IllegalArgumentException when the lifetime is out of range (the tool's error)
     */
    public BulkToken issueBulk(Duration lifetime) {
        Objects.requireNonNull(lifetime, "lifetime");
        if (lifetime.toMinutes() < 1 || lifetime.compareTo(MAX_BULK_LIFETIME) > 0) {
            throw new IllegalArgumentException("lifetime: " + lifetime.toMinutes() + " minutes (expected: 1.."
                    + MAX_BULK_LIFETIME.toMinutes() + ")");
        }
        String uniqueId = UUID.randomUUID().toString();
        Instant nbf = now();
        Instant exp = nbf.plus(lifetime);
        JWTClaimsSet c = base(SiteTokenType.BULK_REGISTRATION, nbf, exp)
                .claim("Authority", "SCCM")
                .claim("License", "SCCM")
                .claim("TenantId", hierarchyId.toUpperCase(Locale.ROOT))
                .claim("UniqueId", uniqueId)
                .build();
        return new BulkToken(sign(c), uniqueId, nbf, exp);
    }

    /** The client token registration gives {@code smsId}, bound to its self-signed signing certificate. */
    public String issueClientToken(String smsId, X509Certificate clientSigningCert) {
        Objects.requireNonNull(clientSigningCert, "clientSigningCert");
        Instant nbf = now();
        JWTClaimsSet c = base(SiteTokenType.CLIENT_TOKEN, nbf, nbf.plus(SiteTokenType.CLIENT_TOKEN.lifetime()))
                .claim("Authority", "SCCM")
                .claim("DeviceId", deviceId(smsId))
                .claim("cnf", Map.of("x5t#S256", confirmationThumbprint(clientSigningCert)))
                .build();
        return sign(c);
    }

    /**
     * A CCM token (8 hours) of {@code type} {@link SiteTokenType#CCM_UDA} (for an Entra token) or
     * {@link SiteTokenType#CCM_DEVICE} (for a client token).
     *
     * @param userIdOrNull the Entra user's object id (UDA user tokens), else null
     */
    public String issueCcmToken(SiteTokenType type, String smsId, String tenantId, String userIdOrNull) {
        if (type == null || !type.isCcmToken()) {
            throw new IllegalArgumentException("type: " + type + " (expected: CCM_UDA or CCM_DEVICE)");
        }
        Instant nbf = now();
        JWTClaimsSet.Builder c = base(type, nbf, nbf.plus(type.lifetime()))
                .claim("Authority", "SCCM")
                .claim("DeviceId", deviceId(smsId))
                .claim("TenantId", tenantId == null ? hierarchyId.toUpperCase(Locale.ROOT) : tenantId)
                .claim("hierarchyId", hierarchyId);
        if (userIdOrNull != null) {
            c.claim("UserId", userIdOrNull);
        }
        return sign(c.build());
    }

    /** {@code GUID:<uuid>} for an SMSID given with or without the prefix. */
    public static String deviceId(String smsId) {
        Objects.requireNonNull(smsId, "smsId");
        String s = smsId.regionMatches(true, 0, "GUID:", 0, 5) ? smsId.substring(5) : smsId;
        try {
            return "GUID:" + UUID.fromString(s).toString().toUpperCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("smsId: " + smsId + " (expected: GUID:<uuid>)", e);
        }
    }

    /** {@code cnf.x5t#S256}: base64url of the SHA-256 of the certificate (RFC 8705). */
    public static String confirmationThumbprint(X509Certificate cert) {
        return thumbprint(cert, "SHA-256").toString();
    }

    private JWTClaimsSet.Builder base(SiteTokenType type, Instant nbf, Instant exp) {
        return new JWTClaimsSet.Builder()
                .claim("SCCMTokenCategory", type.category())
                .claim("Type", type.wire())
                .issuer(issuer)
                .audience(AUDIENCE)
                .notBeforeTime(Date.from(nbf))
                .expirationTime(Date.from(exp));
    }

    @SuppressWarnings("deprecation") // x5t (SHA-1) is what the product's header carries
    private String sign(JWTClaimsSet claims) {
        if (key == null) {
            throw new IllegalStateException("this SiteTokenService only verifies (no token-signing key)");
        }
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT)
                .x509CertThumbprint(x5t).build();
        SignedJWT jwt = new SignedJWT(header, claims);
        try {
            jwt.sign(new RSASSASigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a site token", e);
        }
        return jwt.serialize();
    }

    private Instant now() {
        return Instant.ofEpochSecond(clock.instant().getEpochSecond());
    }

    // ------------------------------------------------------------------ block list

    /** Blocks a bulk token by its {@code UniqueId} (the console's "Block"). Returns false when already blocked. */
    public boolean block(String uniqueId) {
        return blocked.add(normalizeUniqueId(uniqueId));
    }

    public boolean isBlocked(String uniqueId) {
        return uniqueId != null && blocked.contains(uniqueId.toLowerCase(Locale.ROOT));
    }

    /** The blocked {@code UniqueId}s. */
    public Set<String> blocked() {
        return Set.copyOf(blocked);
    }

    private static String normalizeUniqueId(String uniqueId) {
        try {
            return UUID.fromString(Objects.requireNonNull(uniqueId, "uniqueId").trim()).toString();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("uniqueId: " + uniqueId + " (expected: a GUID)", e);
        }
    }

    // ------------------------------------------------------------------ verifying

    @Override
    public SiteToken verifyBearer(String authorizationHeader, TokenUse use) throws SiteTokenException {
        return verify(BearerAuthenticator.bearerToken(authorizationHeader), use);
    }

    /** Verifies a compact site token for {@code use}; see the class comment for the order of checks. */
    @SuppressWarnings("deprecation") // x5t
    public SiteToken verify(String compact, TokenUse use) throws SiteTokenException {
        Objects.requireNonNull(use, "use");
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(Objects.requireNonNull(compact, "compact").trim());
        } catch (ParseException e) {
            throw new SiteTokenException(Reason.MALFORMED, IdentityModelMessages.malformed(e.getMessage()), e);
        }
        if (!JWSAlgorithm.RS256.equals(jwt.getHeader().getAlgorithm())) {
            throw new SiteTokenException(Reason.BAD_SIGNATURE, "IDX10511: Signature validation failed: alg '"
                    + jwt.getHeader().getAlgorithm() + "' (expected: RS256)");
        }
        Base64URL presented = jwt.getHeader().getX509CertThumbprint();
        if (presented == null || !presented.equals(x5t)) {
            throw new SiteTokenException(Reason.BAD_SIGNATURE, IdentityModelMessages.unknownKey("x5t: '" + presented
                    + "' (expected: '" + x5t + "', the SMS Token Signing Certificate)"));
        }
        try {
            if (!jwt.verify(new RSASSAVerifier(publicKey))) {
                throw new SiteTokenException(Reason.BAD_SIGNATURE, IdentityModelMessages.badSignature("x5t: " + x5t));
            }
        } catch (JOSEException | IllegalStateException e) {
            throw new SiteTokenException(Reason.BAD_SIGNATURE, IdentityModelMessages.badSignature("x5t: " + x5t), e);
        }
        JWTClaimsSet c;
        try {
            c = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw new SiteTokenException(Reason.MALFORMED, IdentityModelMessages.malformed(e.getMessage()), e);
        }
        checkTimes(c, clock.instant(), skew);
        if (!issuer.equals(c.getIssuer())) {
            throw new SiteTokenException(Reason.WRONG_ISSUER, IdentityModelMessages.wrongIssuer(c.getIssuer(), issuer));
        }
        List<String> aud = c.getAudience();
        if (aud == null || !aud.contains(AUDIENCE)) {
            throw new SiteTokenException(Reason.WRONG_AUDIENCE, IdentityModelMessages.wrongAudience(aud, AUDIENCE));
        }
        Object typeClaim = c.getClaim("Type");
        SiteTokenType type = SiteTokenType.ofWire(typeClaim instanceof String s ? s : null);
        if (type == null) {
            throw new SiteTokenException(Reason.MALFORMED, "Token type '" + typeClaim + "' is not a site token type");
        }
        if (!use.accepted().contains(type)) {
            throw new SiteTokenException(Reason.WRONG_TYPE, "Token type '" + type.wire() + "' is not accepted for "
                    + use + " (expected: " + use.accepted().stream().map(SiteTokenType::wire).sorted().toList() + ")");
        }
        SiteToken token = new SiteToken(type, c, compact.trim());
        if (type == SiteTokenType.BULK_REGISTRATION && isBlocked(token.uniqueId())) {
            throw new SiteTokenException(Reason.BLOCKED, "PreAuth token validation failed: the bulk registration token "
                    + token.uniqueId() + " is blocked.");
        }
        return token;
    }

    /** {@code exp} required; {@code exp}, {@code nbf} and {@code iat} against {@code now} with {@code skew}. */
    static void checkTimes(JWTClaimsSet c, Instant now, Duration skew) throws SiteTokenException {
        Date exp = c.getExpirationTime();
        if (exp == null) {
            throw new SiteTokenException(Reason.MALFORMED, IdentityModelMessages.noExpiry());
        }
        if (!now.isBefore(exp.toInstant().plus(skew))) {
            throw new SiteTokenException(Reason.EXPIRED, IdentityModelMessages.expired(exp.toInstant(), now));
        }
        Date nbf = c.getNotBeforeTime();
        if (nbf != null && now.isBefore(nbf.toInstant().minus(skew))) {
            throw new SiteTokenException(Reason.NOT_YET_VALID, IdentityModelMessages.notYetValid(nbf.toInstant(), now));
        }
        Date iat = c.getIssueTime();
        if (iat != null && now.isBefore(iat.toInstant().minus(skew))) {
            throw new SiteTokenException(Reason.NOT_YET_VALID, IdentityModelMessages.notYetValid(iat.toInstant(), now));
        }
    }

    private static Base64URL thumbprint(X509Certificate cert, String alg) {
        try {
            return Base64URL.encode(MessageDigest.getInstance(alg).digest(cert.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot compute the " + alg + " thumbprint", e);
        }
    }
}
