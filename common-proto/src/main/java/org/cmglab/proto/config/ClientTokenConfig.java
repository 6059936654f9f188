package org.cmglab.proto.config;

import java.util.Objects;

/**
 * How client-sim obtains tokens for {@code --auth entra|token} (docs/client-auth.md).
 *
 * @param stateDir       the client's own state: SMSID, self-signed signing certificate, client token, cached CCM token
 * @param entraTenantId  the tenant the device is joined to (ccmsetup asks the CMG's AADAuthInfo for the app ids)
 * @param entraAuthority {@code https://<login host>[:port]/<tenant>}, resolved through the client's DNS server
 * @param deviceTls      the Entra device certificate ({@code CN=<device id>}) and key, from the device CA
 * @param siteAdmin      the site's admin endpoint; unused since client-sim registers on MP_ClientRegistration (kept so
 *                       existing configs still read); null = none
 */
public record ClientTokenConfig(String stateDir, String entraTenantId, String entraAuthority, TlsFiles deviceTls,
                                Endpoint siteAdmin) {
    public ClientTokenConfig {
        Objects.requireNonNull(stateDir, "stateDir");
    }
}
