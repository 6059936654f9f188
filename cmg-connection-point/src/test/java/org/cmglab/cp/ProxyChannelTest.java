package org.cmglab.cp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.cmglab.cp.ConnectionPointIntegrationTest.CP_NAME;
import static org.cmglab.cp.ConnectionPointIntegrationTest.MP;
import static org.cmglab.cp.ConnectionPointIntegrationTest.ROLE;
import static org.cmglab.cp.ConnectionPointIntegrationTest.SVC;
import static org.cmglab.cp.ConnectionPointIntegrationTest.WAIT;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.cmglab.cp.ConnectionPointIntegrationTest.FakeCmg;
import org.cmglab.cp.ConnectionPointIntegrationTest.FakeMp;
import org.cmglab.cp.ConnectionPointIntegrationTest.Hello;
import org.cmglab.cp.ConnectionPointIntegrationTest.Resp;
import org.cmglab.cp.dial.ChannelDialer;
import org.cmglab.cp.dial.WebProxyDial;
import org.cmglab.proto.config.ChannelTimings;
import org.cmglab.proto.config.ConnectionPointConfig;
import org.cmglab.proto.config.ConnectionPointConfig.ChannelTarget;
import org.cmglab.proto.config.ConnectionPointConfig.WebProxy;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.config.RoleRoute;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.EventLoops;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS channels through a web proxy (HTTP CONNECT): a Netty CONNECT proxy written here (with and without Basic
 * authentication, refusing, down then back) and a real tinyproxy started as a child process. The fake CMG and MP
 * are those of {@link ConnectionPointIntegrationTest}.
 */
class ProxyChannelTest {
    static final String USER = "cmgproxy";
    static final String PASSWORD = "Pr0xy-Secret!";
    static final Path TINYPROXY = Path.of("/usr/bin/tinyproxy");
    /** tinyproxy's config syntax takes only letters and digits for a BasicAuth password. */
    static final String TINY_PASSWORD = "TinySecret42";

    @TempDir
    static Path dir;
    static IssuedCert cmgCert;
    static Path rootPem;
    static FakeMp mp;
    static ComponentRuntime rt;

    @BeforeAll
    static void start() throws Exception {
        // the fakes of ConnectionPointIntegrationTest read its static CA and event loops
        ConnectionPointIntegrationTest.ca = LabCa.createEphemeral();
        LabCa ca = ConnectionPointIntegrationTest.ca;
        rootPem = dir.resolve("root.pem");
        Files.writeString(rootPem, Pem.toPem(ca.root()));
        ca.issue(CertSpec.server(SVC, List.of(SVC), List.of())).writePem(dir.resolve("cmg.crt.pem"), dir.resolve("cmg.key.pem"));
        ca.issue(CertSpec.client(CP_NAME)).writePem(dir.resolve("cp.crt.pem"), dir.resolve("cp.key.pem"));
        ca.issue(CertSpec.server(MP, List.of(MP), List.of())).writePem(dir.resolve("mp.crt.pem"), dir.resolve("mp.key.pem"));
        cmgCert = IssuedCert.readPem(dir.resolve("cmg.crt.pem"), dir.resolve("cmg.key.pem"));
        ConnectionPointIntegrationTest.fakes = EventLoops.newGroup(2, "proxy-test-peers");
        mp = new FakeMp(IssuedCert.readPem(dir.resolve("mp.crt.pem"), dir.resolve("mp.key.pem")));
        rt = new ComponentRuntime("cmg-connection-point-proxy-test", dir.resolve("logs"), "SMS_Cloud_ProxyConnector.log",
                "SMS_CLOUD_PROXYCONNECTOR", 2);
    }

