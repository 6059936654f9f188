package org.cmglab.client;

import java.io.IOException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import org.cmglab.client.auth.ClientIdentity;
import org.cmglab.client.auth.ClientRegistrar;
import org.cmglab.client.auth.TokenAcquisition;
import org.cmglab.client.auth.TokenResult;
import org.cmglab.client.auth.TokenStore;
import org.cmglab.proto.pki.IssuedCert;

/**
 * {@code entra} and {@code token}: server-auth TLS on {@code CCM_Proxy_ServerAuth}, messaging on
 * {@code ccm_system_tokenauth} with {@code Authorization: Bearer <CCM token>} and {@code CcmTokenAuth: 1}. The CCM
 * token comes from {@link TokenAcquisition} in {@link #prepare}: cached, or renewed when it is within
 * {@link TokenStore#RENEW_BEFORE} of expiry (Entra device token or client token at {@code CCM_STS}). {@code token}
 * without a stored client token presents the bulk token to the first registration instead and, with the client
 * token of its reply, gets the CCM token right after it ({@link #registered}). A client token in any registration
 * reply replaces the stored one.
 */
final class TokenAuthMode implements AuthMode {
    private final TokenAcquisition.Mode mode;
    private final TokenAcquisition acquisition;
    private final String bulkToken;
    private final Clock clock;
    private volatile String bearer;
    /** The bearer is the bulk token until the registration reply brings a client token. */
    private volatile boolean bulkPending;

    TokenAuthMode(TokenAcquisition.Mode mode, TokenAcquisition acquisition, String bulkTokenOrNull, Clock clock) {
        this.mode = Objects.requireNonNull(mode, "mode");
        this.acquisition = Objects.requireNonNull(acquisition, "acquisition");
        this.bulkToken = bulkTokenOrNull;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public String name() {
        return mode == TokenAcquisition.Mode.ENTRA ? "entra" : "token";
    }

    @Override
    public String proxyPrefix() {
        return "CCM_Proxy_ServerAuth";
    }

    @Override
    public String messagingPath() {
        return "/ccm_system_tokenauth/request";
    }

    @Override
    public IssuedCert tlsClientCertificate() {
        return null;
    }

    @Override
    public Map<String, String> headers() {
        Map<String, String> h = new LinkedHashMap<>();
        if (bearer != null) {
            h.put("Authorization", "Bearer " + bearer);
        }
        h.put("CcmTokenAuth", "1");
        return h;
    }

    @Override
    public String describe() {
        return mode == TokenAcquisition.Mode.ENTRA ? "CCM token (UDA, from an Entra device token)"
                : "CCM token (Device, from a client token)";
    }

    String tokenType() {
        return mode == TokenAcquisition.Mode.ENTRA ? "UDA" : "Device";
    }

    @Override
    public Failure prepare(ClientIdentity identity) throws IOException {
        TokenStore store = new TokenStore(identity.dir(), clock);
        if (mode == TokenAcquisition.Mode.TOKEN && store.clientToken() == null && bulkToken != null) {
            bearer = bulkToken; // registration (MP_ClientRegistration on ccm_system_tokenauth) accepts a bulk token
            bulkPending = true;
            return null;
        }
        return ccmToken(identity);
    }

    private Failure ccmToken(ClientIdentity identity) throws IOException {
        TokenResult r = acquisition.acquire(identity, new TokenAcquisition.Options(mode, bulkToken, false));
        if (!"NONE".equals(r.failure())) {
            MpListResult.Failure kind = switch (r.failure()) {
                case "HTTP_STATUS" -> MpListResult.Failure.HTTP_STATUS;
                case "TLS" -> MpListResult.Failure.TLS;
                case "CONNECT" -> MpListResult.Failure.CONNECT;
                case "BAD_REPLY", "USAGE" -> MpListResult.Failure.BAD_REPLY;
                default -> MpListResult.Failure.NO_RESPONSE;
            };
            return new Failure("token " + r.step(), r.status(), r.error(), kind);
        }
        TokenStore.CcmToken t = new TokenStore(identity.dir(), clock).usableCcmToken(tokenType());
        if (t == null) {
            return new Failure("token", 200, "no usable " + tokenType() + " CCM token after " + r.step(),
                    MpListResult.Failure.BAD_REPLY);
        }
        bearer = t.token();
        return null;
    }

    @Override
    public Failure registered(ClientIdentity identity, String replyXml) throws IOException {
        Matcher m = ClientRegistrar.CLIENT_TOKEN.matcher(replyXml);
        if (m.find()) {
            new TokenStore(identity.dir(), clock).saveClientToken(m.group(1));
        }
        if (!bulkPending) {
            return null;
        }
        bulkPending = false;
        if (m.find(0)) {
            return ccmToken(identity); // CCM_STS with the new client token
        }
        return new Failure("registration", 200, "the registration reply has no ClientToken",
                MpListResult.Failure.BAD_REPLY);
    }
}
