package org.cmglab.azure.http;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/**
 * What a service needs to know about a request beyond the request itself.
 *
 * @param host   the Host header without port, lower-case (e.g. login.microsoftonline.com)
 * @param path   the decoded path without the query
 * @param query  query parameters
 * @param remote the caller's address
 */
public record RequestInfo(String host, String path, Map<String, List<String>> query, InetSocketAddress remote) {
    public String param(String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }
}
