package org.cmglab.site.mp;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One served MP request, handed to the component observer (flow events, logs).
 *
 * @param method        HTTP method as received
 * @param uri           request-target as received
 * @param headers       request headers with their original names (first value wins for repeats), insertion-ordered
 * @param status        response status sent
 * @param bodyBytes     response body length in bytes (Content-Length; 0 for HEAD bodies not sent is still the entity length)
 * @param remoteAddress remote peer address as text, or {@code "unknown"}
 * @param tls           whether the request arrived over TLS
 */
public record MpRequestRecord(
        String method,
        String uri,
        Map<String, String> headers,
        int status,
        long bodyBytes,
        String remoteAddress,
        boolean tls) {

    public MpRequestRecord {
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }
}
