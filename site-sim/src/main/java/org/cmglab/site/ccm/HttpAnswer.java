package org.cmglab.site.ccm;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the MP answers to one messaging or policy request.
 *
 * @param status      HTTP status
 * @param reason      reason phrase
 * @param contentType Content-Type
 * @param body        body bytes
 * @param headers     extra headers (e.g. {@code WWW-Authenticate} twice)
 * @param endpoint    the message's TargetEndpoint (or {@code .sms_pol}) for counters and logs, may be null
 * @param refusal     why the request was refused (logged), null when served
 */
public record HttpAnswer(int status, String reason, String contentType, byte[] body, Map<String, List<String>> headers,
                         String endpoint, String refusal) {
    public HttpAnswer {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(body, "body");
        headers = headers == null ? Map.of() : new LinkedHashMap<>(headers);
    }

    static HttpAnswer ok(String contentType, byte[] body, String endpoint) {
        return new HttpAnswer(200, "OK", contentType, body, null, endpoint, null);
    }

    /** An IIS-style error page; the body starts with {@code <HTML>} (sccmwtf tells refusals apart by that). */
    static HttpAnswer error(int status, String reason, String detail, String endpoint, String refusal) {
        String html = "<HTML><HEAD><TITLE>" + status + " - " + reason + "</TITLE>\r\n"
                + "<META HTTP-EQUIV=\"Content-Type\" Content=\"text/html; charset=us-ascii\"></HEAD>\r\n"
                + "<BODY><h2>" + status + " - " + reason + "</h2>\r\n<hr><p>" + detail + "</p>\r\n</BODY></HTML>\r\n";
        return new HttpAnswer(status, reason, "text/html", html.getBytes(StandardCharsets.US_ASCII), null, endpoint,
                refusal);
    }

    HttpAnswer withHeader(String name, String value) {
        Map<String, List<String>> h = new LinkedHashMap<>(headers);
        h.merge(name, List.of(value), (a, b) -> {
            java.util.ArrayList<String> l = new java.util.ArrayList<>(a);
            l.addAll(b);
            return l;
        });
        return new HttpAnswer(status, reason, contentType, body, h, endpoint, refusal);
    }
}
