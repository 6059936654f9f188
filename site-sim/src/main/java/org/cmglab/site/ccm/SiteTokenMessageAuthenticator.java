package org.cmglab.site.ccm;

import java.util.Locale;
import java.util.Objects;
import org.cmglab.proto.token.BearerAuthenticator;
import org.cmglab.proto.token.SiteToken;
import org.cmglab.proto.token.SiteTokenException;
import org.cmglab.proto.token.SiteTokenService;
import org.cmglab.proto.token.TokenUse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MP's check of {@code ccm_system_tokenauth} messages (docs/client-auth.md): {@code Authorization: Bearer <site
 * token>} verified by the site's token authority ({@code SiteTokenAuthority.verifyBearer}); a registration
 * ({@code MP_ClientRegistration}) accepts a bulk registration, client or CCM token ({@link TokenUse#REGISTRATION}),
 * every other message a client or CCM token ({@link TokenUse#MESSAGING}). A message whose {@code SourceID} is not the
 * token's {@code DeviceId} is refused (a token speaks for one client only).
 *
 * <p>Refusals: no bearer, unreadable, expired, not yet valid, forged (signature / unknown key), wrong issuer or
 * audience → 401; a valid token of the wrong type, a blocked bulk token, or another client's token → 403. Each is
 * logged (pre-auth tokens with the product's {@code PreAuth token validation failed, …} line).
 */
public final class SiteTokenMessageAuthenticator implements MessageAuthenticator {
    private static final Logger log = LoggerFactory.getLogger("MP_RegistrationManager");

    private final BearerAuthenticator bearer;

    public SiteTokenMessageAuthenticator(BearerAuthenticator bearer) {
        this.bearer = Objects.requireNonNull(bearer, "bearer");
    }

    @Override
    public Decision authenticate(Request request) {
        String endpoint = request.message().endpoint();
        TokenUse use = MpMessaging.REGISTRATION.equals(endpoint) ? TokenUse.REGISTRATION : TokenUse.MESSAGING;
        SiteToken token;
        try {
            token = bearer.verifyBearer(request.headers().apply("Authorization"), use);
        } catch (SiteTokenException e) {
            int status = switch (e.reason()) {
                case WRONG_TYPE, BLOCKED -> 403;
                default -> 401;
            };
            String line = use == TokenUse.REGISTRATION ? e.preAuthLogLine() : e.exceptionName() + ": " + e.getMessage();
            log.warn("{} on {} ({}): {}", use, request.path(), endpoint, line);
            return Decision.refuse(status, e.reason() + ": " + e.getMessage());
        } catch (RuntimeException e) { // a verifier bug must not look like a client mistake, but must not crash
            log.error("token check failed on {}: {}", request.path(), e.toString(), e);
            return Decision.refuse(401, "MALFORMED: " + e.getMessage());
        }
        String deviceId = token.deviceId();
        String source = request.message().sourceId();
        if (deviceId != null && source != null && !source.isBlank() && !sameDevice(deviceId, source)) {
            String why = "DEVICE_MISMATCH: the " + token.type().wire() + " token is for " + deviceId
                    + " but the message's SourceID is " + source;
            log.warn("{} on {} ({}): {}", use, request.path(), endpoint, why);
            return Decision.refuse(403, why);
        }
        return Decision.allow(token.type().wire() + " token" + (deviceId != null ? " for " + deviceId
                : token.uniqueId() != null ? " " + token.uniqueId() : ""), deviceId);
    }

    private static boolean sameDevice(String deviceId, String sourceId) {
        try {
            return SiteTokenService.deviceId(deviceId).equals(SiteTokenService.deviceId(sourceId));
        } catch (IllegalArgumentException e) {
            return deviceId.toUpperCase(Locale.ROOT).equals(sourceId.toUpperCase(Locale.ROOT));
        }
    }
}
