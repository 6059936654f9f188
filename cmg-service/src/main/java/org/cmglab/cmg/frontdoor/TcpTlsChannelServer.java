package org.cmglab.cmg.frontdoor;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.UUID;
import org.cmglab.cmg.channel.GatewayChannelHandler;
import org.cmglab.proto.channel.ChannelPipelines;
import org.cmglab.proto.pki.ClientCertValidator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TCP-TLS channel listener of a classic CMG instance (10140+i): the connection point's socket carries the
 * channel's HTTP/2 directly after TLS, with no HTTP/1.1 upgrade. Pipeline: {@code ssl → tcp-tls}, then, once the
 * handshake succeeded and the connection point certificate passed {@link ConnectorCertificateCheck},
 * {@code idle → ssl → h2 → mux → ping → window → channel} ({@link ChannelPipelines#installGatewaySide}).
 */
public final class TcpTlsChannelServer implements AutoCloseable {
    public static final String TRANSPORT = "TCP-TLS";
    private static final Logger log = LoggerFactory.getLogger(TcpTlsChannelServer.class);

    private final Channel server;

    private TcpTlsChannelServer(Channel server) {
        this.server = server;
    }

    /** {@code ssl} should request a client certificate listing the connector roots (DEFERRED). */
    public static TcpTlsChannelServer start(InetSocketAddress bind, EventLoopGroup boss, EventLoopGroup workers,
                                            SslContext ssl, FrontDoorContext fd) throws InterruptedException {
        Channel ch = new ServerBootstrap()
                .group(boss, workers)
                .channel(org.cmglab.proto.runtime.EventLoops.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast("ssl", ssl.newHandler(c.alloc())).addLast("tcp-tls", new Accept(fd));
                    }
                })
                .bind(bind).sync().channel();
        return new TcpTlsChannelServer(ch);
    }

    public InetSocketAddress boundAddress() {
        return (InetSocketAddress) server.localAddress();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
    }

    /** Waits for the TLS handshake, checks the connector certificate and turns the socket into a channel. */
    static final class Accept extends ChannelInboundHandlerAdapter {
        private final FrontDoorContext fd;

        Accept(FrontDoorContext fd) {
            this.fd = fd;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (!(evt instanceof SslHandshakeCompletionEvent e)) {
                super.userEventTriggered(ctx, evt);
                return;
            }
            if (!e.isSuccess()) {
                log.warn("TCP-TLS channel from {}: TLS handshake failed: {}", ctx.channel().remoteAddress(),
                        e.cause().toString());
                ctx.close();
                return;
            }
            // no upgrade header on this transport: a local id until the hello names the connection point's own
            String connectionId = "tcp-" + UUID.randomUUID();
            ClientCertValidator.Result r = ConnectorCertificateCheck.validate(ctx, fd);
            if (!r.ok()) {
                log.warn("Refused TCP-TLS channel {} from {}: {}", connectionId, ctx.channel().remoteAddress(),
                        r.detail());
                ctx.close();
                return;
            }
            int localPort = ((InetSocketAddress) ctx.channel().localAddress()).getPort();
            log.info("Accepting TCP-TLS channel {} from {}, certificate {}", connectionId,
                    ctx.channel().remoteAddress(), ConnectorCertificateCheck.subject(r));
            ctx.pipeline().remove(this);
            ChannelPipelines.installGatewaySide(ctx.channel(), fd.settings(), "channel " + connectionId,
                    new GatewayChannelHandler(fd.registry(), TRANSPORT, localPort, ConnectorCertificateCheck.subject(r),
                            fd.siteCode(), connectionId, fd.settings().handshakeTimeout()));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg); // nothing may arrive before the handshake completes
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("TCP-TLS channel from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }
}
