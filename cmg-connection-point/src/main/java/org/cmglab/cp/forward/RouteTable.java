package org.cmglab.cp.forward;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.cmglab.proto.config.RoleRoute;

/**
 * The external → internal URL mappings the site replicated to this connection point: {@code https://<CMG>/CCM_Proxy_
 * (MutualAuth|ServerAuth)/<roleId>/<rest>} becomes {@code <internal base URL>/<rest>}.
 */
public final class RouteTable {
    private final Map<String, Backend> byRole;

    public RouteTable(List<RoleRoute> routes) {
        this.byRole = routes.stream().collect(Collectors.toMap(RoleRoute::roleId, Backend::of, (a, b) -> a, java.util.LinkedHashMap::new));
    }

    public List<RoleRoute> routes() {
        return byRole.values().stream().map(Backend::route).toList();
    }

    /** The rewritten target for an external path, or null when no route serves it. */
    public Target resolve(String externalPath) {
        String lower = externalPath.toLowerCase(Locale.ROOT);
        int start;
        if (lower.startsWith("/ccm_proxy_mutualauth/")) {
            start = "/ccm_proxy_mutualauth/".length();
        } else if (lower.startsWith("/ccm_proxy_serverauth/")) {
            start = "/ccm_proxy_serverauth/".length();
        } else {
            return null;
        }
        int end = start;
        while (end < externalPath.length() && Character.isDigit(externalPath.charAt(end))) {
            end++;
        }
        Backend b = byRole.get(externalPath.substring(start, end));
        if (b == null) {
            return null;
        }
        String rest = end == externalPath.length() ? "/" : externalPath.substring(end);
        if (rest.charAt(0) == '?') {
            rest = "/" + rest; // /CCM_Proxy_MutualAuth/<id>?x → /?x
        } else if (rest.charAt(0) != '/') {
            return null;
        }
        return new Target(b, rest);
    }

    /** One internal server (MP or SUP). */
    public record Backend(RoleRoute route, boolean https, String host, int port) {
        static Backend of(RoleRoute r) {
            URI u = URI.create(r.internalBaseUrl());
            boolean https = "https".equalsIgnoreCase(u.getScheme());
            int port = u.getPort() > 0 ? u.getPort() : https ? 443 : 80;
            return new Backend(r, https, u.getHost(), port);
        }

        /** {@code Host} header value: the name, with the port only when it is not the scheme's default. */
        public String hostHeader() {
            return (https && port == 443) || (!https && port == 80) ? host : host + ":" + port;
        }

        public String key() {
            return (https ? "https://" : "http://") + host + ":" + port;
        }
    }

    /** A rewritten request target. */
    public record Target(Backend backend, String path) {
        public String internalUrl() {
            return (backend.https() ? "https://" : "http://") + backend.hostHeader() + path;
        }
    }
}
