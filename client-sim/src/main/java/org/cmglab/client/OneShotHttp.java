package org.cmglab.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.EventLoops;

/**
 * The connection steps client-sim's one-request HTTP(S) clients share ({@link HttpExchange}, {@link CmgClient},
 * {@link ProbeClient}): connect from the client's source address, TLS handshake (SNI and name check) when there is
 * a TLS context, write one request, wait for the answer, close. Every step is bounded: connect and handshake by the
 * connect timeout each, the answer by the response timeout, the whole by twice the connect timeout plus the
 * response timeout plus 5 s. The {@link Stage} tells which step failed.
 */
final class OneShotHttp {
    private OneShotHttp() {}

    /** The failure kind of whatever step is running; written on the event loop, read after the promise. */
    static final class Stage {
        volatile MpListResult.Failure value = MpListResult.Failure.CONNECT;
    }

    /** Where and how to connect. */
    record Connection(String sourceAddress, InetSocketAddress remote, SslContext sslOrNull, String tlsHost, int port,
                      Duration connectTimeout, Duration responseTimeout) {}

    /**
     * Runs the exchange and returns once {@code promise} is complete (the reply handler completes it) and the channel
     * is closed.
     *
     * @param http    adds the HTTP handlers after the TLS handler (codec, aggregator, the handler completing the
     *                promise)
     * @param request built on the event loop once the connection (and TLS) is up, so nothing leaks if it never is
     */
    static <T> void run(EventLoopGroup group, Connection c, Consumer<ChannelPipeline> http,
                        Supplier<HttpRequest> request, Promise<T> promise, Stage stage) throws InterruptedException {
        Bootstrap b = new Bootstrap().group(group).channel(EventLoops.socketChannelClass())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) c.connectTimeout().toMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .localAddress(new InetSocketAddress(c.sourceAddress(), 0))
                .remoteAddress(c.remote())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (c.sslOrNull() != null) {
                            SslHandler tls = c.sslOrNull().newHandler(ch.alloc(), c.tlsHost(), c.port());
                            tls.setHandshakeTimeoutMillis(c.connectTimeout().toMillis());
                            ch.pipeline().addLast("tls", tls);
                        }
                        http.accept(ch.pipeline());
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
                stage.value = MpListResult.Failure.NO_RESPONSE;
                ch.writeAndFlush(request.get()).addListener(wf -> {
                    if (!wf.isSuccess()) {
                        promise.tryFailure(wf.cause());
                    }
                });
                var timer = ch.eventLoop().schedule(() -> promise.tryFailure(new CmgClient.NoResponseException(
                        "no response within " + c.responseTimeout().toSeconds() + " s")),
                        c.responseTimeout().toMillis(), TimeUnit.MILLISECONDS);
                promise.addListener(p -> timer.cancel(false));
            };
            SslHandler tls = ch.pipeline().get(SslHandler.class);
            if (tls == null) {
                write.run();
                return;
            }
            stage.value = MpListResult.Failure.TLS;
            tls.handshakeFuture().addListener(hf -> {
                if (!hf.isSuccess()) {
                    promise.tryFailure(hf.cause());
                } else {
                    write.run();
                }
            });
        });
        long bound = c.connectTimeout().multipliedBy(2).plus(c.responseTimeout()).plusSeconds(5).toMillis();
        if (!promise.await(bound)) {
            promise.tryFailure(new CmgClient.NoResponseException("no outcome within " + bound + " ms"));
        }
        ch.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** The client TLS context; a failure to build it is a configuration error (unchecked). */
    static SslContext clientTls(List<X509Certificate> roots, IssuedCert certOrNull) {
        try {
            return TlsContexts.client(roots, certOrNull);
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the client TLS context: " + e.getMessage(), e);
        }
    }

    /** Completes the promise with the aggregated response (or the reason there is none), then closes. */
    static final class ReplyHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final Promise<HttpExchange.Response> promise;

        ReplyHandler(Promise<HttpExchange.Response> promise) {
            this.promise = promise;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
            if (res.decoderResult().isFailure()) {
                promise.tryFailure(new CmgClient.NoResponseException("unreadable response: "
                        + res.decoderResult().cause()));
                return;
            }
            promise.trySuccess(new HttpExchange.Response(res.status().code(), res.status().reasonPhrase(),
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
