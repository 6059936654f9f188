package org.cmglab.proto.config;

import java.util.Objects;

/**
 * The connection point's mapping of an external URL prefix to a role's internal URL:
 * {@code https://<CMG>/CCM_Proxy_*\/<roleId>/rest} is forwarded to {@code <internalBaseUrl>/rest}, e.g.
 * {@code https://mp01.corp.contoso.com:443}.
 */
public record RoleRoute(String roleId, String kind, String internalBaseUrl) {
    public RoleRoute {
        Objects.requireNonNull(roleId, "roleId");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(internalBaseUrl, "internalBaseUrl");
        if (!internalBaseUrl.matches("https?://[^/]+")) {
            throw new IllegalArgumentException("internalBaseUrl: " + internalBaseUrl
                    + " (expected: http(s)://host[:port] without a path)");
        }
    }
}
