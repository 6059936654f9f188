package org.cmglab.scp;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.cmglab.proto.config.AzureEnvironment;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.runtime.Json;
import org.cmglab.proto.runtime.LabHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets the SCP's Entra ID access token for Resource Manager with the OAuth 2.0 client-credentials grant
 * ({@code POST https://<login>/<tenant>/oauth2/v2.0/token}, scope {@code https://<management>/.default}) and caches it
 * until five minutes before it expires. Blocking; called from CloudMgr's worker thread.
 */
public final class EntraTokenClient {
    private static final Logger log = LoggerFactory.getLogger(EntraTokenClient.class);
    static final Duration REFRESH_MARGIN = Duration.ofMinutes(5);

    private final LabHttpClient http;
    private final AzureEnvironment env;
    private final String tenantId;
    private final String clientId;
    private final String clientSecret;
    private final int port;
    private final FlowEventLog events;
    private final Clock clock;
    private String cached;
    private Instant refreshAt = Instant.MIN;

    /** @param port 443 + the lab's port offset */
    public EntraTokenClient(LabHttpClient http, AzureEnvironment env, String tenantId, String clientId,
                            String clientSecret, int port, FlowEventLog events, Clock clock) {
        this.http = Objects.requireNonNull(http, "http");
        this.env = Objects.requireNonNull(env, "env");
        this.tenantId = Objects.requireNonNull(tenantId, "tenantId");
        this.clientId = Objects.requireNonNull(clientId, "clientId");
        this.clientSecret = Objects.requireNonNull(clientSecret, "clientSecret");
        this.port = port;
        this.events = Objects.requireNonNull(events, "events");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The scope requested: Resource Manager of the selected environment. */
    public String scope() {
        return "https://" + env.managementHost() + "/.default";
    }

    /** A valid access token (cached, or a new one from Entra ID). */
    public synchronized String accessToken() throws AzureException, IOException {
        if (cached != null && clock.instant().isBefore(refreshAt)) {
            return cached;
        }
        URI uri = URI.create("https://" + env.loginHost() + (port == 443 ? "" : ":" + port) + "/"
                + URLEncoder.encode(tenantId, StandardCharsets.UTF_8) + "/oauth2/v2.0/token");
        String form = "grant_type=client_credentials&client_id=" + enc(clientId) + "&client_secret=" + enc(clientSecret)
                + "&scope=" + enc(scope());
        long t0 = System.nanoTime();
        LabHttpClient.Response res;
        try {
            res = Calls.await(http.send(HttpMethod.POST, uri, new DefaultHttpHeaders()
                    .set(HttpHeaderNames.CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .set(HttpHeaderNames.ACCEPT, "application/json"), form.getBytes(StandardCharsets.UTF_8)),
                    "token request to " + env.loginHost());
        } catch (IOException e) {
            flow(t0, "unreachable", 0, e.getMessage());
            throw e;
        }
        if (!res.isSuccess()) {
            AzureException err = AzureException.fromBody(res.status(), res.bodyText());
            flow(t0, err.code(), res.status(), err.azureMessage());
            log.error("Failed to acquire an Entra ID token for client {} in tenant {}: {}", clientId, tenantId,
                    err.getMessage());
            throw err;
        }
        JsonNode body = Json.MAPPER.readTree(res.body());
        String token = body.path("access_token").asText(null);
        long expiresIn = body.path("expires_in").asLong(0);
        if (token == null || token.isEmpty()) {
            flow(t0, "invalid-response", res.status(), "no access_token");
            throw new AzureException(res.status(), "InvalidTokenResponse", "no access_token in the token response");
        }
        flow(t0, "ok", res.status(), "token for " + scope() + ", expires_in " + expiresIn + " s");
        cached = token;
        refreshAt = clock.instant().plusSeconds(expiresIn).minus(REFRESH_MARGIN);
        log.info("Acquired an Entra ID token for client {} (expires in {} s)", clientId, expiresIn);
        return token;
    }

    /** Forgets the cached token (after Resource Manager rejected it). */
    public synchronized void invalidate() {
        cached = null;
        refreshAt = Instant.MIN;
    }

    private void flow(long t0, String outcome, int status, String detail) {
        events.event("F1", "request").from("service-connection-point").to("azure-sim/login").protocol("HTTPS")
                .port(port).auth("client credentials (client secret)").outcome(outcome).status(status)
                .latencyNanos(System.nanoTime() - t0)
                .detail("POST /" + tenantId + "/oauth2/v2.0/token: " + detail).emit();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
