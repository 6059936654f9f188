package org.cmglab.client.auth;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.runtime.Json;
import org.cmglab.proto.runtime.LabHttpClient;

/**
 * Registration that turns a bulk registration token into a client token. The real one is MP_ClientRegistration on
 * {@code ccm_system_tokenauth/request} through the CMG; until client-sim's registration command does that,
 * {@link #siteAdminStandIn} asks the site's admin endpoint ({@code POST /register-client-token}), which checks the
 * bulk token as registration does and issues the client token with the same code.
 */
@FunctionalInterface
public interface ClientRegistrar {

    /** The client token (status 200), or the refusal's status and detail. */
    record Outcome(int status, String detail, String clientToken) {}

    Outcome register(ClientIdentity identity, String bulkToken) throws TokenHttp.CallFailed;

    /** The lab stand-in through the site's admin endpoint (plain HTTP on loopback). */
    static ClientRegistrar siteAdminStandIn(TokenHttp http, Endpoint siteAdmin) {
        return (id, bulk) -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("bulkToken", bulk);
            body.put("smsId", id.smsId());
            body.put("signingCertificate", TokenAcquisition.signingPem(id));
            LabHttpClient.Response r = http.call(HttpMethod.POST, URI.create("http://" + siteAdmin.address() + ":"
                            + siteAdmin.port() + "/register-client-token"),
                    new DefaultHttpHeaders().set(HttpHeaderNames.CONTENT_TYPE, "application/json"),
                    Json.writeCompact(body).getBytes(StandardCharsets.UTF_8));
            if (!r.isSuccess()) {
                return new Outcome(r.status(), r.bodyText().strip(), null);
            }
            try {
                return new Outcome(r.status(), null, Json.MAPPER.readTree(r.body()).path("clientToken").asText(null));
            } catch (java.io.IOException e) {
                return new Outcome(r.status(), "unreadable answer: " + e.getMessage(), null);
            }
        };
    }
}
