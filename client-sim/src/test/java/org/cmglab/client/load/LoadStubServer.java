package org.cmglab.client.load;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.cmglab.proto.pki.ClientAuthMode;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.EventLoops;

/**
 * What the load-mode stand-ins share: HTTPS on 127.0.0.1 asking for client certificates (deferred, like IIS) from
 * {@code clientRoot}, a new {@link #newHandler()} per connection after the HTTP codec, requests counted by kind.
 */
abstract class LoadStubServer implements AutoCloseable {
    final Map<String, AtomicInteger> byKind = new ConcurrentHashMap<>();
    final AtomicInteger connections = new AtomicInteger();
    private final Channel server;

    LoadStubServer(EventLoopGroup group, IssuedCert serverCert, X509Certificate clientRoot) throws Exception {
        SslContext ssl = TlsContexts.server(serverCert, ClientAuthMode.DEFERRED, List.of(clientRoot));
        server = new ServerBootstrap().group(group).channel(EventLoops.serverChannelClass())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.incrementAndGet();
                        ch.pipeline().addLast(ssl.newHandler(ch.alloc()), new HttpServerCodec(),
                                new HttpObjectAggregator(1 << 20), newHandler());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    /** The request handler of a new connection. */
    abstract ChannelHandler newHandler();

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    int count(String kind) {
        AtomicInteger n = byKind.get(kind);
        return n == null ? 0 : n.get();
    }

    void counted(String kind) {
        byKind.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
    }

    static FullHttpResponse response(HttpResponseStatus st, String type, byte[] body) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, st, Unpooled.wrappedBuffer(body));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, type).setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return res;
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
    }
}