    @AfterAll
    static void stop() {
        if (rt != null) {
            rt.close();
        }
        if (mp != null) {
            mp.close();
        }
        if (ConnectionPointIntegrationTest.fakes != null) {
            ConnectionPointIntegrationTest.fakes.shutdownGracefully(0, 2, TimeUnit.SECONDS)
                    .awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    static ConnectionPointConfig config(int cmgPort, WebProxy proxy) {
        return new ConnectionPointConfig(CP_NAME, "P01", "127.0.0.1",
                List.of(new ChannelTarget(0, SVC, cmgPort, "HTTPS")),
                new TlsFiles(dir.resolve("cp.crt.pem").toString(), dir.resolve("cp.key.pem").toString()),
                List.of(rootPem.toString()), List.of(new RoleRoute(ROLE, "MP", "https://" + MP + ":" + mp.port())),
                // the CMG name is known only to the CP's resolver: the proxy can only reach it by address
                Map.of(SVC, "127.0.0.1", MP, "127.0.0.1"), new Endpoint("127.0.0.1", 0),
                new ChannelTimings(1000, 1000), dir.resolve("logs").toString(), null, null, 0, proxy);
    }

    static ChannelDialer.Status status(ConnectionPoint cp) {
        return ConnectionPointIntegrationTest.channelStatus(cp);
    }

    /** Channel up through the proxy: hello at the fake CMG, one forwarded request answered by the MP. */
    static Hello assertChannelWorks(FakeCmg cmg, ConnectionPoint cp, String expectedProxy) throws Exception {
        Hello h = ConnectionPointIntegrationTest.awaitChannel(cmg);
        assertThat(h.hello().connector()).isEqualTo(CP_NAME);
        assertThat(cmg.upgrades).anySatisfy(u -> {
            assertThat(u.host()).isEqualTo(SVC); // Host header (and SNI) keep the CMG name
            assertThat(u.peerSubject()).isEqualTo("CN=" + CP_NAME);
        });
        await().atMost(WAIT).untilAsserted(() -> {
            ChannelDialer.Status s = status(cp);
            assertThat(s.state()).isEqualTo("Connected");
            assertThat(s.proxy()).isEqualTo(expectedProxy);
            assertThat(s.lastError()).isNull();
        });
        Resp r = ConnectionPointIntegrationTest.exchange(h, "GET",
                "/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST", List.of(), null, null, 0);
        assertThat(r.status()).isEqualTo(200);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(FakeMp.okBody("/SMS_MP/.sms_aut?MPLIST"));
        return h;
    }

    static String logText() throws IOException {
        StringBuilder sb = new StringBuilder();
        try (var files = Files.walk(dir.resolve("logs"))) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                sb.append(Files.readString(p, StandardCharsets.UTF_8));
            }
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------------------------------- Netty proxy

    @Test
    void channelGoesThroughAnUnauthenticatedProxy() throws Exception {
        try (FakeCmg cmg = new FakeCmg(cmgCert, false); ConnectProxy proxy = new ConnectProxy(0, null, false)) {
            WebProxy wp = new WebProxy("127.0.0.1", proxy.port(), null, null);
            ConnectionPoint cp = ConnectionPoint.start(config(cmg.port(), wp), rt);
            try {
                assertChannelWorks(cmg, cp, "127.0.0.1:" + proxy.port());
                // the proxy was asked for the lab address, never for the CMG name (nothing resolves outside the lab)
                assertThat(proxy.connects).isNotEmpty().allSatisfy(c -> assertThat(c.target())
                        .isEqualTo("127.0.0.1:" + cmg.port()));
                assertThat(proxy.tunnels).hasPositiveValue();
            } finally {
                cp.close();
            }
        }
    }

    @Test
    void channelGoesThroughAnAuthenticatingProxyWithTheProxyAccount() throws Exception {
        try (FakeCmg cmg = new FakeCmg(cmgCert, false); ConnectProxy proxy = new ConnectProxy(0, USER + ":" + PASSWORD, false)) {
            ConnectionPoint cp = ConnectionPoint.start(config(cmg.port(),
                    new WebProxy("127.0.0.1", proxy.port(), USER, PASSWORD)), rt);
            try {
                assertChannelWorks(cmg, cp, "127.0.0.1:" + proxy.port() + " (authenticated as " + USER + ")");
                assertThat(proxy.connects).anySatisfy(c -> assertThat(c.authorization()).isEqualTo("Basic "
                        + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8))));
                assertThat(cp.status().toString()).doesNotContain(PASSWORD);
            } finally {
                cp.close();
            }
        }
    }

