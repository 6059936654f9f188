package org.cmglab.proto.config;

import java.util.Objects;

/**
 * The emulated software update point (a minimal WSUS client web service) in {@code site-sim}.
 *
 * @param name   NetBIOS name, e.g. SUP01
 * @param fqdn   e.g. sup01.corp.contoso.com
 * @param roleId the SUP's role id as published to the CMG (docs/client-auth.md: 72057594037927941)
 * @param http   where it listens for HTTP (8530), or null
 * @param https  where it listens for HTTPS (8531), or null
 * @param tls    its server certificate (required with {@code https})
 */
public record SupConfig(String name, String fqdn, String roleId, Endpoint http, Endpoint https, TlsFiles tls) {
    public SupConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(fqdn, "fqdn");
        Objects.requireNonNull(roleId, "roleId");
        if (http == null && https == null) {
            throw new IllegalArgumentException("sup: neither http nor https (expected: at least one listener)");
        }
        if (https != null) {
            Objects.requireNonNull(tls, "tls (required with https)");
        }
    }
}
