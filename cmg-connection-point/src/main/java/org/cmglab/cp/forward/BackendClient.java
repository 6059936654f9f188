package org.cmglab.cp.forward;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.cmglab.proto.runtime.EventLoops;

/**
 * HTTP/1.1 connections from the connection point to the MP/SUP, kept alive and reused. Connections are pooled per
 * event loop (the loop of the channel whose stream uses them), so a stream and its backend connection share a thread
 * and need no locking.
 */
public final class BackendClient {
    static final AttributeKey<Relay> RELAY = AttributeKey.valueOf("cmglab.relay");
    private static final int MAX_IDLE_PER_BACKEND = 64;

    private final SslContext tls;
    private final AddressResolverGroup<InetSocketAddress> hosts;
    private final String sourceAddress;
    private final FastThreadLocal<Map<String, ArrayDeque<Channel>>> idle = new FastThreadLocal<>() {
        @Override
        protected Map<String, ArrayDeque<Channel>> initialValue() {
            return new HashMap<>();
        }
    };

    public BackendClient(SslContext tls, AddressResolverGroup<InetSocketAddress> hosts, String sourceAddress) {
        this.tls = tls;
        this.hosts = hosts;
        this.sourceAddress = sourceAddress;
    }

    /** Receives what the backend connection reads while a request is in flight on it. */
    interface Relay {
        void onBackendRead(Channel backend, HttpObject msg);

        void onBackendInactive(Channel backend);
    }

    /** An idle connection to {@code b} or a new one; completes on {@code loop}. */
    Future<Channel> acquire(EventLoop loop, RouteTable.Backend b) {
        Promise<Channel> p = loop.newPromise();
        ArrayDeque<Channel> q = idle.get().get(b.key());
        while (q != null && !q.isEmpty()) {
            Channel c = q.pollLast();
            if (c.isActive()) {
                return p.setSuccess(c);
            }
        }
        // resolved by the bootstrap's resolver (lab DNS or static hosts); an unknown host fails the connect future,
        // which the stream answers with a clear 500
        InetSocketAddress remote = InetSocketAddress.createUnresolved(b.host(), b.port());
        ChannelFuture cf = new Bootstrap().resolver(hosts).group(loop).channel(EventLoops.socketChannelClass())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .option(ChannelOption.TCP_NODELAY, true)
                .localAddress(sourceAddress, 0)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (b.https()) {
                            ch.pipeline().addLast("ssl", tls.newHandler(ch.alloc(), b.host(), b.port()));
                        }
                        ch.pipeline().addLast("http", new HttpClientCodec(16 * 1024, 64 * 1024, 64 * 1024))
                                .addLast("relay", new RelayHandler());
                    }
                })
                .connect(remote);
        cf.addListener(f -> {
            if (!f.isSuccess()) {
                p.tryFailure(f.cause());
                return;
            }
            SslHandler ssl = cf.channel().pipeline().get(SslHandler.class);
            if (ssl == null) {
                p.trySuccess(cf.channel());
            } else {
                ssl.handshakeFuture().addListener(h -> {
                    if (h.isSuccess()) {
                        p.trySuccess(cf.channel());
                    } else {
                        p.tryFailure(h.cause());
                        cf.channel().close();
                    }
                });
            }
        });
        return p;
    }

    /** Returns a connection after a complete exchange; {@code reusable} false closes it. */
    void release(Channel c, RouteTable.Backend b, boolean reusable) {
        c.attr(RELAY).set(null);
        c.config().setAutoRead(true);
        if (!reusable || !c.isActive()) {
            c.close();
            return;
        }
        ArrayDeque<Channel> q = idle.get().computeIfAbsent(b.key(), k -> new ArrayDeque<>());
        if (q.size() >= MAX_IDLE_PER_BACKEND) {
            c.close();
        } else {
            q.addLast(c);
        }
    }

    /** Forwards backend reads to the request that owns the connection; unexpected bytes close it. */
    private static final class RelayHandler extends SimpleChannelInboundHandler<HttpObject> {
        RelayHandler() {
            super(false);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            Relay r = ctx.channel().attr(RELAY).get();
            if (r == null) {
                ReferenceCountUtil.release(msg);
                ctx.close(); // a response nobody asked for
                return;
            }
            r.onBackendRead(ctx.channel(), msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            Relay r = ctx.channel().attr(RELAY).getAndSet(null);
            if (r != null) {
                r.onBackendInactive(ctx.channel());
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
