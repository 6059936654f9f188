package org.cmglab.proto.runtime;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.resolver.AbstractAddressResolver;
import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A small HTTP/1.1 client for the lab's outbound calls (e.g. the service connection point calling Entra ID and
 * Resource Manager): HTTPS with host-name verification ({@code SslContext.newHandler(alloc, host, port)}) or plain
 * HTTP, one request per connection, the whole response aggregated (at most {@value #MAX_RESPONSE_BYTES} bytes).
 *
 * <p>Names are resolved through the {@link AddressResolverGroup} given to the constructor (the lab DNS, or
 * {@link #staticResolver(HostMap)}); every resolved address must be loopback, otherwise the request is refused
 * before any connection is made, so nothing leaves the lab's network.
 */
public final class LabHttpClient {
    /** Largest response body accepted. */
    public static final int MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_RESPONSE_TIMEOUT = Duration.ofSeconds(30);

    /** A complete response. */
    public record Response(int status, String reason, HttpHeaders headers, byte[] body) {
        public Response {
            Objects.requireNonNull(headers, "headers");
            body = body == null ? new byte[0] : body;
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public boolean isSuccess() {
            return status >= 200 && status < 300;
        }

        @Override
        public String toString() {
            return "HTTP " + status + " " + reason + " (" + body.length + " bytes)";
        }
    }

    private final EventLoopGroup group;
    private final SslContext tls;
    private final AddressResolverGroup<InetSocketAddress> resolver;
    private final Duration connectTimeout;
    private final Duration responseTimeout;

    /**
     * @param group     event loops the connections run on
     * @param tlsOrNull client context for {@code https} URLs (must verify host names); null = {@code http} only
     * @param resolver  name resolution (lab DNS or a static host map)
     */
    public LabHttpClient(EventLoopGroup group, SslContext tlsOrNull, AddressResolverGroup<InetSocketAddress> resolver) {
        this(group, tlsOrNull, resolver, DEFAULT_CONNECT_TIMEOUT, DEFAULT_RESPONSE_TIMEOUT);
    }

    public LabHttpClient(EventLoopGroup group, SslContext tlsOrNull, AddressResolverGroup<InetSocketAddress> resolver,
                         Duration connectTimeout, Duration responseTimeout) {
        this.group = Objects.requireNonNull(group, "group");
        this.tls = tlsOrNull;
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
        this.responseTimeout = Objects.requireNonNull(responseTimeout, "responseTimeout");
        if (tlsOrNull != null && !tlsOrNull.isClient()) {
            throw new IllegalArgumentException("tlsOrNull: a server SslContext (expected: a client context)");
        }
    }

    public CompletableFuture<Response> get(URI uri, HttpHeaders headers) {
        return send(HttpMethod.GET, uri, headers, null);
    }

    /**
     * Sends one request on a new connection. {@code Host}, {@code Content-Length} and {@code Connection: close}
     * are set here. The future fails with {@link IllegalArgumentException} for a bad or non-loopback URL,
     * {@link TimeoutException} on timeouts, and the transport's exception otherwise.
     */
    public CompletableFuture<Response> send(HttpMethod method, URI uri, HttpHeaders headersOrNull, byte[] bodyOrNull) {
        CompletableFuture<Response> result = new CompletableFuture<>();
        final String scheme;
        final String host;
        final int port;
        try {
            scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new IllegalArgumentException("URL " + uri + ": scheme '" + scheme + "' (expected: http or https)");
            }
            if (scheme.equals("https") && tls == null) {
                throw new IllegalArgumentException("URL " + uri + ": https without a TLS client context");
            }
            host = uri.getHost();
            if (host == null || host.isEmpty()) {
                throw new IllegalArgumentException("URL " + uri + ": no host");
            }
            port = uri.getPort() > 0 ? uri.getPort() : (scheme.equals("https") ? 443 : 80);
        } catch (IllegalArgumentException e) {
            result.completeExceptionally(e);
            return result;
        }
        EventLoop loop = group.next();
        AddressResolver<InetSocketAddress> r = resolver.getResolver(loop);
        r.resolve(InetSocketAddress.createUnresolved(host, port)).addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(new IllegalArgumentException("cannot resolve " + host + ": "
                        + f.cause().getMessage(), f.cause()));
                return;
            }
            InetSocketAddress to = (InetSocketAddress) f.getNow();
            if (to.getAddress() == null || !to.getAddress().isLoopbackAddress()) {
                result.completeExceptionally(new IllegalArgumentException("refused: " + host + " resolves to " + to
                        + ", not a loopback address (the lab only dials 127.0.0.0/8)"));
                return;
            }
            connect(loop, scheme, host, port, to, method, uri, headersOrNull, bodyOrNull, result);
        });
        return result;
    }

    private void connect(EventLoop loop, String scheme, String host, int port, InetSocketAddress to, HttpMethod method,
                         URI uri, HttpHeaders headersOrNull, byte[] bodyOrNull, CompletableFuture<Response> result) {
        boolean https = scheme.equals("https");
        ChannelFuture cf = new Bootstrap().group(loop).channel(EventLoops.socketChannelClass())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (https) {
                            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc(), host, port));
                        }
                        ch.pipeline().addLast("http", new HttpClientCodec(4096, 64 * 1024, 64 * 1024));
                        ch.pipeline().addLast("aggregate", new HttpObjectAggregator(MAX_RESPONSE_BYTES));
                        ch.pipeline().addLast("response", new ResponseHandler(result));
                    }
                })
                .connect(to);
        cf.addListener(c -> {
            if (!c.isSuccess()) {
                result.completeExceptionally(new java.net.ConnectException("cannot connect to " + host + " (" + to
                        + "): " + c.cause().getMessage()));
                return;
            }
            Channel ch = cf.channel();
            ScheduledFuture<?> timer = ch.eventLoop().schedule(() -> {
                if (result.completeExceptionally(new TimeoutException("no response from " + uri + " within "
                        + responseTimeout.toSeconds() + " s"))) {
                    ch.close();
                }
            }, responseTimeout.toMillis(), TimeUnit.MILLISECONDS);
            result.whenComplete((res, err) -> {
                timer.cancel(false);
                ch.close();
            });
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            if (uri.getRawQuery() != null) {
                path += "?" + uri.getRawQuery();
            }
            FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, path,
                    bodyOrNull == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bodyOrNull));
            if (headersOrNull != null) {
                req.headers().set(headersOrNull);
            }
            boolean defaultPort = port == (https ? 443 : 80);
            req.headers().set(HttpHeaderNames.HOST, defaultPort ? host : host + ":" + port);
            req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, req.content().readableBytes());
            ch.writeAndFlush(req).addListener(w -> {
                if (!w.isSuccess()) {
                    result.completeExceptionally(w.cause());
                }
            });
        });
    }

    private static final class ResponseHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final CompletableFuture<Response> result;

        ResponseHandler(CompletableFuture<Response> result) {
            this.result = result;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
            if (!res.decoderResult().isSuccess()) {
                result.completeExceptionally(new java.io.IOException("malformed response: "
                        + res.decoderResult().cause()));
                return;
            }
            result.complete(new Response(res.status().code(), res.status().reasonPhrase(),
                    new DefaultHttpHeaders().set(res.headers()), ByteBufUtil.getBytes(res.content())));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            result.completeExceptionally(new java.io.IOException("connection closed before a complete response"));
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Throwable c = cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() != null
                    ? cause.getCause() : cause;
            if (c instanceof io.netty.handler.codec.TooLongFrameException) {
                c = new java.io.IOException("response larger than " + MAX_RESPONSE_BYTES + " bytes: " + c.getMessage(), c);
            }
            result.completeExceptionally(c);
            ctx.close();
        }
    }

    /**
     * A resolver group answering from a fixed {@link HostMap} (literal 127.x addresses pass through; unknown names
     * fail). For tests, and until the lab DNS is wired in.
     */
    public static AddressResolverGroup<InetSocketAddress> staticResolver(HostMap hosts) {
        Objects.requireNonNull(hosts, "hosts");
        return new AddressResolverGroup<>() {
            @Override
            protected AddressResolver<InetSocketAddress> newResolver(EventExecutor executor) {
                return new StaticResolver(executor, hosts);
            }
        };
    }

    private static final class StaticResolver extends AbstractAddressResolver<InetSocketAddress> {
        private final HostMap hosts;

        StaticResolver(EventExecutor executor, HostMap hosts) {
            super(executor, InetSocketAddress.class);
            this.hosts = hosts;
        }

        @Override
        protected boolean doIsResolved(InetSocketAddress address) {
            return !address.isUnresolved();
        }

        @Override
        protected void doResolve(InetSocketAddress unresolved, Promise<InetSocketAddress> promise) {
            try {
                promise.setSuccess(hosts.resolve(unresolved.getHostString(), unresolved.getPort()));
            } catch (IllegalArgumentException e) {
                promise.setFailure(e);
            }
        }

        @Override
        protected void doResolveAll(InetSocketAddress unresolved, Promise<List<InetSocketAddress>> promise) {
            try {
                promise.setSuccess(List.of(hosts.resolve(unresolved.getHostString(), unresolved.getPort())));
            } catch (IllegalArgumentException e) {
                promise.setFailure(e);
            }
        }
    }
}
