package org.cmglab.client;

import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.cmglab.proto.flow.TraceContext;

/**
 * One HTTP(S) request on its own connection ({@code Connection: close}, as sccmwtf sends CcmMessaging), with any
 * method ({@code CCM_POST}, {@code GET}), headers and body. Bounded: connect and handshake {@link #CONNECT_TIMEOUT},
 * response {@link #RESPONSE_TIMEOUT}. Failures come back as {@link Failed} with the {@link MpListResult.Failure}
 * kind of the stage that failed.
 */
final class HttpExchange {
    static final int MAX_RESPONSE = 8 * 1024 * 1024;
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(30);

    /**
     * Where a request goes.
     *
     * @param host          SNI, certificate name and {@code Host} header
     * @param port          the port
     * @param remote        the resolved loopback address
     * @param sourceAddress the address to connect from
     * @param ssl           TLS context, or null for plain HTTP
     */
    record Target(String host, int port, InetSocketAddress remote, String sourceAddress, SslContext ssl) {
        Target {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(remote, "remote");
            Objects.requireNonNull(sourceAddress, "sourceAddress");
        }

        String origin() {
            boolean tls = ssl != null;
            return (tls ? "https://" : "http://") + host + (port == (tls ? 443 : 80) ? "" : ":" + port);
        }

        String hostHeader() {
            return port == (ssl != null ? 443 : 80) ? host : host + ":" + port;
        }
    }

    /** A complete response. */
    record Response(int status, String reason, String contentType, byte[] body) {}

    /** No response: the stage that failed and why. */
    static final class Failed extends Exception {
        final MpListResult.Failure kind;

        Failed(MpListResult.Failure kind, String message) {
            super(message, null, false, false);
            this.kind = kind;
        }
    }

    private final EventLoopGroup group;

    HttpExchange(EventLoopGroup group) {
        this.group = Objects.requireNonNull(group, "group");
    }

    Response send(Target t, String method, String path, Map<String, String> headers, byte[] body, String traceId)
            throws Failed, InterruptedException {
        Promise<Response> promise = group.next().newPromise();
        OneShotHttp.Stage stage = new OneShotHttp.Stage();
        OneShotHttp.run(group, new OneShotHttp.Connection(t.sourceAddress(), t.remote(), t.ssl(), t.host(), t.port(),
                        CONNECT_TIMEOUT, RESPONSE_TIMEOUT),
                pipeline -> pipeline.addLast("http", new HttpClientCodec())
                        .addLast("aggregator", new HttpObjectAggregator(MAX_RESPONSE))
                        .addLast("reply", new OneShotHttp.ReplyHandler(promise)),
                () -> request(t, method, path, headers, body, traceId), promise, stage);
        if (promise.isSuccess()) {
            return promise.getNow();
        }
        throw new Failed(CmgClient.classify(stage.value, promise.cause()), CmgClient.describe(promise.cause()));
    }

    static FullHttpRequest request(Target t, String method, String path, Map<String, String> headers, byte[] body,
                                   String traceId) {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method), path,
                body == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        req.headers().set(HttpHeaderNames.HOST, t.hostHeader())
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                .set(TraceContext.HEADER, TraceContext.traceparent(traceId));
        headers.forEach((k, v) -> req.headers().set(k, v));
        if (body != null) {
            req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        }
        return req;
    }
}
