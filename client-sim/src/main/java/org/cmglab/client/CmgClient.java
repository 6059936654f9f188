package org.cmglab.client;

import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Promise;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLException;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.pki.IssuedCert;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTPS GET through the CMG, the way a ConfigMgr client asks its internet MP for {@code .sms_aut} data:
 * TLS with SNI and host name verification against the CMG service name, optionally a PKI client certificate,
 * {@code User-Agent: SMS CCM 5.0}, and a {@code traceparent} header tying the hops together.
 *
 * <p>Pipeline: SslHandler → HttpClientCodec → HttpObjectAggregator(4 MiB) → a handler completing a promise.
 * Bounded: connect and TLS handshake {@link #connectTimeout} each, response {@link #responseTimeout}. Records
 * flow event F3 (CMG service → client) with the outcome.
 */
final class CmgClient {
    private static final Logger log = LoggerFactory.getLogger(CmgClient.class);

    /** What ccmexec sends for {@code .sms_aut} and content GETs (IIS logs it as {@code SMS+CCM+5.0}). */
    static final String USER_AGENT = "SMS CCM 5.0";
    static final int MAX_RESPONSE = 4 * 1024 * 1024;
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(30);

    private final EventLoopGroup group;
    private final FlowEventLog events;
    private final Duration connectTimeout;
    private final Duration responseTimeout;

    CmgClient(EventLoopGroup group, FlowEventLog events) {
        this(group, events, CONNECT_TIMEOUT, RESPONSE_TIMEOUT);
    }

    CmgClient(EventLoopGroup group, FlowEventLog events, Duration connectTimeout, Duration responseTimeout) {
        this.group = Objects.requireNonNull(group, "group");
        this.events = Objects.requireNonNull(events, "events");
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
        this.responseTimeout = Objects.requireNonNull(responseTimeout, "responseTimeout");
    }

    /**
     * Sends {@code GET path} to the CMG and waits for the outcome (never longer than connect + handshake +
     * response timeouts).
     *
     * @param path           raw request-target, e.g. {@code /CCM_Proxy_MutualAuth/72057594037927939/SMS_MP/.sms_aut?MPLIST}
     * @param traceId        32-hex W3C trace id
     * @param trustRoots     roots trusted for the CMG's server certificate
     * @param clientCertOrNull PKI client-auth certificate to present, or null
     */
    MpListResult get(CmgTarget target, String path, String traceId, List<X509Certificate> trustRoots,
                     IssuedCert clientCertOrNull) throws InterruptedException {
        long start = System.nanoTime();
        MpListResult result;
        SslContext ssl = OneShotHttp.clientTls(trustRoots, clientCertOrNull);
        Promise<HttpExchange.Response> promise = group.next().newPromise();
        OneShotHttp.Stage stage = new OneShotHttp.Stage();
        log.debug("connecting {} -> {} ({})", target.sourceAddress(), target.remote(), target.serviceName());
        OneShotHttp.run(group, new OneShotHttp.Connection(target.sourceAddress(), target.remote(), ssl,
                        target.serviceName(), target.port(), connectTimeout, responseTimeout),
                pipeline -> pipeline.addLast("http", new HttpClientCodec())
                        .addLast("aggregator", new HttpObjectAggregator(MAX_RESPONSE))
                        .addLast("reply", new OneShotHttp.ReplyHandler(promise)),
                () -> request(target, path, traceId), promise, stage);
        long nanos = System.nanoTime() - start;

        if (promise.isSuccess()) {
            HttpExchange.Response r = promise.getNow();
            List<MpListResult.Mp> mps = null;
            if (r.status() == 200) {
                try {
                    mps = MpListParser.parse(r.body());
                } catch (IllegalArgumentException e) {
                    log.warn("{} answered 200 but {}", target.origin() + path, e.getMessage());
                    mps = List.of();
                }
            }
            result = MpListResult.response(traceId, r.status(), r.reason(), r.body().length, r.contentType(), mps);
        } else {
            Throwable cause = promise.cause();
            MpListResult.Failure kind = classify(stage.value, cause);
            result = MpListResult.failed(traceId, kind, describe(cause));
        }
        events.event("F3", "response")
                .trace(traceId)
                .from("cmg-service")
                .to("client-sim")
                .protocol("HTTPS")
                .port(target.port())
                .auth(clientCertOrNull != null ? "PKI client certificate" : "none")
                .status(result.status())
                .outcome(result.outcome())
                .latencyNanos(nanos)
                .detail("GET " + path + (result.error() == null ? "" : ": " + result.error()))
                .emit();
        return result;
    }

    static FullHttpRequest request(CmgTarget target, String path, String traceId) {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path,
                Unpooled.EMPTY_BUFFER);
        req.headers()
                .set(HttpHeaderNames.HOST, target.hostHeader())
                .set(HttpHeaderNames.USER_AGENT, USER_AGENT)
                .set(TraceContext.HEADER, TraceContext.traceparent(traceId));
        return req;
    }

    /** A TLS exception anywhere in the chain is a TLS failure, whatever the stage. */
    static MpListResult.Failure classify(MpListResult.Failure stage, Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof SSLException) {
                return MpListResult.Failure.TLS;
            }
        }
        return stage;
    }

    /** The cause chain's messages, outermost first, without repeats. */
    static String describe(Throwable cause) {
        List<String> parts = new ArrayList<>();
        for (Throwable t = cause; t != null && parts.size() < 5; t = t.getCause()) {
            String s = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
            String key = t.getMessage() == null ? s : t.getMessage();
            if (parts.stream().noneMatch(p -> p.contains(key))) {
                parts.add(s);
            }
        }
        return String.join("; caused by ", parts);
    }

    /** Connected, but the server sent nothing (in time) or closed first. */
    static final class NoResponseException extends Exception {
        NoResponseException(String message) {
            super(message, null, false, false);
        }
    }
}
