package org.cmglab.azure.http;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.cmglab.proto.runtime.Json;

/** Response helpers in the shapes Azure uses. */
public final class Responses {
    private Responses() {}

    public static FullHttpResponse json(int status, Object body) {
        return text(status, "application/json; charset=utf-8", Json.writeCompact(body));
    }

    public static FullHttpResponse text(int status, String contentType, String body) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        r.headers().set("x-ms-request-id", UUID.randomUUID().toString());
        HttpUtil.setContentLength(r, r.content().readableBytes());
        return r;
    }

    /** Resource Manager error: {@code {"error":{"code":…,"message":…}}}. */
    public static FullHttpResponse armError(int status, String code, String message) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("code", code);
        e.put("message", message);
        return json(status, Map.of("error", e));
    }

    /**
     * Entra ID (AAD) token-endpoint error: {@code {"error":"invalid_client","error_description":"AADSTS7000215: …",
     * "error_codes":[7000215],…}}.
     */
    public static FullHttpResponse aadError(int status, String error, int aadsts, String description) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("error", error);
        e.put("error_description", "AADSTS" + aadsts + ": " + description);
        e.put("error_codes", new int[] {aadsts});
        e.put("timestamp", java.time.Instant.now().toString());
        e.put("trace_id", UUID.randomUUID().toString());
        e.put("correlation_id", UUID.randomUUID().toString());
        return json(status, e);
    }
}