    @Test
    void wrongProxyPasswordIs407InStatusAndLogAndNeverReachesTheCmg() throws Exception {
        try (FakeCmg cmg = new FakeCmg(cmgCert, false); ConnectProxy proxy = new ConnectProxy(0, USER + ":" + PASSWORD, false)) {
            String wrong = "not-the-" + PASSWORD;
            ConnectionPoint cp = ConnectionPoint.start(config(cmg.port(),
                    new WebProxy("127.0.0.1", proxy.port(), USER, wrong)), rt);
            try {
                await().atMost(WAIT).untilAsserted(() -> {
                    ChannelDialer.Status s = status(cp);
                    assertThat(s.state()).isIn("Disconnected", "Connecting");
                    assertThat(s.lastError()).contains("Failed to authenticate with proxy server 127.0.0.1:"
                            + proxy.port()).contains("HTTP 407 Proxy Authentication Required, account " + USER);
                    assertThat(s.failures()).isPositive();
                });
                await().atMost(WAIT).until(() -> proxy.connects.size() >= 2); // keeps retrying (backoff)
                assertThat(proxy.tunnels).hasValue(0);
                assertThat(cmg.upgrades).isEmpty();
                assertThat(status(cp).connects()).isZero();
                await().atMost(WAIT).untilAsserted(() -> assertThat(logText())
                        .contains("Failed to build Http connection").contains("Failed to authenticate with proxy server"));
                assertThat(logText()).doesNotContain(wrong).doesNotContain(PASSWORD);
            } finally {
                cp.close();
            }
        }
    }

    @Test
    void proxyRefusingTheTunnelIsShownWithItsStatus() throws Exception {
        try (FakeCmg cmg = new FakeCmg(cmgCert, false); ConnectProxy proxy = new ConnectProxy(0, null, true)) {
            ConnectionPoint cp = ConnectionPoint.start(config(cmg.port(),
                    new WebProxy("127.0.0.1", proxy.port(), null, null)), rt);
            try {
                await().atMost(WAIT).untilAsserted(() -> assertThat(status(cp).lastError())
                        .contains("proxy server 127.0.0.1:" + proxy.port()).contains("403"));
                assertThat(cmg.upgrades).isEmpty();
            } finally {
                cp.close();
            }
        }
    }

    @Test
    void proxyDownIsAConnectionErrorThenTheChannelRecoversWhenItIsBack() throws Exception {
        int port = freePort();
        try (FakeCmg cmg = new FakeCmg(cmgCert, false)) {
            ConnectionPoint cp = ConnectionPoint.start(config(cmg.port(), new WebProxy("127.0.0.1", port, null, null)), rt);
            try {
                await().atMost(WAIT).untilAsserted(() -> {
                    ChannelDialer.Status s = status(cp);
                    assertThat(s.lastError()).contains("Unable to connect to the proxy server 127.0.0.1:" + port);
                    assertThat(s.state()).isIn("Disconnected", "Connecting");
                });
                try (ConnectProxy proxy = new ConnectProxy(port, null, false)) {
                    // first retries come after 1 s, 2 s (±20 %): the channel is back well within 10 s
                    assertChannelWorks(cmg, cp, "127.0.0.1:" + port);
                    assertThat(status(cp).failures()).isPositive();
                    assertThat(proxy.tunnels).hasPositiveValue();
                }
            } finally {
                cp.close();
            }
        }
    }

    // ------------------------------------------------------------------------------------------- TCP-TLS rule

    @Test
    void tcpTlsChannelsNeverUseTheProxy() {
        WebProxy wp = new WebProxy("127.0.0.1", 3128, USER, PASSWORD);
        assertThat(WebProxyDial.usesProxy(new ChannelTarget(0, SVC, 10140, "TCP-TLS"), wp)).isFalse();
        assertThat(WebProxyDial.usesProxy(new ChannelTarget(0, SVC, 443, "HTTPS"), wp)).isTrue();
        assertThat(WebProxyDial.usesProxy(new ChannelTarget(0, SVC, 443, "HTTPS"), null)).isFalse();
        // a TCP-TLS dialer with a proxy configured shows (and uses) none
        ChannelDialer tcp = new ChannelDialer(CP_NAME, "P01", "127.0.0.1", new ChannelTarget(1, SVC, 10141, "TCP-TLS"),
                null, null, null, null, new ChannelTimings(1000, 1000).toSettings(), java.time.Duration.ofSeconds(60), null,
                rt.events(), wp);
        assertThat(tcp.status().proxy()).isNull();
        assertThat(tcp.status().transport()).isEqualTo("TCP-TLS");
    }

