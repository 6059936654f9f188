package org.cmglab.cmg.auth;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.cmglab.proto.config.TokenAuthConfig;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.token.BearerAuthenticator;
import org.cmglab.proto.token.EntraTokenVerifier;
import org.cmglab.proto.token.SiteToken;
import org.cmglab.proto.token.SiteTokenException;
import org.cmglab.proto.token.SiteTokenService;
import org.cmglab.proto.token.TokenUse;

/**
 * The CMG's bearer check on {@code CCM_Proxy_ServerAuth} paths (docs/client-auth.md, "What the CMG checks"):
 * <ul>
 *   <li>{@code …/CCM_STS}: an Entra token of the onboarded tenant (audience the server app), a client token or a CCM
 *       token;</li>
 *   <li>{@code …/ccm_system_tokenauth/request} carrying a registration message ({@code MP_ClientRegistration} in the
 *       body, UTF-16LE or ASCII): a bulk registration token, a client token or a CCM token;</li>
 *   <li>every other path: a CCM token or a client token.</li>
 * </ul>
 * Site tokens are verified with the SMS Token Signing Certificate's public key (the CMG has no private key); the
 * block list lives on the MP, which validates every token again. Tokens whose {@code iss} is not a site issuer are
 * Entra tokens, accepted only on CCM_STS. In-memory, never blocks; thread-safe.
 */
public final class ServerAuthGate {

    /** The outcome: {@code ok} with the authentication to record, or a refusal with its logged reason. */
    public record Decision(boolean ok, String auth, String detail) {
        static Decision accept(String auth) {
            return new Decision(true, auth, null);
        }

        static Decision refuse(String auth, String detail) {
            return new Decision(false, auth, detail);
        }
    }

    private static final byte[] REGISTRATION_UTF16 = "MP_ClientRegistration".getBytes(StandardCharsets.UTF_16LE);
    private static final byte[] REGISTRATION_ASCII = "MP_ClientRegistration".getBytes(StandardCharsets.US_ASCII);

    private final SiteTokenService siteTokens;
    private final EntraTokenVerifier entra;
    private final TokenAuthConfig config;
    private final VerifiedTokenCache verified;

    public ServerAuthGate(SiteTokenService siteTokens, EntraTokenVerifier entraOrNull, TokenAuthConfig config) {
        this.siteTokens = Objects.requireNonNull(siteTokens, "siteTokens");
        this.verified = new VerifiedTokenCache(siteTokens);
        this.entra = entraOrNull;
        this.config = Objects.requireNonNull(config, "config");
    }

    /** From an instance's config: reads the token-signing certificate; the Entra keys come inline. */
    public static ServerAuthGate fromConfig(TokenAuthConfig c, Clock clock) throws IOException {
        List<X509Certificate> certs = Pem.readCertificates(Path.of(c.signingCertFile()));
        Duration skew = Duration.ofSeconds(c.skewSeconds());
        SiteTokenService tokens = SiteTokenService.forVerifying(certs.get(0), c.hierarchyId(), clock, skew);
        EntraTokenVerifier entra = null;
        if (c.entraEnabled()) {
            JWKSet keys = null;
            if (c.entraJwks() != null) {
                try {
                    keys = JWKSet.parse(c.entraJwks());
                } catch (ParseException e) {
                    throw new IOException("tokenAuth.entraJwks: not a JWK set: " + e.getMessage(), e);
                }
            }
            entra = new EntraTokenVerifier(c.entraTenantId(), c.entraIssuer(), c.entraAudience(), keys, clock, skew);
        }
        return new ServerAuthGate(tokens, entra, c);
    }

    public TokenAuthConfig config() {
        return config;
    }

    /** What a path accepts: {@link TokenUse#STS}, {@link TokenUse#REGISTRATION} or {@link TokenUse#MESSAGING}. */
    public static TokenUse useFor(String rest, ByteBuf body) {
        String path = rest;
        int q = path.indexOf('?');
        if (q >= 0) {
            path = path.substring(0, q);
        }
        path = path.toLowerCase(Locale.ROOT);
        while (path.endsWith("/") && path.length() > 1) {
            path = path.substring(0, path.length() - 1);
        }
        if (path.equals("/ccm_sts")) {
            return TokenUse.STS;
        }
        if (path.equals("/ccm_system_tokenauth/request") && body != null && isRegistration(body)) {
            return TokenUse.REGISTRATION;
        }
        return TokenUse.MESSAGING;
    }

    static boolean isRegistration(ByteBuf body) {
        return indexOf(body, REGISTRATION_UTF16) >= 0 || indexOf(body, REGISTRATION_ASCII) >= 0;
    }

    private static int indexOf(ByteBuf haystack, byte[] needle) {
        return ByteBufUtil.indexOf(io.netty.buffer.Unpooled.wrappedBuffer(needle), haystack);
    }

    /** Checks the request's bearer for {@code use}. */
    public Decision check(HttpRequest req, TokenUse use) {
        String header = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        String token;
        try {
            token = BearerAuthenticator.bearerToken(header);
        } catch (SiteTokenException e) {
            return Decision.refuse("token", e.getMessage());
        }
        SiteToken known = verified.lookup(token, use); // verified before: only its times and type are checked again
        if (known != null) {
            return Decision.accept(label(known));
        }
        if (!isSiteIssued(token)) {
            if (use != TokenUse.STS) {
                return Decision.refuse("Entra token", "an Entra ID token is accepted only on CCM_STS (this is " + use
                        + "); exchange it for a CCM token first");
            }
            if (entra == null) {
                return Decision.refuse("Entra token", "Entra ID authentication is not enabled on this CMG");
            }
            try {
                EntraTokenVerifier.EntraToken t = entra.verify(token);
                return Decision.accept("Entra " + t.tokenType() + " token (tenant " + t.tenantId() + ")");
            } catch (SiteTokenException e) {
                return Decision.refuse("Entra token", e.exceptionName() + ": " + e.getMessage());
            }
        }
        try {
            SiteToken t = verified.verify(token, use);
            return Decision.accept(label(t));
        } catch (SiteTokenException e) {
            return Decision.refuse("site token", e.exceptionName() + ": " + e.getMessage());
        }
    }

    private static String label(SiteToken t) {
        return switch (t.type()) {
            case BULK_REGISTRATION -> "bulk registration token " + t.uniqueId();
            case CLIENT_TOKEN -> "client token " + t.deviceId();
            case CCM_UDA, CCM_DEVICE -> "CCM token (" + t.type().wire() + ") " + t.deviceId();
        };
    }

    /** Whether the (unverified) {@code iss} names a site; anything else is treated as an Entra token. */
    private static boolean isSiteIssued(String token) {
        try {
            String iss = SignedJWT.parse(token).getJWTClaimsSet().getIssuer();
            return iss == null || iss.startsWith("urn:sccm:");
        } catch (ParseException | RuntimeException e) {
            return true; // the site verifier reports it as malformed
        }
    }

    /** {@code AADCLIENTAPPID}/{@code AADRESOURCEURI} for an onboarded {@code tenantId}, or null when not onboarded. */
    public AadAuthInfo aadAuthInfo(String tenantId) {
        if (entra == null || tenantId == null || !tenantId.trim().equalsIgnoreCase(config.entraTenantId())) {
            return null;
        }
        return new AadAuthInfo(config.entraTenantId(), config.entraClientAppId(), config.entraAudience());
    }

    /** What {@code AADAuthInfo} answers. */
    public record AadAuthInfo(String tenantId, String clientAppId, String resourceUri) {}

}
