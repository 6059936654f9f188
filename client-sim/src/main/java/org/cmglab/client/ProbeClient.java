package org.cmglab.client;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.Promise;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cmglab.proto.flow.TraceContext;

/**
 * One request of any verb with any headers and body to the CMG (or to whatever sits at {@code via}, e.g. the lab's
 * network device, with SNI, name check and {@code Host} still the CMG's): the response is streamed, counted and
 * hashed (SHA-256), never held beyond the first {@value #KEEP} bytes. Bounded like {@link CmgClient}.
 */
final class ProbeClient {
    static final int KEEP = 4096;
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(60);

    /** A request to send: header names are sent exactly as given. */
    record Request(String method, String path, List<Map.Entry<String, String>> headers, byte[] body) {}

    /** The response, or the failure kind and reason. */
    record Outcome(int status, String reason, Map<String, String> headers, long bodyBytes, String bodySha256,
                   byte[] bodyStart, MpListResult.Failure failure, String error) {
        boolean ok() {
            return failure == MpListResult.Failure.NONE || failure == MpListResult.Failure.HTTP_STATUS;
        }

        String header(String name) {
            return headers == null ? null : headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }
    }

    private final EventLoopGroup group;
    private final SslContext ssl;

    ProbeClient(EventLoopGroup group, SslContext ssl) {
        this.group = group;
        this.ssl = ssl;
    }

    Outcome send(CmgTarget target, InetSocketAddress remote, Request r, String traceId) throws InterruptedException {
        Promise<Outcome> promise = group.next().newPromise();
        OneShotHttp.Stage stage = new OneShotHttp.Stage();
        boolean head = "HEAD".equals(r.method());
        OneShotHttp.run(group, new OneShotHttp.Connection(target.sourceAddress(), remote, ssl, target.serviceName(),
                        target.port(), CONNECT_TIMEOUT, RESPONSE_TIMEOUT),
                pipeline -> pipeline.addLast("http", new HttpClientCodec(8192, 64 * 1024, 64 * 1024))
                        .addLast("reply", new Reader(promise, head)),
                () -> request(target, r, traceId), promise, stage);
        if (promise.isSuccess()) {
            return promise.getNow();
        }
        Throwable cause = promise.cause();
        return new Outcome(0, null, null, 0, null, null, CmgClient.classify(stage.value, cause), CmgClient.describe(cause));
    }

    static FullHttpRequest request(CmgTarget target, Request r, String traceId) {
        byte[] body = r.body() == null ? new byte[0] : r.body();
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(r.method()), r.path(),
                Unpooled.wrappedBuffer(body));
        req.headers().set(HttpHeaderNames.HOST, target.hostHeader()).set(HttpHeaderNames.USER_AGENT, CmgClient.USER_AGENT)
                .set(TraceContext.HEADER, TraceContext.traceparent(traceId));
        for (Map.Entry<String, String> h : r.headers()) {
            req.headers().add(h.getKey(), h.getValue());
        }
        if (body.length > 0 || !("GET".equals(r.method()) || "HEAD".equals(r.method()))) {
            req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        }
        return req;
    }

    /** Streams the response into a count, a SHA-256 and its first bytes. */
    static final class Reader extends SimpleChannelInboundHandler<HttpObject> {
        private final Promise<Outcome> promise;
        private final MessageDigest sha;
        private final ByteArrayOutputStream start = new ByteArrayOutputStream();
        private HttpResponse head;
        private long bytes;

        Reader(Promise<Outcome> promise, boolean headRequest) {
            this.promise = promise;
            try {
                this.sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (msg.decoderResult().isFailure()) {
                promise.tryFailure(new CmgClient.NoResponseException("unreadable response: " + msg.decoderResult().cause()));
                ctx.close();
                return;
            }
            if (msg instanceof HttpResponse r) {
                if (r.status().code() == 100) {
                    return;
                }
                head = r;
            }
            if (msg instanceof HttpContent c && head != null) {
                int n = c.content().readableBytes();
                bytes += n;
                sha.update(c.content().nioBuffer());
                if (start.size() < KEEP) {
                    byte[] b = new byte[Math.min(n, KEEP - start.size())];
                    c.content().getBytes(c.content().readerIndex(), b);
                    start.writeBytes(b);
                }
                if (msg instanceof LastHttpContent) {
                    Map<String, String> h = new LinkedHashMap<>();
                    head.headers().forEach(e -> h.merge(e.getKey().toLowerCase(java.util.Locale.ROOT), e.getValue(),
                            (x, y) -> x + ", " + y));
                    promise.trySuccess(new Outcome(head.status().code(), head.status().reasonPhrase(), h, bytes,
                            HexFormat.of().formatHex(sha.digest()), start.toByteArray(),
                            head.status().code() / 100 == 2 ? MpListResult.Failure.NONE : MpListResult.Failure.HTTP_STATUS,
                            null));
                    ctx.close();
                }
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            promise.tryFailure(cause);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            promise.tryFailure(new CmgClient.NoResponseException(head == null
                    ? "the server closed the connection before a response"
                    : "the server closed the connection after " + bytes + " body bytes"));
            super.channelInactive(ctx);
        }
    }

    static SslContext context(List<java.security.cert.X509Certificate> roots, org.cmglab.proto.pki.IssuedCert cert) {
        return OneShotHttp.clientTls(roots, cert);
    }
}