    @Test
    void proxySettingsAreLoopbackOnlyAndTheirPasswordIsNeverShown() {
        WebProxy wp = new WebProxy("127.0.0.1", 0, USER, PASSWORD);
        assertThat(wp.port()).isEqualTo(80); // the product's default proxy port
        assertThat(wp.describe()).isEqualTo("127.0.0.1:80 (authenticated as " + USER + ")");
        assertThat(wp.toString()).doesNotContain(PASSWORD);
        assertThat(new WebProxy("127.0.0.2", 8080, null, null).describe()).isEqualTo("127.0.0.2:8080");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new WebProxy("10.0.0.1", 8080, null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("127.0.0.0/8");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new WebProxy("127.0.0.1", 8080, USER, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------------------------------------- tinyproxy

    @Test
    void channelGoesThroughTinyproxy() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(TINYPROXY), "tinyproxy not installed (apt-get install tinyproxy)");
        try (FakeCmg cmg = new FakeCmg(cmgCert, false); Tinyproxy tp = new Tinyproxy(cmg.port(), null)) {
            ConnectionPoint cp = ConnectionPoint.start(config(cmg.port(), new WebProxy("127.0.0.1", tp.port, null, null)), rt);
            try {
                assertChannelWorks(cmg, cp, "127.0.0.1:" + tp.port);
                await().atMost(WAIT).untilAsserted(() -> assertThat(tp.log()).contains("CONNECT")
                        .contains("127.0.0.1:" + cmg.port()));
            } finally {
                cp.close();
            }
        }
    }

    @Test
    void channelGoesThroughTinyproxyWithBasicAuthAndAWrongPasswordIs407() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(TINYPROXY), "tinyproxy not installed (apt-get install tinyproxy)");
        try (FakeCmg cmg = new FakeCmg(cmgCert, false); Tinyproxy tp = new Tinyproxy(cmg.port(), USER + " " + TINY_PASSWORD)) {
            ConnectionPoint bad = ConnectionPoint.start(config(cmg.port(),
                    new WebProxy("127.0.0.1", tp.port, USER, "wrong-password")), rt);
            try {
                await().atMost(WAIT).untilAsserted(() -> assertThat(status(bad).lastError())
                        .contains("Failed to authenticate with proxy server 127.0.0.1:" + tp.port)
                        .containsAnyOf("HTTP 407", "HTTP 401")); // tinyproxy 1.11 answers 401 to a CONNECT
                assertThat(cmg.upgrades).isEmpty();
            } finally {
                bad.close();
            }
            ConnectionPoint cp = ConnectionPoint.start(config(cmg.port(),
                    new WebProxy("127.0.0.1", tp.port, USER, TINY_PASSWORD)), rt);
            try {
                assertChannelWorks(cmg, cp, "127.0.0.1:" + tp.port + " (authenticated as " + USER + ")");
            } finally {
                cp.close();
            }
        }
    }

    // -------------------------------------------------------------------------------------------------- helpers

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    /** tinyproxy as a child process, on 127.0.0.1 only, allowing CONNECT only to the fake CMG's port. */
    static final class Tinyproxy implements AutoCloseable {
        final int port;
        final Path logFile;
        private final Process process;

        Tinyproxy(int connectPort, String basicAuth) throws Exception {
            port = freePort();
            Path home = Files.createTempDirectory(dir, "tinyproxy");
            logFile = home.resolve("tinyproxy.log");
            Path conf = home.resolve("tinyproxy.conf");
            Files.writeString(conf, String.join("\n",
                    "Port " + port,
                    "Listen 127.0.0.1",
                    "Timeout 600",
                    "MaxClients 20",
                    "Allow 127.0.0.1",
                    "ConnectPort " + connectPort,
                    "DisableViaHeader Yes",
                    "LogFile \"" + logFile + "\"",
                    "LogLevel Connect",
                    "PidFile \"" + home.resolve("tinyproxy.pid") + "\"",
                    basicAuth == null ? "" : "BasicAuth " + basicAuth, ""));
            process = new ProcessBuilder(TINYPROXY.toString(), "-d", "-c", conf.toString())
                    .redirectErrorStream(true).redirectOutput(home.resolve("stdout.txt").toFile()).start();
            try {
                await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("tinyproxy exited with " + process.exitValue() + ": "
                                + Files.readString(home.resolve("stdout.txt")) + log());
                    }
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                        return true;
                    } catch (IOException e) {
                        return false;
                    }
                });
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        String log() throws IOException {
            return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    record Connect(String target, String authorization) {}

    /**
     * A CONNECT proxy on 127.0.0.1: optional Basic authentication (407 with {@code Proxy-Authenticate} when missing
     * or wrong), optionally refusing every tunnel (403); tunnels only to 127.x addresses, relaying bytes both ways.
     */
    static final class ConnectProxy implements AutoCloseable {
        final List<Connect> connects = new CopyOnWriteArrayList<>();
        final java.util.concurrent.atomic.AtomicInteger tunnels = new java.util.concurrent.atomic.AtomicInteger();
        private final String expectedAuth;
        private final boolean refuse;
        private final Channel server;
        private final List<Channel> open = new CopyOnWriteArrayList<>();

        ConnectProxy(int port, String userColonPassword, boolean refuse) throws InterruptedException {
            this.expectedAuth = userColonPassword == null ? null
                    : "Basic " + Base64.getEncoder().encodeToString(userColonPassword.getBytes(StandardCharsets.UTF_8));
            this.refuse = refuse;
            server = new ServerBootstrap().group(ConnectionPointIntegrationTest.fakes)
                    .channel(EventLoops.serverChannelClass())
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            open.add(ch);
                            ch.pipeline().addLast("http", new HttpServerCodec())
                                    .addLast("aggregate", new HttpObjectAggregator(8 * 1024))
                                    .addLast("connect", new ConnectHandler());
                        }
                    }).bind("127.0.0.1", port).sync().channel();
        }

        int port() {
            return ((InetSocketAddress) server.localAddress()).getPort();
        }

        @Override
        public void close() {
            server.close().syncUninterruptibly();
            open.forEach(c -> c.close().syncUninterruptibly());
        }

        private final class ConnectHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                String target = req.uri();
                connects.add(new Connect(target, req.headers().get(HttpHeaderNames.PROXY_AUTHORIZATION)));
                if (!HttpMethod.CONNECT.equals(req.method())) {
                    reply(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, true);
                    return;
                }
                if (expectedAuth != null && !expectedAuth.equals(req.headers().get(HttpHeaderNames.PROXY_AUTHORIZATION))) {
                    reply(ctx, HttpResponseStatus.PROXY_AUTHENTICATION_REQUIRED, true);
                    return;
                }
                int colon = target.lastIndexOf(':');
                String host = colon < 0 ? target : target.substring(0, colon);
                if (refuse || colon < 0 || !host.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) {
                    reply(ctx, HttpResponseStatus.FORBIDDEN, true); // only loopback addresses, never names
                    return;
                }
                int port = Integer.parseInt(target.substring(colon + 1));
                Channel in = ctx.channel();
                in.config().setAutoRead(false);
                new Bootstrap().group(in.eventLoop()).channel(EventLoops.socketChannelClass())
                        .option(ChannelOption.TCP_NODELAY, true)
                        .option(ChannelOption.AUTO_READ, false)
                        .handler(new Relay(in))
                        .connect(host, port).addListener((ChannelFutureListener) f -> {
                            if (!f.isSuccess()) {
                                reply(ctx, HttpResponseStatus.BAD_GATEWAY, true);
                                return;
                            }
                            Channel out = f.channel();
                            open.add(out);
                            tunnels.incrementAndGet();
                            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                    new HttpResponseStatus(200, "Connection established")));
                            // from here on raw bytes: the client waits for the 200 before sending its ClientHello
                            ctx.pipeline().remove("aggregate");
                            ctx.pipeline().remove("http");
                            ctx.pipeline().replace("connect", "relay", new Relay(out));
                            in.config().setAutoRead(true);
                            out.config().setAutoRead(true);
                        });
            }

            private void reply(ChannelHandlerContext ctx, HttpResponseStatus status, boolean close) {
                FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                        Unpooled.copiedBuffer(status.toString(), StandardCharsets.UTF_8));
                HttpUtil.setContentLength(r, r.content().readableBytes());
                if (status.code() == 407) {
                    r.headers().set(HttpHeaderNames.PROXY_AUTHENTICATE, "Basic realm=\"cmglab\"");
                }
                if (close) {
                    r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                    ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
                } else {
                    ctx.writeAndFlush(r);
                }
            }
        }

        /** Writes what one side reads to the other; closes the other side when one closes. */
        private static final class Relay extends ChannelInboundHandlerAdapter {
            private final Channel other;

            Relay(Channel other) {
                this.other = other;
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (other.isActive()) {
                    other.writeAndFlush(msg);
                } else {
                    ReferenceCountUtil.release(msg);
                }
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                if (other.isActive()) {
                    other.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        }
    }
}
