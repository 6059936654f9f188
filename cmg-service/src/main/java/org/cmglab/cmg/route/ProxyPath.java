package org.cmglab.cmg.route;

import java.util.Locale;

/**
 * A client URL through the CMG: {@code /CCM_Proxy_MutualAuth/<roleId>/<rest>} or
 * {@code /CCM_Proxy_ServerAuth/<roleId>/<rest>} (prefix matched case-insensitively, as IIS does; logs show both
 * {@code CCM_PROXY_MUTUALAUTH} and {@code CCM_Proxy_MutualAuth}).
 *
 * @param mutualAuth true for the MutualAuth prefix (PKI client certificate required)
 * @param roleId     the published role id
 * @param rest       the internal path and query, starting with {@code /} (e.g. {@code /SMS_MP/.sms_aut?MPLIST})
 */
public record ProxyPath(boolean mutualAuth, String roleId, String rest) {
    private static final String MUTUAL = "/ccm_proxy_mutualauth/";
    private static final String SERVER = "/ccm_proxy_serverauth/";

    /** Parses {@code uri}; null when it is not a role URL (including a malformed role id). */
    public static ProxyPath parse(String uri) {
        if (uri == null || uri.length() < MUTUAL.length()) {
            return null;
        }
        String lower = uri.substring(0, Math.min(uri.length(), 24)).toLowerCase(Locale.ROOT);
        boolean mutual;
        int start;
        if (lower.startsWith(MUTUAL)) {
            mutual = true;
            start = MUTUAL.length();
        } else if (lower.startsWith(SERVER)) {
            mutual = false;
            start = SERVER.length();
        } else {
            return null;
        }
        int end = start;
        while (end < uri.length() && Character.isDigit(uri.charAt(end))) {
            end++;
        }
        if (end == start || end - start > 20) {
            return null;
        }
        String rest = end == uri.length() ? "/" : uri.substring(end);
        if (rest.charAt(0) != '/') {
            return null;
        }
        return new ProxyPath(mutual, uri.substring(start, end), rest);
    }

    /**
     * Why {@link #rest} may not be forwarded, or null: a {@code ..} segment (also percent-encoded, {@code %2e%2e},
     * or behind an encoded {@code /} or {@code \}) would leave the published role's folder on the backend (path
     * traversal); a bad percent escape is refused too. The query is not checked (it is not a path).
     */
    public String traversalReason() {
        int q = rest.indexOf('?');
        String path = q >= 0 ? rest.substring(0, q) : rest;
        String decoded;
        try {
            decoded = java.net.URLDecoder.decode(path.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return "bad percent escape in the path " + path;
        }
        for (String seg : decoded.replace('\\', '/').split("/", -1)) {
            if (seg.equals("..")) {
                return "path traversal: '..' segment in " + path;
            }
        }
        return null;
    }

    public String authName() {
        return mutualAuth ? "PKI client certificate" : "token";
    }
}
