package org.cmglab.client.auth;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.net.ConnectException;
import java.net.URI;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.runtime.LabHttpClient;

/**
 * The client's HTTP calls for tokens, blocking with a bound: through the CMG (recorded as flow event F3 with the
 * trace), to Entra ID and to the site's admin stand-in. Failures are classified like the other commands.
 */
public final class TokenHttp {
    static final long AWAIT_SECONDS = 60;

    /** A failure without a response. */
    public static final class CallFailed extends Exception {
        private static final long serialVersionUID = 1L;
        final String failure;

        CallFailed(String failure, String message, Throwable cause) {
            super(message, cause);
            this.failure = failure;
        }
    }

    private final LabHttpClient http;
    private final FlowEventLog events;
    private final String traceId;

    public TokenHttp(LabHttpClient http, FlowEventLog events, String traceId) {
        this.http = http;
        this.events = events;
        this.traceId = traceId;
    }

    String traceId() {
        return traceId;
    }

    /** A request through the CMG: adds the trace and records F3. */
    LabHttpClient.Response cmg(HttpMethod method, URI uri, HttpHeaders headers, byte[] body, String auth)
            throws CallFailed {
        HttpHeaders h = headers == null ? new DefaultHttpHeaders() : headers;
        h.set(TraceContext.HEADER, TraceContext.traceparent(traceId));
        h.set("User-Agent", "SMS CCM 5.0");
        long t0 = System.nanoTime();
        try {
            LabHttpClient.Response r = call(method, uri, h, body);
            events.event("F3", "response").trace(traceId).from("cmg-service").to("client-sim").protocol("HTTPS")
                    .port(uri.getPort() == -1 ? 443 : uri.getPort()).auth(auth).status(r.status())
                    .outcome(r.isSuccess() ? "ok" : "http-" + r.status()).latencyNanos(System.nanoTime() - t0)
                    .detail(method + " " + uri.getRawPath() + (r.isSuccess() ? "" : ": " + r.status() + " " + r.reason()))
                    .emit();
            return r;
        } catch (CallFailed e) {
            events.event("F3", "response").trace(traceId).from("cmg-service").to("client-sim").protocol("HTTPS")
                    .port(uri.getPort() == -1 ? 443 : uri.getPort()).auth(auth).outcome(e.failure.toLowerCase())
                    .latencyNanos(System.nanoTime() - t0).detail(method + " " + uri.getRawPath() + ": " + e.getMessage())
                    .emit();
            throw e;
        }
    }

    /** Any other request (Entra ID, the site's admin endpoint). */
    LabHttpClient.Response call(HttpMethod method, URI uri, HttpHeaders headers, byte[] body) throws CallFailed {
        try {
            return http.send(method, uri, headers, body).get(AWAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CallFailed("NO_RESPONSE", "interrupted", e);
        } catch (TimeoutException e) {
            throw new CallFailed("NO_RESPONSE", "no response from " + uri.getHost() + " within " + AWAIT_SECONDS + " s", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw new CallFailed(classify(c), uri.getHost() + ": " + c, c);
        }
    }

    static String classify(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof SSLException) {
                return "TLS";
            }
            if (t instanceof ConnectException || t instanceof java.net.UnknownHostException) {
                return "CONNECT";
            }
            if (t instanceof TimeoutException) {
                return "NO_RESPONSE";
            }
        }
        return "NO_RESPONSE";
    }
}
