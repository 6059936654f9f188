package org.cmglab.proto.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.ClientAuthMode;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.EventLoops;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** TCP-TLS transport over real loopback sockets: HTTP/2 with reversed roles straight after TLS, no upgrade. */
class ConnectorTlsHandlerTest {
    static final String SVC = "GraniteFalls.contoso.com";
    static EventLoopGroup group;
    static LabCa ca;
    static SslContext gatewayTls;
    static Channel server;
    static final ChannelSettings S = ChannelSettings.defaults();

    @BeforeAll
    static void start() throws Exception {
        group = EventLoops.newGroup(2, "tcptls-test");
        ca = LabCa.createEphemeral();
        gatewayTls = TlsContexts.server(ca.issue(CertSpec.server(SVC, List.of(SVC), List.of())), ClientAuthMode.REQUIRE,
                List.of(ca.root()));
        server = new ServerBootstrap().group(group).channel(EventLoops.serverChannelClass())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(gatewayTls.newHandler(ch.alloc())).addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                if (evt instanceof SslHandshakeCompletionEvent e && e.isSuccess()) {
                                    ctx.pipeline().remove(this);
                                    ChannelPipelines.installGatewaySide(ctx.channel(), S, "gw",
                                            new ChannelInboundHandlerAdapter());
                                    ACCEPTED.add(ctx.channel()); // only once the HTTP/2 client side is in place
                                }
                            }
                        });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    @AfterAll
    static void stop() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static Channel dial(SslContext cpTls, Promise<Void> result) throws InterruptedException {
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        return new Bootstrap().group(group).channel(EventLoops.socketChannelClass())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("ssl", cpTls.newHandler(ch.alloc(), SVC, port))
                                .addLast("tcp-tls", new ConnectorTlsHandler(result, ctx ->
                                        ChannelPipelines.installConnectorSide(ctx.channel(), S, "cp", new Echo(),
                                                new ChannelInboundHandlerAdapter())));
                    }
                }).connect("127.0.0.1", port).sync().channel();
    }

    @Test
    void http2RunsDirectlyAfterTlsWithReversedRoles() throws Exception {
        SslContext cpTls = TlsContexts.client(List.of(ca.root()), ca.issue(CertSpec.client("cmgcp01.corp.contoso.com")));
        Promise<Void> up = group.next().newPromise();
        Channel cp = dial(cpTls, up);
        try {
            assertThat(up.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(up.isSuccess()).as("%s", up.cause()).isTrue();
            assertThat(cp.pipeline().get(ConnectorTlsHandler.class)).isNull();
            assertThat(cp.pipeline().get(ChannelPipelines.H2)).isNotNull();
            // the CMG side (HTTP/2 client) opens a stream on its accepted socket and reads the echo
            Channel gw = awaitAccepted();
            CompletableFuture<String> answer = new CompletableFuture<>();
            new Http2StreamChannelBootstrap(gw).handler(new ChannelInboundHandlerAdapter() {
                private final StringBuilder body = new StringBuilder();

                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    if (msg instanceof Http2DataFrame d) {
                        body.append(d.content().toString(StandardCharsets.UTF_8));
                        if (d.isEndStream()) {
                            answer.complete(body.toString());
                        }
                    }
                    ReferenceCountUtil.release(msg);
                }
            }).open().addListener(f -> {
                if (!f.isSuccess()) {
                    answer.completeExceptionally(f.cause());
                    return;
                }
                ((Http2StreamChannel) f.getNow()).writeAndFlush(new DefaultHttp2HeadersFrame(
                        new DefaultHttp2Headers().method("GET").path("/x").scheme("https").authority(SVC), true));
            });
            assertThat(answer.get(10, TimeUnit.SECONDS)).isEqualTo("echo /x");
        } finally {
            cp.close().syncUninterruptibly();
        }
    }

    @Test
    void aCmgCertificateFromAnotherCaFailsTheResult() throws Exception {
        LabCa other = LabCa.createEphemeral();
        SslContext cpTls = TlsContexts.client(List.of(other.root()), ca.issue(CertSpec.client("cmgcp01.corp.contoso.com")));
        Promise<Void> up = group.next().newPromise();
        Channel cp = dial(cpTls, up);
        assertThat(up.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(up.cause()).isInstanceOf(SSLException.class);
        assertThat(cp.closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(cp.pipeline().get(ChannelPipelines.H2)).isNull();
    }

    private static final java.util.concurrent.LinkedBlockingQueue<Channel> ACCEPTED = new java.util.concurrent.LinkedBlockingQueue<>();

    private static Channel awaitAccepted() throws InterruptedException {
        Channel c = ACCEPTED.poll(10, TimeUnit.SECONDS);
        assertThat(c).as("accepted TCP-TLS channel").isNotNull();
        return c;
    }

    /** Connection point streams: answer "echo <path>". */
    private static final class Echo extends ChannelInitializer<Http2StreamChannel> {
        @Override
        protected void initChannel(Http2StreamChannel ch) {
            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    try {
                        if (msg instanceof Http2HeadersFrame h && h.isEndStream()) {
                            ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")));
                            ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.copiedBuffer("echo "
                                    + h.headers().path(), StandardCharsets.UTF_8), true));
                        }
                    } finally {
                        ReferenceCountUtil.release(msg);
                    }
                }
            });
        }
    }
}
