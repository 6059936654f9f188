package org.cmglab.cmg.frontdoor;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.List;
import org.cmglab.proto.runtime.EventLoops;

/**
 * An HTTPS listener of the CMG instance: the front door on 443 (clients, and the channel when there is one VM) or the
 * channel listener on 10124+i. Pipeline: {@code ssl → http → request-timeout → content-limit → keep-alive → aggregate
 * → front-door}.
 */
public final class FrontDoorServer implements AutoCloseable {
    private final Channel server;

    private FrontDoorServer(Channel server) {
        this.server = server;
    }

    public static FrontDoorServer start(InetSocketAddress bind, EventLoopGroup boss, EventLoopGroup workers,
                                        SslContext ssl, FrontDoorContext fd, int maxBody, boolean channelOnly)
            throws InterruptedException {
        List<String> http = List.of(RequestReadTimeoutHandler.BYTES_NAME, "http", RequestReadTimeoutHandler.NAME, "keep-alive", ContentLimitHandler.NAME,
                "aggregate");
        org.cmglab.cmg.route.EndpointLimits limits = new org.cmglab.cmg.route.EndpointLimits(maxBody);
        long headTimeoutMs = Long.getLong(RequestReadTimeoutHandler.HEAD_TIMEOUT_PROPERTY,
                RequestReadTimeoutHandler.DEFAULT_HEAD_TIMEOUT_MS);
        long bodyIdleMs = Long.getLong(RequestReadTimeoutHandler.BODY_IDLE_PROPERTY,
                RequestReadTimeoutHandler.DEFAULT_BODY_IDLE_MS);
        long idleTimeoutMs = Long.getLong(RequestReadTimeoutHandler.IDLE_TIMEOUT_PROPERTY,
                RequestReadTimeoutHandler.DEFAULT_IDLE_TIMEOUT_MS);
        Channel ch = new ServerBootstrap()
                .group(boss, workers)
                .channel(EventLoops.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        RequestReadTimeoutHandler timeouts = new RequestReadTimeoutHandler(idleTimeoutMs, headTimeoutMs,
                                bodyIdleMs);
                        c.pipeline().addLast("ssl", ssl.newHandler(c.alloc()))
                                .addLast(RequestReadTimeoutHandler.BYTES_NAME, timeouts.bytesWatcher())
                                .addLast("http", new HttpServerCodec(16 * 1024, 32 * 1024, 64 * 1024))
                                .addLast(RequestReadTimeoutHandler.NAME, timeouts)
                                .addLast(ContentLimitHandler.NAME, new ContentLimitHandler(limits, fd))
                                .addLast("keep-alive", new HttpServerKeepAliveHandler())
                                .addLast("aggregate", new HttpObjectAggregator(maxBody))
                                .addLast(FrontDoorHandler.NAME, new FrontDoorHandler(fd, channelOnly, http));
                    }
                })
                .bind(bind).sync().channel();
        return new FrontDoorServer(ch);
    }

    public InetSocketAddress boundAddress() {
        return (InetSocketAddress) server.localAddress();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
    }
}
