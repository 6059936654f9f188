package org.cmglab.site.sts;

import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.cmglab.proto.config.TokenAuthConfig;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.token.BearerAuthenticator;
import org.cmglab.proto.token.BulkToken;
import org.cmglab.proto.token.EntraTokenVerifier;
import org.cmglab.proto.token.SiteToken;
import org.cmglab.proto.token.SiteTokenException;
import org.cmglab.proto.token.SiteTokenService;
import org.cmglab.proto.token.TokenUse;

/**
 * The site's token side as the MP uses it: issues and verifies site tokens with the SMS Token Signing Certificate,
 * remembers which self-signed signing certificate each client token was issued for (the proof {@code CCM_STS}
 * checks), keeps the bulk-token block list and verifies Entra tokens of the onboarded tenant.
 *
 * <p>For registration (MP_ClientRegistration on {@code ccm_system_tokenauth/request}): check the bearer with
 * {@link #verifyBearer(String, TokenUse)} ({@link TokenUse#REGISTRATION} accepts a bulk token), then hand the client
 * its token with {@link #issueClientToken(String, X509Certificate)}. Thread-safe.
 */
public final class SiteTokenAuthority implements BearerAuthenticator {
    private final SiteTokenService tokens;
    private final EntraTokenVerifier entra;
    private final TokenAuthConfig config;
    private final Map<String, X509Certificate> clientSigningCerts = new ConcurrentHashMap<>();

    public SiteTokenAuthority(SiteTokenService tokens, EntraTokenVerifier entraOrNull, TokenAuthConfig config) {
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        this.entra = entraOrNull;
        this.config = Objects.requireNonNull(config, "config");
    }

    /** Reads the signing certificate and key named by {@code config}; the Entra keys come later (or inline). */
    public static SiteTokenAuthority fromConfig(TokenAuthConfig config, Clock clock) throws IOException {
        Objects.requireNonNull(config, "config");
        if (config.signingKeyFile() == null) {
            throw new IllegalArgumentException("tokenAuth.signingKeyFile: null (expected: the MP signs site tokens)");
        }
        IssuedCert signing = IssuedCert.readPem(Path.of(config.signingCertFile()), Path.of(config.signingKeyFile()));
        Duration skew = Duration.ofSeconds(config.skewSeconds());
        SiteTokenService tokens = SiteTokenService.forSigning(signing, config.hierarchyId(), clock, skew);
        EntraTokenVerifier entra = null;
        if (config.entraEnabled()) {
            entra = new EntraTokenVerifier(config.entraTenantId(), config.entraIssuer(), config.entraAudience(),
                    config.entraJwks() == null ? null : EntraKeys.parse(config.entraJwks()), clock, skew);
        }
        return new SiteTokenAuthority(tokens, entra, config);
    }

    public SiteTokenService tokens() {
        return tokens;
    }

    /** The Entra verifier, or null when no tenant is onboarded. */
    public EntraTokenVerifier entra() {
        return entra;
    }

    public TokenAuthConfig config() {
        return config;
    }

    @Override
    public SiteToken verifyBearer(String authorizationHeader, TokenUse use) throws SiteTokenException {
        return tokens.verifyBearer(authorizationHeader, use);
    }

    /** Registration's client token for {@code smsId}, bound to (and remembering) its self-signed signing certificate. */
    public String issueClientToken(String smsId, X509Certificate signingCert) {
        String token = tokens.issueClientToken(smsId, signingCert);
        clientSigningCerts.put(key(smsId), signingCert);
        return token;
    }

    /** The signing certificate a client token was issued for, or null when this MP issued none to {@code smsId}. */
    public X509Certificate signingCertificate(String smsId) {
        try {
            return clientSigningCerts.get(key(smsId));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** {@code BulkRegistrationTokenTool.exe /new /lifetime:<minutes>}. */
    public BulkToken issueBulk(Duration lifetime) {
        return tokens.issueBulk(lifetime);
    }

    /** Blocks a bulk token; false when it was blocked already. */
    public boolean block(String uniqueId) {
        return tokens.block(uniqueId);
    }

    private static String key(String smsId) {
        return SiteTokenService.deviceId(smsId).toUpperCase(Locale.ROOT);
    }
}
