package org.cmglab.azure.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.cmglab.proto.runtime.EventLoops;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTPS 443 front of the emulated Azure: one TLS listener whose certificate names every Azure host the lab serves,
 * routing each request to the {@link HttpService} of its {@code Host} (login.microsoftonline.com, management.azure.com,
 * graph.microsoft.com, and the US Government equivalents).
 */
public final class AzureFrontServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AzureFrontServer.class);

    private final Channel server;

    private AzureFrontServer(Channel server) {
        this.server = server;
    }

    /** @param services host name (any case) → service */
    public static AzureFrontServer start(InetSocketAddress bind, EventLoopGroup group, SslContext tlsOrNull,
                                         Map<String, HttpService> services) throws InterruptedException {
        Map<String, HttpService> byHost = new TreeMap<>();
        services.forEach((h, s) -> byHost.put(h.toLowerCase(Locale.ROOT), s));
        Router router = new Router(byHost);
        Channel ch = new ServerBootstrap().group(group).channel(EventLoops.serverChannelClass())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        if (tlsOrNull != null) {
                            c.pipeline().addLast("ssl", tlsOrNull.newHandler(c.alloc()));
                        }
                        c.pipeline().addLast(new HttpServerCodec(8192, 32 * 1024, 64 * 1024),
                                new HttpServerKeepAliveHandler(), new HttpObjectAggregator(4 * 1024 * 1024), router);
                    }
                }).bind(bind).sync().channel();
        log.info("Azure front on {} serving {}", bind, byHost.keySet());
        return new AzureFrontServer(ch);
    }

    public InetSocketAddress boundAddress() {
        return (InetSocketAddress) server.localAddress();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
    }

    @ChannelHandler.Sharable
    private static final class Router extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Map<String, HttpService> byHost;

        Router(Map<String, HttpService> byHost) {
            this.byHost = byHost;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            FullHttpResponse res;
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            if (!req.decoderResult().isSuccess()) {
                log.warn("malformed request from {}: {}", ctx.channel().remoteAddress(), req.decoderResult().cause().toString());
                res = Responses.text(400, "text/plain", "malformed request\n");
                keepAlive = false;
            } else {
                String host = req.headers().get(HttpHeaderNames.HOST, "").toLowerCase(Locale.ROOT);
                int colon = host.indexOf(':');
                if (colon >= 0) {
                    host = host.substring(0, colon);
                }
                HttpService s = byHost.get(host);
                QueryStringDecoder q = new QueryStringDecoder(req.uri());
                if (s == null) {
                    log.warn("{} {} for unknown host '{}'", req.method(), req.uri(), host);
                    res = Responses.armError(404, "HostNotFound", "this emulated Azure does not serve host '" + host
                            + "' (serves " + byHost.keySet() + ")");
                } else {
                    try {
                        res = s.handle(req, new RequestInfo(host, q.path(), q.parameters(),
                                (InetSocketAddress) ctx.channel().remoteAddress()));
                    } catch (RuntimeException e) {
                        log.error("{} {} failed: {}", req.method(), req.uri(), e.toString(), e);
                        res = Responses.armError(500, "InternalServerError", "emulator error: " + e.getMessage());
                    }
                }
            }
            HttpUtil.setKeepAlive(res, keepAlive);
            var f = ctx.writeAndFlush(res);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }
}
