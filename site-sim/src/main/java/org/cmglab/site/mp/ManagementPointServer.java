package org.cmglab.site.mp;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.function.Consumer;
import org.cmglab.proto.runtime.EventLoops;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Netty HTTP(S) listener for the emulated management point's {@code /SMS_MP/.sms_aut} endpoint.
 *
 * <p>Pipeline: [ssl] → HttpServerCodec(8 KiB initial line, 16 KiB headers) → HttpServerKeepAliveHandler →
 * HttpObjectAggregator(1 MiB) → {@link MpHttpHandler}. The event loop group is owned by the caller and is not
 * shut down by {@link #close()}.</p>
 */
public final class ManagementPointServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ManagementPointServer.class);

    static final int MAX_INITIAL_LINE = 8 * 1024;
    static final int MAX_HEADER_SIZE = 16 * 1024;
    static final int MAX_CHUNK_SIZE = 8 * 1024;
    static final int MAX_CONTENT = 1024 * 1024;

    private final Channel serverChannel;
    private final ChannelGroup children;
    private final InetSocketAddress boundAddress;

    private ManagementPointServer(Channel serverChannel, ChannelGroup children) {
        this.serverChannel = serverChannel;
        this.children = children;
        this.boundAddress = (InetSocketAddress) serverChannel.localAddress();
    }

    /**
     * Binds and starts serving.
     *
     * @param bind      address to bind (port 0 for ephemeral)
     * @param sslOrNull server SSL context for HTTPS, or {@code null} for plain HTTP
     * @param responder produces the {@code .sms_aut} replies
     * @param observer  invoked once per request (may be {@code null})
     * @param group     event loop group of {@link EventLoops} (epoll or NIO) used for accepting and serving (caller-owned)
     */
    public static ManagementPointServer start(InetSocketAddress bind, SslContext sslOrNull, SmsAutResponder responder,
                                              Consumer<MpRequestRecord> observer, EventLoopGroup group) {
        return start(bind, sslOrNull, responder, observer, group, new ReceivedRequestRecorder(), null, null);
    }

    /**
     * As above, with a handler placed before the {@code .sms_aut} handler (CcmMessaging and {@code .sms_pol}: a
     * {@code @Sharable} instance, or null for none).
     */
    public static ManagementPointServer start(InetSocketAddress bind, SslContext sslOrNull, SmsAutResponder responder,
                                              Consumer<MpRequestRecord> observer, EventLoopGroup group,
                                              io.netty.channel.ChannelHandler messagingOrNull) {
        return start(bind, sslOrNull, responder, observer, group, new ReceivedRequestRecorder(), null, messagingOrNull);
    }

    /**
     * As above; {@code received} records every request as it arrived (for the header/verb matrix),
     * {@code ccmStsOrNull} is a shared handler for {@code CCM_STS} and {@code messagingOrNull} one for CcmMessaging
     * and {@code .sms_pol}, both in front of the {@code .sms_aut} handler (they pass other requests on).
     */
    public static ManagementPointServer start(InetSocketAddress bind, SslContext sslOrNull, SmsAutResponder responder,
                                              Consumer<MpRequestRecord> observer, EventLoopGroup group,
                                              ReceivedRequestRecorder received,
                                              io.netty.channel.ChannelHandler ccmStsOrNull,
                                              io.netty.channel.ChannelHandler messagingOrNull) {
        return start(bind, sslOrNull, responder, observer, group, received, ccmStsOrNull, messagingOrNull, null);
    }

    /** As above; {@code slowdownOrNull} (site-sim's admin {@code POST /slow}) delays every request when set. */
    public static ManagementPointServer start(InetSocketAddress bind, SslContext sslOrNull, SmsAutResponder responder,
                                              Consumer<MpRequestRecord> observer, EventLoopGroup group,
                                              ReceivedRequestRecorder received,
                                              io.netty.channel.ChannelHandler ccmStsOrNull,
                                              io.netty.channel.ChannelHandler messagingOrNull,
                                              MpSlowdown slowdownOrNull) {
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(responder, "responder");
        Objects.requireNonNull(group, "group");
        ChannelGroup children = new DefaultChannelGroup("mp-children", GlobalEventExecutor.INSTANCE);
        BitsUploadHandler bits = new BitsUploadHandler();
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(EventLoops.serverChannelClass())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        children.add(ch);
                        ChannelPipeline p = ch.pipeline();
                        if (sslOrNull != null) {
                            p.addLast("ssl", sslOrNull.newHandler(ch.alloc()));
                        }
                        p.addLast("http", new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_SIZE, MAX_CHUNK_SIZE));
                        p.addLast("keepalive", new HttpServerKeepAliveHandler());
                        p.addLast("chunked", new io.netty.handler.stream.ChunkedWriteHandler());
                        p.addLast("aggregator", new HttpObjectAggregator(MAX_CONTENT));
                        p.addLast("received", received);
                        if (slowdownOrNull != null) {
                            p.addLast("slowdown", slowdownOrNull);
                        }
                        p.addLast("verbs", new SiteVerbsHandler(bits, observer));
                        p.addLast("dp-content", new LabContentHandler());
                        if (ccmStsOrNull != null) {
                            p.addLast("ccm-sts", ccmStsOrNull);
                        }
                        if (messagingOrNull != null) {
                            p.addLast("ccm-messaging", messagingOrNull);
                        }
                        p.addLast("mp", new MpHttpHandler(responder, observer));
                        p.addLast("tail-errors", new ChannelInboundHandlerAdapter() {
                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                log.warn("MP connection {} error: {}", ctx.channel().remoteAddress(), cause.toString());
                                ctx.close();
                            }
                        });
                    }
                });
        Channel ch = b.bind(bind).syncUninterruptibly().channel();
        ManagementPointServer server = new ManagementPointServer(ch, children);
        log.info("Management point listening on {} ({})", server.boundAddress, sslOrNull != null ? "https" : "http");
        return server;
    }

    public InetSocketAddress boundAddress() {
        return boundAddress;
    }

    /** Whether the listening socket is still open. */
    public boolean isListening() {
        return serverChannel.isActive();
    }

    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        children.close().awaitUninterruptibly();
        log.info("Management point on {} stopped", boundAddress);
    }
}
