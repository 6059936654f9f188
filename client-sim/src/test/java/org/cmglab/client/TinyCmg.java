package org.cmglab.client;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.pki.ClientAuthMode;
import org.cmglab.proto.pki.ClientCertValidator;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.EventLoops;

/**
 * A tiny HTTPS stand-in for the CMG on 127.0.0.1: requests client certificates (deferred, like IIS), records
 * what it saw and answers an MPLIST body, {@code 403 CMGConnector_Clientcertificaterequired} without a client
 * certificate, or nothing at all when {@code silent}.
 */
final class TinyCmg implements AutoCloseable {
    static final String MPLIST = "<MPList><MP Name=\"MP01\" FQDN=\"mp01.corp.contoso.com\"><Version>9128</Version>"
            + "<Capabilities SchemaVersion=\"1.0\"><Property Name=\"SSLState\" Value=\"1\"/></Capabilities></MP>"
            + "<MP Name=\"MP02\" FQDN=\"mp02.corp.contoso.com\"><Version>9128</Version></MP></MPList>";

    /** One request as the server saw it. */
    record Seen(String uri, HttpHeaders headers, List<X509Certificate> peerChain, InetSocketAddress remote) {}

    final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    private final Channel server;

    TinyCmg(EventLoopGroup group, IssuedCert serverCert, X509Certificate clientRoot, boolean silent)
            throws Exception {
        SslContext ssl = TlsContexts.server(serverCert, ClientAuthMode.DEFERRED, List.of(clientRoot));
        server = new ServerBootstrap().group(group).channel(EventLoops.serverChannelClass())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(ssl.newHandler(ch.alloc()), new HttpServerCodec(),
                                new HttpObjectAggregator(64 * 1024), new Handler(silent));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    Seen take() throws InterruptedException {
        return seen.poll(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final boolean silent;

        Handler(boolean silent) {
            this.silent = silent;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            List<X509Certificate> chain = ClientCertValidator.peerChain(
                    ctx.pipeline().get(SslHandler.class).engine().getSession());
            seen.add(new Seen(req.uri(), req.headers().copy(), chain, (InetSocketAddress) ctx.channel().remoteAddress()));
            if (silent) {
                return;
            }
            FullHttpResponse res = chain.isEmpty()
                    ? response(new HttpResponseStatus(403, "CMGConnector_Clientcertificaterequired"), "text/html",
                    "403 - Forbidden: client certificate required")
                    : response(HttpResponseStatus.OK, "text/xml", MPLIST);
            ctx.writeAndFlush(res);
        }

        private static FullHttpResponse response(HttpResponseStatus st, String type, String body) {
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, st,
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, type)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
            return res;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
