package org.cmglab.scp;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import org.cmglab.proto.config.AzureEnvironment;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.runtime.Json;
import org.cmglab.proto.runtime.LabHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resource Manager calls of CloudMgr: PUT / GET / PATCH / DELETE of the CMG resource with the Entra ID bearer token,
 * and polling of long-running operations ({@code Azure-AsyncOperation} or {@code Location}, honouring
 * {@code Retry-After} within bounds). Every call is an F1 flow event. Blocking; called from CloudMgr's worker thread.
 */
public final class ResourceManagerClient {
    private static final Logger log = LoggerFactory.getLogger(ResourceManagerClient.class);

    /** The answer to a PUT / PATCH / DELETE: status, body and the operation to poll (null when synchronous). */
    public record ArmResponse(int status, JsonNode body, URI operation, Duration retryAfter) {}

    private final LabHttpClient http;
    private final EntraTokenClient tokens;
    private final AzureEnvironment env;
    private final int port;
    private final FlowEventLog events;
    private final Duration minPoll;
    private final Duration maxPoll;
    private final Duration operationTimeout;

    /**
     * @param port             443 + the lab's port offset
     * @param minPoll          shortest wait between polls
     * @param maxPoll          longest wait between polls (caps {@code Retry-After})
     * @param operationTimeout a long-running operation not finished by then is an error
     */
    public ResourceManagerClient(LabHttpClient http, EntraTokenClient tokens, AzureEnvironment env, int port,
                                 FlowEventLog events, Duration minPoll, Duration maxPoll, Duration operationTimeout) {
        this.http = Objects.requireNonNull(http, "http");
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        this.env = Objects.requireNonNull(env, "env");
        this.port = port;
        this.events = Objects.requireNonNull(events, "events");
        this.minPoll = minPoll;
        this.maxPoll = maxPoll;
        this.operationTimeout = operationTimeout;
    }

    /** {@code https://<management host>[:port]<pathAndQuery>}. */
    public URI uri(String resourcePath, String apiVersion) {
        return URI.create("https://" + env.managementHost() + (port == 443 ? "" : ":" + port) + resourcePath
                + "?api-version=" + apiVersion);
    }

    /** Gets (or reuses) the Entra ID token, so a token failure is reported before any Resource Manager call. */
    public void authenticate() throws AzureException, IOException {
        tokens.accessToken();
    }

    /** GET the resource; null when Resource Manager answers 404. */
    public JsonNode getOrNull(String resourcePath, String apiVersion, String operation) throws AzureException, IOException {
        LabHttpClient.Response res = call(HttpMethod.GET, uri(resourcePath, apiVersion), null, operation);
        if (res.status() == 404) {
            return null;
        }
        if (!res.isSuccess()) {
            throw AzureException.fromBody(res.status(), res.bodyText());
        }
        return Json.MAPPER.readTree(res.body());
    }

    /** PUT / PATCH / DELETE; an error status becomes an {@link AzureException}. */
    public ArmResponse write(HttpMethod method, String resourcePath, String apiVersion, Object bodyOrNull,
                             String operation) throws AzureException, IOException {
        byte[] body = bodyOrNull == null ? null : Json.writeCompact(bodyOrNull).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        LabHttpClient.Response res = call(method, uri(resourcePath, apiVersion), body, operation);
        if (!res.isSuccess()) {
            throw AzureException.fromBody(res.status(), res.bodyText());
        }
        String op = res.headers().get("Azure-AsyncOperation");
        if (op == null) {
            op = res.headers().get(HttpHeaderNames.LOCATION);
        }
        JsonNode json = res.body().length == 0 ? null : Json.MAPPER.readTree(res.body());
        return new ArmResponse(res.status(), json, op == null ? null : URI.create(op), retryAfter(res.headers()));
    }

