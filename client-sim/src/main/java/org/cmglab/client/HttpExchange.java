package org.cmglab.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.runtime.EventLoops;

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
        MpListResult.Failure[] stage = {MpListResult.Failure.CONNECT};
        Bootstrap b = new Bootstrap().group(group).channel(EventLoops.socketChannelClass())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) CONNECT_TIMEOUT.toMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .localAddress(new InetSocketAddress(t.sourceAddress(), 0))
                .remoteAddress(t.remote())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (t.ssl() != null) {
                            SslHandler tls = t.ssl().newHandler(ch.alloc(), t.host(), t.port());
                            tls.setHandshakeTimeoutMillis(CONNECT_TIMEOUT.toMillis());
                            ch.pipeline().addLast("tls", tls);
                        }
                        ch.pipeline().addLast("http", new HttpClientCodec())
                                .addLast("aggregator", new HttpObjectAggregator(MAX_RESPONSE))
                                .addLast("reply", new ReplyHandler(promise));
                    }
                });
        ChannelFuture connect = b.connect();
        Channel ch = connect.channel();
        connect.addListener(cf -> {
            if (!cf.isSuccess()) {
                promise.tryFailure(cf.cause());
                return;
            }
            Runnable write = () -> {
                stage[0] = MpListResult.Failure.NO_RESPONSE;
                ch.writeAndFlush(request(t, method, path, headers, body, traceId)).addListener(wf -> {
                    if (!wf.isSuccess()) {
                        promise.tryFailure(wf.cause());
                    }
                });
                var timer = ch.eventLoop().schedule(() -> promise.tryFailure(new CmgClient.NoResponseException(
                        "no response within " + RESPONSE_TIMEOUT.toSeconds() + " s")), RESPONSE_TIMEOUT.toMillis(),
                        TimeUnit.MILLISECONDS);
                promise.addListener(p -> timer.cancel(false));
            };
            SslHandler tls = ch.pipeline().get(SslHandler.class);
            if (tls == null) {
                write.run();
                return;
            }
            stage[0] = MpListResult.Failure.TLS;
            tls.handshakeFuture().addListener(hf -> {
                if (!hf.isSuccess()) {
                    promise.tryFailure(hf.cause());
                } else {
                    write.run();
                }
            });
        });
        long bound = CONNECT_TIMEOUT.multipliedBy(2).plus(RESPONSE_TIMEOUT).plusSeconds(5).toMillis();
        if (!promise.await(bound)) {
            promise.tryFailure(new CmgClient.NoResponseException("no outcome within " + bound + " ms"));
        }
        ch.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (promise.isSuccess()) {
            return promise.getNow();
        }
        throw new Failed(CmgClient.classify(stage[0], promise.cause()), CmgClient.describe(promise.cause()));
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

    private static final class ReplyHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final Promise<Response> promise;

        ReplyHandler(Promise<Response> promise) {
            this.promise = promise;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
            if (res.decoderResult().isFailure()) {
                promise.tryFailure(new CmgClient.NoResponseException("unreadable response: "
                        + res.decoderResult().cause()));
                return;
            }
            promise.trySuccess(new Response(res.status().code(), res.status().reasonPhrase(),
                    res.headers().get(HttpHeaderNames.CONTENT_TYPE), ByteBufUtil.getBytes(res.content())));
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            promise.tryFailure(cause);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            promise.tryFailure(new CmgClient.NoResponseException("the server closed the connection before a response"));
            super.channelInactive(ctx);
        }
    }
}
