package org.cmglab.site.sup;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Clock;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.runtime.EventLoops;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The emulated software update point: WSUS's client web service on HTTP (8530) and/or HTTPS (8531).
 * Pipeline: [ssl] → HttpServerCodec(8 KiB line, 16 KiB headers) → HttpObjectAggregator(1 MiB; 413 above) →
 * {@link WsusHttpHandler}. The event loop group is the caller's.
 */
public final class SoftwareUpdatePointServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SoftwareUpdatePointServer.class);
    static final int MAX_CONTENT = 1024 * 1024;

    private final Channel http;
    private final Channel https;
    private final ChannelGroup children;

    private SoftwareUpdatePointServer(Channel http, Channel https, ChannelGroup children) {
        this.http = http;
        this.https = https;
        this.children = children;
    }

    public static SoftwareUpdatePointServer start(String name, Endpoint httpOrNull, Endpoint httpsOrNull,
                                                  SslContext tlsOrNull, FlowEventLog events, EventLoopGroup group) {
        ChannelGroup children = new DefaultChannelGroup("sup-children", GlobalEventExecutor.INSTANCE);
        WsusSoap soap = new WsusSoap(Clock.systemUTC());
        Channel http = httpOrNull == null ? null : bind(httpOrNull, null, soap, events, name, group, children);
        Channel https = httpsOrNull == null ? null : bind(httpsOrNull, tlsOrNull, soap, events, name, group, children);
        SoftwareUpdatePointServer s = new SoftwareUpdatePointServer(http, https, children);
        log.info("Software update point {} (WSUS client web service) listening on {} (http) {} (https)", name,
                s.httpAddress(), s.httpsAddress());
        return s;
    }

    private static Channel bind(Endpoint at, SslContext tls, WsusSoap soap, FlowEventLog events, String name,
                                EventLoopGroup group, ChannelGroup children) {
        return new ServerBootstrap().group(group).channel(EventLoops.serverChannelClass())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        children.add(ch);
                        if (tls != null) {
                            ch.pipeline().addLast("ssl", tls.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast("http", new HttpServerCodec(8 * 1024, 16 * 1024, 8 * 1024))
                                .addLast("aggregator", new HttpObjectAggregator(MAX_CONTENT))
                                .addLast("wsus", new WsusHttpHandler(soap, events, name));
                    }
                }).bind(at.socketAddress()).syncUninterruptibly().channel();
    }

    /** The HTTP listener's address, or null. */
    public InetSocketAddress httpAddress() {
        return http == null ? null : (InetSocketAddress) http.localAddress();
    }

    /** The HTTPS listener's address, or null. */
    public InetSocketAddress httpsAddress() {
        return https == null ? null : (InetSocketAddress) https.localAddress();
    }

    public boolean isListening() {
        return (http == null || http.isActive()) && (https == null || https.isActive());
    }

    @Override
    public void close() {
        if (http != null) {
            http.close().syncUninterruptibly();
        }
        if (https != null) {
            https.close().syncUninterruptibly();
        }
        children.close().awaitUninterruptibly();
    }
}
