package org.cmglab.proto.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.resolver.DefaultAddressResolverGroup;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.ClientAuthMode;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.TlsContexts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link LabHttpClient} against loopback Netty servers (HTTPS with a lab-CA certificate, and plain HTTP). */
class LabHttpClientTest {
    private static EventLoopGroup group;
    private static LabCa ca;
    private static Channel https;
    private static Channel http;
    private static SslContext clientTls;
    private static HostMap hosts;

    @BeforeAll
    static void start() throws Exception {
        group = EventLoops.newGroup(2, "http-client-test");
        ca = LabCa.createEphemeral();
        IssuedCert mgmt = ca.issue(CertSpec.server("management.azure.com", List.of("management.azure.com"), List.of()));
        SslContext serverTls = TlsContexts.server(mgmt, ClientAuthMode.NONE, List.of());
        https = server(new InetSocketAddress("127.0.0.1", 0), serverTls);
        http = server(new InetSocketAddress("127.0.0.1", 0), null);
        clientTls = TlsContexts.client(List.of(ca.root()), null);
        hosts = new HostMap(Map.of("management.azure.com", "127.0.0.1", "other.example.com", "127.0.0.1"));
    }

    @AfterAll
    static void stop() {
        https.close().syncUninterruptibly();
        http.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static Channel server(InetSocketAddress bind, SslContext tls) throws InterruptedException {
        return new ServerBootstrap().group(group).channel(EventLoops.serverChannelClass())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                new SimpleChannelInboundHandler<FullHttpRequest>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                        respond(ctx, req);
                                    }
                                });
                    }
                }).bind(bind).sync().channel();
    }

    private static void respond(ChannelHandlerContext ctx, FullHttpRequest req) {
        String path = req.uri();
        if (path.startsWith("/silent")) {
            return; // never answers
        }
        byte[] body;
        if (path.startsWith("/huge")) {
            body = new byte[LabHttpClient.MAX_RESPONSE_BYTES + 1];
        } else {
            body = (req.method() + " " + path + " host=" + req.headers().get(HttpHeaderNames.HOST) + " body="
                    + req.content().toString(StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        }
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                path.startsWith("/missing") ? HttpResponseStatus.NOT_FOUND : HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(body));
        res.headers().set("X-Test", "yes");
        HttpUtil.setContentLength(res, body.length);
        ctx.writeAndFlush(res);
    }

    private static int port(Channel c) {
        return ((InetSocketAddress) c.localAddress()).getPort();
    }

    private LabHttpClient client() {
        return new LabHttpClient(group, clientTls, LabHttpClient.staticResolver(hosts));
    }

    @Test
    void httpsWithHostNameVerificationAndBody() throws Exception {
        URI u = URI.create("https://management.azure.com:" + port(https) + "/subscriptions/s?api-version=1");
        var res = client().send(HttpMethod.PUT, u, new DefaultHttpHeaders().set("Content-Type", "application/json"),
                "{\"a\":1}".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
        assertThat(res.status()).isEqualTo(200);
        assertThat(res.headers().get("X-Test")).isEqualTo("yes");
        assertThat(res.bodyText()).isEqualTo("PUT /subscriptions/s?api-version=1 host=management.azure.com:"
                + port(https) + " body={\"a\":1}");
    }

    @Test
    void errorStatusIsAResponseNotAFailure() throws Exception {
        var res = client().get(URI.create("http://127.0.0.1:" + port(http) + "/missing"), null).get(10, TimeUnit.SECONDS);
        assertThat(res.status()).isEqualTo(404);
        assertThat(res.reason()).isEqualTo("Not Found");
    }

    @Test
    void wrongHostNameFailsTheHandshake() {
        var f = client().get(URI.create("https://other.example.com:" + port(https) + "/"), null);
        assertThat(f).failsWithin(10, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
                .satisfies(e -> assertThat(e.getCause().toString()).containsIgnoringCase("SSL"));
    }

    @Test
    void unknownHostIsAnError() {
        var f = client().get(URI.create("https://nowhere.example.net/"), null);
        assertThat(f).failsWithin(5, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(IllegalArgumentException.class)
                .withMessageContaining("unknown host nowhere.example.net");
    }

    @Test
    void nonLoopbackAddressIsRefused() {
        var c = new LabHttpClient(group, clientTls, DefaultAddressResolverGroup.INSTANCE);
        var f = c.get(URI.create("http://192.0.2.1:80/"), null);
        assertThat(f).failsWithin(5, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(IllegalArgumentException.class)
                .withMessageContaining("not a loopback address");
    }

    @Test
    void responseTimeout() {
        var c = new LabHttpClient(group, clientTls, LabHttpClient.staticResolver(hosts), Duration.ofSeconds(2),
                Duration.ofMillis(300));
        var f = c.get(URI.create("http://127.0.0.1:" + port(http) + "/silent"), null);
        assertThat(f).failsWithin(5, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(TimeoutException.class);
    }

    @Test
    void oversizedResponseIsRefused() {
        var f = client().get(URI.create("http://127.0.0.1:" + port(http) + "/huge"), null);
        assertThat(f).failsWithin(20, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
                .satisfies(e -> assertThat(e.getCause().toString()).contains("larger than"));
    }

    @Test
    void connectionRefused() throws Exception {
        int closedPort;
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            closedPort = s.getLocalPort();
        }
        var f = client().get(URI.create("http://127.0.0.1:" + closedPort + "/"), null);
        assertThat(f).failsWithin(10, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(java.net.ConnectException.class);
    }
}
