package org.cmglab.site.sts;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.cmglab.proto.token.ClientSignatures;
import org.cmglab.proto.token.EntraTokenVerifier;
import org.cmglab.proto.token.SiteToken;
import org.cmglab.proto.token.SiteTokenException;
import org.cmglab.proto.token.SiteTokenService;
import org.cmglab.proto.token.SiteTokenType;
import org.cmglab.proto.token.TokenUse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CCM_STS token exchange without HTTP (docs/client-auth.md, "CCM_STS"):
 * <ul>
 *   <li>{@code grant_type=urn:sccm:grant:aad}: an Entra device or user token of the onboarded tenant with audience
 *       the server app → a CCM token of type {@code UDA};</li>
 *   <li>{@code grant_type=urn:sccm:grant:clienttoken}: a client token, plus {@code CCMClientID} (= the token's
 *       DeviceId), {@code CCMClientTimestamp} (within the skew) and their signatures by the certificate the client
 *       token was issued for ({@code cnf.x5t#S256}) → a CCM token of type {@code Device}.</li>
 * </ul>
 * {@code client_id=GUID:<SMSID>} is required. Logs the product's CCM_STS.log lines.
 */
public final class CcmStsExchange {
    public static final String GRANT_AAD = "urn:sccm:grant:aad";
    public static final String GRANT_CLIENT_TOKEN = "urn:sccm:grant:clienttoken";
    private static final Logger log = LoggerFactory.getLogger("CCM_STS");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'")
            .withZone(ZoneOffset.UTC);

    /** A reply: status and JSON body. */
    public record Result(int status, Map<String, Object> body) {
        static Result error(int status, String error, String description) {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("error", error);
            b.put("error_description", description);
            return new Result(status, b);
        }
    }

    private final SiteTokenAuthority authority;

    public CcmStsExchange(SiteTokenAuthority authority) {
        this.authority = Objects.requireNonNull(authority, "authority");
    }

    /**
     * @param headers request headers, names lower-case
     * @param form    the form body, or null when the body is not {@code application/x-www-form-urlencoded}
     */
    public Result exchange(Map<String, String> headers, Map<String, List<String>> form) {
        if (form == null) {
            log.warn("CCM_STS: refused: the body is not application/x-www-form-urlencoded");
            return Result.error(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded");
        }
        String grant = first(form, "grant_type");
        String clientId = first(form, "client_id");
        if (grant == null) {
            log.warn("CCM_STS: refused: no grant_type");
            return Result.error(400, "invalid_request", "grant_type is required");
        }
        String deviceId;
        try {
            deviceId = clientId == null ? null : SiteTokenService.deviceId(clientId);
        } catch (IllegalArgumentException e) {
            deviceId = null;
        }
        if (deviceId == null) {
            log.warn("CCM_STS: refused: client_id '{}' (expected: GUID:<SMSID>)", clientId);
            return Result.error(400, "invalid_request", "client_id must be GUID:<SMSID>, not '" + clientId + "'");
        }
        String auth = headers.get("authorization");
        return switch (grant) {
            case GRANT_AAD -> aad(auth, deviceId);
            case GRANT_CLIENT_TOKEN -> clientToken(auth, deviceId, headers);
            default -> {
                log.warn("CCM_STS: refused: unsupported grant_type '{}'", grant);
                yield Result.error(400, "unsupported_grant_type", "grant_type '" + grant + "' is not supported");
            }
        };
    }

    private Result aad(String auth, String deviceId) {
        EntraTokenVerifier entra = authority.entra();
        if (entra == null) {
            log.warn("CCM_STS: AAD token refused for {}: no Entra tenant is onboarded", deviceId);
            return Result.error(401, "invalid_token", "Entra ID authentication is not configured for this site");
        }
        EntraTokenVerifier.EntraToken t;
        try {
            t = entra.verifyBearer(auth);
        } catch (SiteTokenException e) {
            log.warn("AAD token validation failed, {}: {}", e.exceptionName(), e.getMessage());
            return Result.error(401, "invalid_token", e.getMessage());
        }
        String userId = "user".equals(t.tokenType()) ? t.objectId() : null;
        log.info("Validated AAD token. TokenType: UDA TenantId {} UserId {} DeviceId {}", t.tenantId(),
                userId == null ? "" : userId, t.deviceId() == null ? "" : t.deviceId());
        String ccm = authority.tokens().issueCcmToken(SiteTokenType.CCM_UDA, deviceId, t.tenantId(), userId);
        return issued(SiteTokenType.CCM_UDA, deviceId, ccm);
    }

    private Result clientToken(String auth, String deviceId, Map<String, String> headers) {
        SiteToken t;
        try {
            t = authority.verifyBearer(auth, TokenUse.STS);
        } catch (SiteTokenException e) {
            log.warn("Client token validation failed, {}: {}", e.exceptionName(), e.getMessage());
            return Result.error(401, "invalid_token", e.getMessage());
        }
        if (t.type() != SiteTokenType.CLIENT_TOKEN) {
            log.warn("CCM_STS: refused: a {} token was presented with grant {} (expected: a client token)",
                    t.type().wire(), GRANT_CLIENT_TOKEN);
            return Result.error(401, "invalid_token", "Token type '" + t.type().wire() + "' is not a client token");
        }
        String why = proofProblem(t, deviceId, headers);
        if (why != null) {
            log.warn("CCM_STS: client token of {} refused: {}", t.deviceId(), why);
            return Result.error(401, "invalid_token", why);
        }
        log.info("Validated client token. TokenType: Device DeviceId {}", t.deviceId());
        String ccm = authority.tokens().issueCcmToken(SiteTokenType.CCM_DEVICE, t.deviceId(), null, null);
        return issued(SiteTokenType.CCM_DEVICE, t.deviceId(), ccm);
    }

    /** Why the CCMClientID/CCMClientTimestamp proof does not hold for this client token, or null when it does. */
    private String proofProblem(SiteToken t, String clientId, Map<String, String> h) {
        String id = h.get("ccmclientid");
        String stamp = h.get("ccmclienttimestamp");
        String idSig = h.get("ccmclientidsignature");
        String stampSig = h.getOrDefault("ccmclienttimestampsignature", h.get("ccmclienttimestampssignature"));
        if (id == null || stamp == null || idSig == null || stampSig == null) {
            return "CCMClientID, CCMClientIDSignature, CCMClientTimestamp and CCMClientTimestampSignature are required";
        }
        if (!id.equalsIgnoreCase(t.deviceId()) || !clientId.equalsIgnoreCase(t.deviceId())) {
            return "CCMClientID " + id + " / client_id " + clientId + " do not match the token's DeviceId "
                    + t.deviceId();
        }
        Instant at;
        try {
            at = Instant.from(STAMP.parse(stamp));
        } catch (DateTimeParseException e) {
            return "CCMClientTimestamp '" + stamp + "' (expected: yyyy-MM-ddTHH:mm:ssZ)";
        }
        Instant now = authority.tokens().clock().instant();
        Duration skew = authority.tokens().skew();
        if (Duration.between(at, now).abs().compareTo(skew) > 0) {
            return "CCMClientTimestamp " + stamp + " is outside the allowed skew of " + skew.toMinutes()
                    + " minutes (now " + STAMP.format(now) + ")";
        }
        X509Certificate cert = authority.signingCertificate(t.deviceId());
        if (cert == null) {
            return "no signing certificate is registered for " + t.deviceId();
        }
        if (!SiteTokenService.confirmationThumbprint(cert).equals(t.confirmationThumbprint())) {
            return "the token is bound to another certificate (cnf x5t#S256 " + t.confirmationThumbprint() + ")";
        }
        if (!ClientSignatures.verify(cert.getPublicKey(), id, idSig)) {
            return "CCMClientIDSignature does not verify with the client's signing certificate";
        }
        if (!ClientSignatures.verify(cert.getPublicKey(), stamp, stampSig)) {
            return "CCMClientTimestampSignature does not verify with the client's signing certificate";
        }
        return null;
    }

    private Result issued(SiteTokenType type, String deviceId, String token) {
        log.info("Created SCCM token, token type: {}, hierarchyId {}, deviceId {}", type.wire(),
                authority.tokens().hierarchyId(), deviceId);
        log.info("Issued token");
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("access_token", token);
        b.put("token_type", "Bearer");
        b.put("expires_in", type.lifetime().toSeconds());
        return new Result(200, b);
    }

    private static String first(Map<String, List<String>> form, String name) {
        List<String> v = form.get(name);
        return v == null || v.isEmpty() || v.get(0).isBlank() ? null : v.get(0).trim();
    }

    static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }
}