    /**
     * Polls the operation of {@code r} until it succeeds (returns) or fails ({@link AzureException} with the
     * operation's error code and message). {@code onPoll} runs after every poll (CloudMgr refreshes its view).
     */
    public void awaitOperation(ArmResponse r, String operation, Runnable onPoll) throws AzureException, IOException {
        if (r.operation() == null) {
            return;
        }
        long deadline = System.nanoTime() + operationTimeout.toNanos();
        Duration wait = r.retryAfter();
        while (true) {
            sleep(bounded(wait));
            LabHttpClient.Response res = call(HttpMethod.GET, withLabPort(r.operation()), null, operation + " (poll)");
            if (!res.isSuccess()) {
                throw AzureException.fromBody(res.status(), res.bodyText());
            }
            JsonNode body = res.body().length == 0 ? null : Json.MAPPER.readTree(res.body());
            String status = body == null ? null : body.path("status").asText(null);
            if (onPoll != null) {
                onPoll.run();
            }
            if ("Succeeded".equalsIgnoreCase(status) || (status == null && res.status() != 202)) {
                log.info("Resource Manager - operation {} Succeeded", operation);
                return;
            }
            if ("Failed".equalsIgnoreCase(status) || "Canceled".equalsIgnoreCase(status)) {
                JsonNode err = body.path("error");
                throw new AzureException(0, err.path("code").asText(status),
                        err.path("message").asText("operation " + operation + " " + status));
            }
            if (System.nanoTime() > deadline) {
                throw new AzureException(0, "OperationTimedOut", "operation " + operation + " did not finish within "
                        + operationTimeout.toMinutes() + " min (last status " + status + ")");
            }
            wait = retryAfter(res.headers());
        }
    }

    private LabHttpClient.Response call(HttpMethod method, URI uri, byte[] body, String operation)
            throws AzureException, IOException {
        String token = tokens.accessToken();
        long t0 = System.nanoTime();
        HttpHeaders h = new DefaultHttpHeaders()
                .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token)
                .set(HttpHeaderNames.ACCEPT, "application/json");
        if (body != null) {
            h.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        }
        String detail = method + " " + uri.getRawPath() + " (" + operation + ")";
        LabHttpClient.Response res;
        try {
            res = Calls.await(http.send(method, uri, h, body), detail);
        } catch (IOException e) {
            flow(t0, "unreachable", 0, detail + ": " + e.getMessage());
            throw e;
        }
        if (res.status() == 401) {
            tokens.invalidate();
        }
        String outcome = res.isSuccess() || (res.status() == 404 && method == HttpMethod.GET) ? "ok"
                : AzureException.fromBody(res.status(), res.bodyText()).code();
        flow(t0, outcome, res.status(), detail);
        log.debug("Resource Manager - {} -> {}", detail, res.status());
        return res;
    }

    /**
     * An operation URL as Azure writes it ({@code https://management.azure.com/…}, no port: 443) on the lab's
     * Resource Manager port (443 + the port offset).
     */
    URI withLabPort(URI u) {
        if (u.getPort() >= 0 || !"https".equalsIgnoreCase(u.getScheme())) {
            return u;
        }
        try {
            return new URI(u.getScheme(), u.getUserInfo(), u.getHost(), port, u.getPath(), u.getQuery(), u.getFragment());
        } catch (java.net.URISyntaxException e) {
            return u;
        }
    }

    private void flow(long t0, String outcome, int status, String detail) {
        events.event("F1", "request").from("service-connection-point").to("azure-sim/management").protocol("HTTPS")
                .port(port).auth("Entra ID token (client credentials)").outcome(outcome).status(status)
                .latencyNanos(System.nanoTime() - t0).detail(detail).emit();
    }

    private Duration bounded(Duration d) {
        if (d == null || d.compareTo(minPoll) < 0) {
            return minPoll;
        }
        return d.compareTo(maxPoll) > 0 ? maxPoll : d;
    }

    private static Duration retryAfter(HttpHeaders h) {
        String v = h.get(HttpHeaderNames.RETRY_AFTER);
        if (v == null) {
            return null;
        }
        try {
            return Duration.ofSeconds(Long.parseLong(v.trim()));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static void sleep(Duration d) throws IOException {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
