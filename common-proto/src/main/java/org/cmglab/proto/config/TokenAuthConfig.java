package org.cmglab.proto.config;

import java.util.List;
import java.util.Objects;

/**
 * What the MP (site-sim) and the CMG (cmg-service) need to check bearer tokens (docs/client-auth.md): the site's
 * token-signing certificate and hierarchy id, and the onboarded Entra tenant.
 *
 * @param hierarchyId       the hierarchy id (GUID): site tokens' {@code iss} = {@code urn:sccm:oauth2:<id>}
 * @param signingCertFile   the SMS Token Signing Certificate (PEM)
 * @param signingKeyFile    its private key (PEM; the MP only — null for the CMG, which only verifies)
 * @param entraTenantId     the onboarded tenant (GUID)
 * @param entraIssuer       issuer of its access tokens ({@code https://sts.windows.net/<tid>/})
 * @param entraAudience     the server app's App ID URI ({@code https://ConfigMgrService})
 * @param entraServerAppId  the server app's client id ({@code AADRESOURCEURI} is its App ID URI)
 * @param entraClientAppId  the native client app's id ({@code AADCLIENTAPPID})
 * @param entraMetadataUrl  the tenant's discovery document (its {@code jwks_uri} gives the keys), fetched through
 *                          {@code dnsServer}; null when {@code entraJwks} is given
 * @param entraJwks         the tenant's JWKS as JSON (configured instead of fetched), or null
 * @param dnsServer         the lab DNS for {@code entraMetadataUrl}, or null
 * @param trustRoots        roots trusted for the Entra endpoint's TLS certificate (PEM files)
 * @param skewSeconds       clock skew allowed on token times and signed timestamps (default 300)
 */
public record TokenAuthConfig(String hierarchyId, String signingCertFile, String signingKeyFile, String entraTenantId,
                              String entraIssuer, String entraAudience, String entraServerAppId,
                              String entraClientAppId, String entraMetadataUrl, String entraJwks, Endpoint dnsServer,
                              List<String> trustRoots, int skewSeconds) {
    public static final int DEFAULT_SKEW_SECONDS = 300;

    public TokenAuthConfig {
        Objects.requireNonNull(hierarchyId, "hierarchyId");
        Objects.requireNonNull(signingCertFile, "signingCertFile");
        trustRoots = trustRoots == null ? List.of() : List.copyOf(trustRoots);
        if (skewSeconds <= 0) {
            skewSeconds = DEFAULT_SKEW_SECONDS;
        }
    }

    /** The same settings with the tenant's JWKS configured (azure-sim hands its keys to the CMG instances). */
    public TokenAuthConfig withEntraJwks(String jwks) {
        return new TokenAuthConfig(hierarchyId, signingCertFile, signingKeyFile, entraTenantId, entraIssuer,
                entraAudience, entraServerAppId, entraClientAppId, entraMetadataUrl, jwks, dnsServer, trustRoots,
                skewSeconds);
    }

    /** The same settings without the private key (what the CMG gets). */
    public TokenAuthConfig withoutSigningKey() {
        return new TokenAuthConfig(hierarchyId, signingCertFile, null, entraTenantId, entraIssuer, entraAudience,
                entraServerAppId, entraClientAppId, entraMetadataUrl, entraJwks, dnsServer, trustRoots, skewSeconds);
    }

    /** Whether Entra tokens can be checked (a tenant is onboarded). */
    public boolean entraEnabled() {
        return entraTenantId != null && entraIssuer != null && entraAudience != null;
    }
}
