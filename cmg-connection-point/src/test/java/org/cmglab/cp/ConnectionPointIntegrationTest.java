package org.cmglab.cp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import org.cmglab.cp.dial.ChannelDialer;
import org.cmglab.proto.channel.ChannelHello;
import org.cmglab.proto.channel.ChannelPipelines;
import org.cmglab.proto.channel.ChannelProtocol;
import org.cmglab.proto.channel.ChannelSettings;
import org.cmglab.proto.channel.GatewayUpgrade;
import org.cmglab.proto.channel.HeaderNames;
import org.cmglab.proto.config.ChannelTimings;
import org.cmglab.proto.config.ConnectionPointConfig;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.config.RoleRoute;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.flow.FlowEvent;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.ClientAuthMode;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.EventLoops;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real connection point on loopback between a fake CMG (built from the channel library: it accepts the upgrade,
 * asks for the hello and opens one stream per client request) and a fake MP (HTTPS, scripted answers): dialling,
 * URL rewrite, header-name and reason-phrase fidelity, streaming, failures, and reconnect.
 */
class ConnectionPointIntegrationTest {
    static final String SVC = "GraniteFalls.contoso.com";
    static final String CP_NAME = "cmgcp01.corp.contoso.com";
    static final String MP = "mp01.corp.contoso.com";
    static final String ROLE = "72057594037927939";
    /** A second MP role whose internal URL points at a port nothing listens on. */
    static final String DOWN_ROLE = "72057594037927940";
    static final int BIG = 5 * 1024 * 1024;
    static final int PIECE = 64 * 1024;
    static final byte[] BIG_BODY = new byte[BIG];
    static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    static Path dir;
    static LabCa ca;
    static Path rootPem;
    static IssuedCert cmgCert;
    static EventLoopGroup fakes;
    static ComponentRuntime rt;
    static FakeMp mp;
    static FakeCmg cmg;
    static ConnectionPoint cp;
    static int downPort;

    @BeforeAll
    static void start() throws Exception {
        new Random(42).nextBytes(BIG_BODY);
        ca = LabCa.createEphemeral();
        rootPem = dir.resolve("root.pem");
        Files.writeString(rootPem, Pem.toPem(ca.root()));
        ca.issue(CertSpec.server(SVC, List.of(SVC), List.of())).writePem(dir.resolve("cmg.crt.pem"), dir.resolve("cmg.key.pem"));
        ca.issue(CertSpec.client(CP_NAME)).writePem(dir.resolve("cp.crt.pem"), dir.resolve("cp.key.pem"));
        ca.issue(CertSpec.server(MP, List.of(MP), List.of())).writePem(dir.resolve("mp.crt.pem"), dir.resolve("mp.key.pem"));
        cmgCert = IssuedCert.readPem(dir.resolve("cmg.crt.pem"), dir.resolve("cmg.key.pem"));

        fakes = EventLoops.newGroup(2, "fake-peers");
        mp = new FakeMp(IssuedCert.readPem(dir.resolve("mp.crt.pem"), dir.resolve("mp.key.pem")));
        cmg = new FakeCmg(cmgCert, false);
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            downPort = s.getLocalPort();
        }
        rt = new ComponentRuntime("cmg-connection-point-test", dir.resolve("logs"), "SMS_Cloud_ProxyConnector.log",
                "SMS_CLOUD_PROXYCONNECTOR", 2);
        cp = ConnectionPoint.start(config(cmg.port()), rt);
    }

    @AfterAll
    static void stop() {
        if (cp != null) {
            cp.close();
        }
        if (rt != null) {
            rt.close();
        }
        if (cmg != null) {
            cmg.close();
        }
        if (mp != null) {
            mp.close();
        }
        if (fakes != null) {
            fakes.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    static ConnectionPointConfig config(int cmgPort) {
        return new ConnectionPointConfig(CP_NAME, "P01", "127.0.0.1",
                List.of(ConnectionPointConfig.ChannelTarget.https(0, SVC, cmgPort)),
                new TlsFiles(dir.resolve("cp.crt.pem").toString(), dir.resolve("cp.key.pem").toString()),
                List.of(rootPem.toString()),
                List.of(new RoleRoute(ROLE, "MP", "https://" + MP + ":" + mp.port()),
                        new RoleRoute(DOWN_ROLE, "MP", "https://" + MP + ":" + downPort)),
                Map.of(SVC, "127.0.0.1", MP, "127.0.0.1"), new Endpoint("127.0.0.1", 0),
                new ChannelTimings(1000, 1000), dir.resolve("logs").toString(), null, null, 0, null);
    }

    // ---------------------------------------------------------------------------------------------------- tests

    @Test
    void f2DialsUpgradesAndSaysHello() {
        Hello h = awaitChannel(cmg);
        assertThat(h.hello().protocol()).isEqualTo(ChannelProtocol.UPGRADE_TOKEN);
        assertThat(h.hello().connector()).isEqualTo(CP_NAME);
        assertThat(h.hello().siteCode()).isEqualTo("P01");
        assertThat(h.hello().transport()).isEqualTo("HTTPS");
        assertThat(h.hello().roles()).contains(new ChannelHello.Role(ROLE, "MP"), new ChannelHello.Role(DOWN_ROLE, "MP"));
        assertThat(h.hello().connectionId()).isNotBlank();

        // the upgrade request named the CP and its site, over mutual TLS with the CP's client certificate
        Upgrade up = cmg.upgrades.stream().filter(u -> h.hello().connectionId().equals(u.connectionId()))
                .findFirst().orElseThrow();
        assertThat(up.connector()).isEqualTo(CP_NAME);
        assertThat(up.site()).isEqualTo("P01");
        assertThat(up.host()).isEqualTo(SVC);
        assertThat(up.peerSubject()).isEqualTo("CN=" + CP_NAME);

        await().atMost(WAIT).untilAsserted(() -> {
            ChannelDialer.Status s = channelStatus(cp);
            assertThat(s.state()).isEqualTo("Connected");
            assertThat(s.connectionId()).isEqualTo(h.hello().connectionId());
            assertThat(s.host()).isEqualTo(SVC);
            assertThat(s.port()).isEqualTo(cmg.port());
            assertThat(s.lastError()).isNull();
        });
        assertThat(cp.anyConnected()).isTrue();
        assertThat(cp.status()).containsEntry("name", CP_NAME).containsEntry("siteCode", "P01");

        List<FlowEvent> f2 = f2Ok();
        assertThat(f2).isNotEmpty();
        assertThat(f2).anySatisfy(e -> {
            assertThat(e.from()).isEqualTo("cmg-connection-point");
            assertThat(e.to()).isEqualTo("cmg-service/0");
            assertThat(e.port()).isEqualTo(cmg.port());
            assertThat(e.detail()).contains(h.hello().connectionId());
        });
    }

    @Test
    void forwardsGetWithRewrittenUrlAndOriginalHeaderNames() throws Exception {
        String trace = TraceContext.newTraceId();
        String traceparent = TraceContext.traceparent(trace);
        int before = mp.seen.size();
        Resp r = exchange("GET", "/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST",
                List.of(new String[] {"User-Agent", "SMS+CCM+5.0"}, new String[] {"CCMClientID", "GUID:abc"},
                        new String[] {"CCMClientTimestamp", "2026-11-29T03:00:00Z"}),
                traceparent, null, 0);

        Seen s = mp.seenAfter(before, "/SMS_MP/.sms_aut?MPLIST");
        assertThat(s.method()).isEqualTo("GET");
        assertThat(s.uri()).isEqualTo("/SMS_MP/.sms_aut?MPLIST");
        assertThat(s.header("Host")).isEqualTo(MP + ":" + mp.port());
        assertThat(s.names()).containsSubsequence("User-Agent", "CCMClientID", "CCMClientTimestamp")
                .doesNotContain("ccmclientid", "ccmclienttimestamp", "user-agent");
        assertThat(s.names()).noneMatch(n -> n.toLowerCase(Locale.ROOT).startsWith("cmg-"));
        assertThat(s.header("CCMClientID")).isEqualTo("GUID:abc");
        assertThat(s.header("CCMClientTimestamp")).isEqualTo("2026-11-29T03:00:00Z");
        assertThat(s.header("User-Agent")).isEqualTo("SMS+CCM+5.0");
        assertThat(s.header("traceparent")).isEqualTo(traceparent);
        assertThat(s.header("Transfer-Encoding")).isNull();
        assertThat(s.body()).isEmpty();

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.reason()).isEqualTo("OK");
        assertThat(r.header("x-mp")).isEqualTo("yes");
        assertThat(HeaderNames.decode(r.headers().get(ChannelProtocol.H2_HEADER_NAMES)).values()).contains("X-MP");
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(FakeMp.okBody("/SMS_MP/.sms_aut?MPLIST"));

        await().atMost(WAIT).untilAsserted(() -> {
            List<FlowEvent> ev = rt.events().snapshot(trace);
            assertThat(ev).anySatisfy(e -> {
                assertThat(e.step()).isEqualTo("F4");
                assertThat(e.phase()).isEqualTo("request");
                assertThat(e.ok()).isTrue();
                assertThat(e.detail()).contains("/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST");
            });
            assertThat(ev).anySatisfy(e -> {
                assertThat(e.step()).isEqualTo("F5");
                assertThat(e.phase()).isEqualTo("response");
                assertThat(e.ok()).isTrue();
                assertThat(e.status()).isEqualTo(200);
                assertThat(e.port()).isEqualTo(mp.port());
            });
        });
    }

    @Test
    void ccmPostBodyArrivesExactlyWithContentLength() throws Exception {
        byte[] body = new byte[100 * 1024];
        new Random(7).nextBytes(body);
        int before = mp.seen.size();
        Resp r = exchange("CCM_POST", "/CCM_Proxy_MutualAuth/" + ROLE + "/ccm_system/request",
                List.of(new String[] {"User-Agent", "ConfigMgr Messaging HTTP Sender"},
                        new String[] {"Content-Type", "multipart/mixed; boundary=\"aAbBcCdDv1234567890VxXyYzZ\""}),
                TraceContext.traceparent(TraceContext.newTraceId()), body, 7);
        assertThat(r.status()).isEqualTo(200);

        Seen s = mp.seenAfter(before, "/ccm_system/request");
        assertThat(s.method()).isEqualTo("CCM_POST");
        assertThat(s.header("Content-Length")).isEqualTo(String.valueOf(body.length));
        assertThat(s.header("Content-Type")).isEqualTo("multipart/mixed; boundary=\"aAbBcCdDv1234567890VxXyYzZ\"");
        assertThat(s.names()).contains("Content-Type").doesNotContain("content-type");
        assertThat(s.body()).isEqualTo(body);
    }

    @Test
    void mpReasonPhraseCrossesTheChannel() throws Exception {
        Resp r = exchange("GET", "/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?DENY", List.of(),
                TraceContext.traceparent(TraceContext.newTraceId()), null, 0);
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.reason()).isEqualTo("CMGConnector_Clientcertificaterequired");
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(FakeMp.DENY_BODY);
    }

    @Test
    void fiveMebibytesStreamThroughTheChannelIntact() throws Exception {
        Resp r = exchange("GET", "/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?BIG", List.of(),
                TraceContext.traceparent(TraceContext.newTraceId()), null, 0);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("transfer-encoding")).as("hop-by-hop header").isNull();
        assertThat(r.body().length).isEqualTo(BIG);
        assertThat(crc(r.body())).isEqualTo(crc(BIG_BODY));
        assertThat(r.body()).isEqualTo(BIG_BODY);
        assertThat(r.dataFrames()).as("the body came in many DATA frames").isGreaterThan(BIG / (1 << 20));
    }

    @Test
    void unknownRoleIs404AndTheChannelStaysUp() throws Exception {
        Hello h = awaitChannel(cmg);
        Resp r = exchange("GET", "/CCM_Proxy_MutualAuth/1/x", List.of(), null, null, 0);
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.reason()).isEqualTo("CMGConnector_NotFound");
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("/CCM_Proxy_MutualAuth/1/x");
        assertThat(h.parent().isActive()).isTrue();

        Resp ok = exchange(h, "GET", "/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST", List.of(), null, null, 0);
        assertThat(ok.status()).isEqualTo(200);
    }

    @Test
    void unreachableMpIs500AndTheChannelStaysUp() throws Exception {
        Hello h = awaitChannel(cmg);
        String trace = TraceContext.newTraceId();
        Resp r = exchange(h, "GET", "/CCM_Proxy_MutualAuth/" + DOWN_ROLE + "/SMS_MP/.sms_aut?MPLIST", List.of(),
                TraceContext.traceparent(trace), null, 0);
        assertThat(r.status()).isEqualTo(500);
        assertThat(r.reason()).isEqualTo("CMGConnector_InternalServerError");
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains(String.valueOf(downPort));
        assertThat(rt.events().snapshot(trace)).anySatisfy(e -> {
            assertThat(e.step()).isEqualTo("F5");
            assertThat(e.status()).isEqualTo(500);
            assertThat(e.ok()).isFalse();
        });
        assertThat(h.parent().isActive()).isTrue();

        Resp ok = exchange(h, "GET", "/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST", List.of(), null, null, 0);
        assertThat(ok.status()).isEqualTo(200);
    }

    @Test
    void redialsAfterTheCmgClosesTheChannel() throws Exception {
        Hello old = awaitChannel(cmg);
        await().atMost(WAIT).until(() -> "Connected".equals(channelStatus(cp).state()));
        long connectsBefore = channelStatus(cp).connects();
        old.parent().close().syncUninterruptibly();

        await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> {
            ChannelDialer.Status s = channelStatus(cp);
            assertThat(s.state()).isEqualTo("Disconnected");
            assertThat(s.lastError()).contains("closed by the peer");
        });
        assertThat(cp.anyConnected()).isFalse();

        Hello fresh = await().atMost(WAIT).until(() -> cmg.current,
                c -> c != null && c.parent() != old.parent() && c.parent().isActive());
        assertThat(fresh.hello().connectionId()).isNotEqualTo(old.hello().connectionId());
        await().atMost(WAIT).untilAsserted(() -> {
            ChannelDialer.Status s = channelStatus(cp);
            assertThat(s.state()).isEqualTo("Connected");
            assertThat(s.connectionId()).isEqualTo(fresh.hello().connectionId());
            assertThat(s.connects()).isGreaterThan(connectsBefore);
        });
        assertThat(f2Ok()).hasSizeGreaterThanOrEqualTo(2)
                .anySatisfy(e -> assertThat(e.detail()).contains(fresh.hello().connectionId()));

        Resp ok = exchange(fresh, "GET", "/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST", List.of(), null,
                null, 0);
        assertThat(ok.status()).isEqualTo(200);
    }

    @Test
    void refusedUpgradeLeavesTheChannelDisconnectedAndKeepsRetrying() throws Exception {
        FakeCmg refusing = new FakeCmg(cmgCert, true);
        ConnectionPoint cp2 = ConnectionPoint.start(config(refusing.port()), rt);
        try {
            await().atMost(WAIT).untilAsserted(() -> {
                ChannelDialer.Status s = channelStatus(cp2);
                assertThat(s.state()).isIn("Disconnected", "Connecting");
                assertThat(s.lastError()).contains("403").contains("CMGService_ConnectorCertificateRejected");
            });
            await().atMost(WAIT).pollInterval(Duration.ofMillis(20))
                    .until(() -> "Disconnected".equals(channelStatus(cp2).state()));
            await().atMost(Duration.ofSeconds(6)).until(() -> refusing.upgrades.size() >= 2);
            ChannelDialer.Status s = channelStatus(cp2);
            assertThat(s.connects()).isZero();
            assertThat(s.failures()).isGreaterThanOrEqualTo(1);
            assertThat(cp2.anyConnected()).isFalse();
            assertThat(refusing.hellos).isEmpty();
            assertThat(refusing.upgrades).allSatisfy(u -> assertThat(u.connector()).isEqualTo(CP_NAME));
        } finally {
            cp2.close();
            refusing.close();
        }
    }

    static ConnectionPointConfig tcpTlsConfig(int tcpTlsPort, int httpsFallbackPort) {
        ConnectionPointConfig c = config(httpsFallbackPort);
        return new ConnectionPointConfig(c.name(), c.siteCode(), c.sourceAddress(),
                List.of(new ConnectionPointConfig.ChannelTarget(0, SVC, tcpTlsPort, "TCP-TLS", httpsFallbackPort)),
                c.clientTls(), c.trustRoots(), c.routes(), c.hosts(), c.admin(), new ChannelTimings(1000, 1000, 1000L),
                c.logDir(), null);
    }

    @Test
    void tcpTlsTargetConnectsDirectlyWithoutTheUpgrade() throws Exception {
        FakeCmg classic = new FakeCmg(cmgCert, false);
        int tcpPort = classic.startTcpTls(0);
        ConnectionPoint cp2 = ConnectionPoint.start(tcpTlsConfig(tcpPort, classic.port()), rt);
        try {
            Hello h = awaitChannel(classic);
            assertThat(h.hello().transport()).isEqualTo("TCP-TLS");
            assertThat(classic.upgrades).as("no HTTPS upgrade on TCP-TLS").isEmpty();
            await().atMost(WAIT).untilAsserted(() -> {
                ChannelDialer.Status s = channelStatus(cp2);
                assertThat(s.state()).isEqualTo("Connected");
                assertThat(s.transport()).isEqualTo("TCP-TLS");
                assertThat(s.port()).isEqualTo(tcpPort);
                assertThat(s.connectionId()).isEqualTo(h.hello().connectionId());
                assertThat(s.fallbackFrom()).isNull();
                assertThat(s.fallbackReason()).isNull();
                assertThat(s.bytesIn()).isPositive();
                assertThat(s.bytesOut()).isPositive();
            });
            assertThat(channelStatus(cp2).proxy()).isNull();
            Resp ok = exchange(h, "GET", "/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST", List.of(), null,
                    null, 0);
            assertThat(ok.status()).isEqualTo(200);
        } finally {
            cp2.close();
            classic.close();
        }
    }

    @Test
    void tcpTlsRefusedFallsBackToHttpsThenMovesBackToTcpTlsAndDrainsHttps() throws Exception {
        int tcpPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            tcpPort = s.getLocalPort(); // nothing listens there until the test opens the TCP-TLS listener
        }
        FakeCmg classic = new FakeCmg(cmgCert, false);
        ConnectionPoint cp2 = ConnectionPoint.start(tcpTlsConfig(tcpPort, classic.port()), rt);
        try {
            Hello https = awaitChannel(classic);
            assertThat(https.hello().transport()).isEqualTo("HTTPS");
            await().atMost(WAIT).untilAsserted(() -> {
                ChannelDialer.Status s = channelStatus(cp2);
                assertThat(s.state()).isEqualTo("Connected");
                assertThat(s.transport()).isEqualTo("HTTPS");
                assertThat(s.port()).isEqualTo(classic.port());
                assertThat(s.fallbackFrom()).isEqualTo("TCP-TLS");
                assertThat(s.fallbackReason()).isNotBlank();
                assertThat(s.proxy()).isNull();
            });
            assertThat(rt.events().snapshot(null)).anySatisfy(e -> {
                assertThat(e.step()).isEqualTo("F2");
                assertThat(e.port()).isEqualTo(tcpPort);
                assertThat(e.ok()).isFalse();
            });
            Path log = dir.resolve("logs").resolve("SMS_Cloud_ProxyConnector.log");
            await().atMost(WAIT).untilAsserted(() -> assertThat(Files.readString(log))
                    .contains("ERROR: Failed to build Tcp connection")
                    .contains(SVC.toUpperCase(Locale.ROOT) + ":" + tcpPort)
                    .contains("falls back to HTTPS"));
            // the channel on the fallback works
            assertThat(exchange(https, "GET", "/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST", List.of(),
                    null, null, 0).status()).isEqualTo(200);

            classic.startTcpTls(tcpPort);
            Hello tcp = await().atMost(Duration.ofSeconds(5)).until(() -> classic.current,
                    c -> c != null && c.parent() != https.parent() && c.parent().isActive());
            assertThat(tcp.hello().transport()).isEqualTo("TCP-TLS");
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                ChannelDialer.Status s = channelStatus(cp2);
                assertThat(s.state()).isEqualTo("Connected");
                assertThat(s.transport()).isEqualTo("TCP-TLS");
                assertThat(s.port()).isEqualTo(tcpPort);
                assertThat(s.connectionId()).isEqualTo(tcp.hello().connectionId());
                assertThat(s.fallbackFrom()).isNull();
                assertThat(s.fallbackReason()).isNull();
            });
            // the HTTPS channel is drained: GOAWAY from the CP, then closed
            await().atMost(WAIT).until(() -> !https.parent().isActive());
            assertThat(classic.goAways).as("GOAWAY before the close").contains(https.parent());
            assertThat(exchange(tcp, "GET", "/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST", List.of(),
                    null, null, 0).status()).isEqualTo(200);
            assertThat(channelStatus(cp2).state()).isEqualTo("Connected");
        } finally {
            cp2.close();
            classic.close();
        }
    }

    // -------------------------------------------------------------------------------------------------- helpers

    static ChannelDialer.Status channelStatus(ConnectionPoint c) {
        @SuppressWarnings("unchecked")
        List<ChannelDialer.Status> channels = (List<ChannelDialer.Status>) c.status().get("channels");
        assertThat(channels).hasSize(1);
        return channels.get(0);
    }

    static List<FlowEvent> f2Ok() {
        return rt.events().snapshot(null).stream().filter(e -> e.step().equals("F2") && e.ok()).toList();
    }

    static long crc(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b);
        return c.getValue();
    }

    /** The current channel of {@code fake} once its hello has arrived. */
    static Hello awaitChannel(FakeCmg fake) {
        return await().atMost(WAIT).until(() -> fake.current, c -> c != null && c.parent().isActive());
    }

    static Resp exchange(String method, String path, List<String[]> headers, String traceparent, byte[] body,
                         int dataFrames) throws Exception {
        return exchange(awaitChannel(cmg), method, path, headers, traceparent, body, dataFrames);
    }

    /**
     * Sends one client request as the CMG does: a stream with the pseudo-headers, the client's headers lower-cased,
     * their original names in {@code cmg-header-names}, a message id and (optionally) the trace context, then the
     * body split over {@code dataFrames} DATA frames.
     */
    static Resp exchange(Hello on, String method, String path, List<String[]> headers, String traceparent,
                         byte[] body, int dataFrames) throws Exception {
        Collector col = new Collector();
        Http2StreamChannel s = new Http2StreamChannelBootstrap(on.parent()).handler(col).open()
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        Http2Headers h = new DefaultHttp2Headers().method(method).path(path).scheme("https").authority(SVC);
        List<String> names = new ArrayList<>();
        for (String[] kv : headers) {
            h.add(kv[0].toLowerCase(Locale.ROOT), kv[1]);
            names.add(kv[0]);
        }
        if (traceparent != null) {
            h.set(TraceContext.HEADER, traceparent);
        }
        h.set(ChannelProtocol.H2_HEADER_NAMES, HeaderNames.encode(names))
                .set(ChannelProtocol.H2_MESSAGE_ID, UUID.randomUUID().toString())
                .set(ChannelProtocol.H2_CLIENT_AUTH, "PKI client certificate; subject=CN=client01.corp.contoso.com");
        boolean hasBody = body != null && body.length > 0;
        if (hasBody) {
            h.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        }
        s.write(new DefaultHttp2HeadersFrame(h, !hasBody));
        if (hasBody) {
            int frames = Math.max(1, dataFrames);
            int piece = (body.length + frames - 1) / frames;
            for (int off = 0; off < body.length; off += piece) {
                int len = Math.min(piece, body.length - off);
                s.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(body, off, len), off + len == body.length));
            }
        }
        s.flush();
        try {
            return col.done.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no complete response to " + method + " " + path + " within 30 s: " + col.frames
                    + " DATA frames, " + col.body.size() + " bytes, headers " + col.headers + ", stream writable "
                    + s.isWritable() + ", CP status " + channelStatus(cp), e);
        }
    }

    /** What the fake CMG read back on a stream. */
    record Resp(int status, String reason, Http2Headers headers, byte[] body, int dataFrames) {
        String header(String lowerName) {
            CharSequence v = headers.get(lowerName);
            return v == null ? null : v.toString();
        }
    }

    /**
     * Does what the CMG does first on a new channel: opens the hello stream, asks {@code GET /CMGChannel/v1/hello}
     * and hands the connection point's answer to {@code onHello}; closes the channel when there is none.
     */
    static void askHello(ChannelHandlerContext ctx, java.util.function.Consumer<ChannelHello> onHello) {
        ctx.executor().execute(() -> {
            Collector col = new Collector();
            new Http2StreamChannelBootstrap(ctx.channel()).handler(col).open().addListener(f -> {
                if (!f.isSuccess()) {
                    ctx.close();
                    return;
                }
                ((Http2StreamChannel) f.getNow()).writeAndFlush(new DefaultHttp2HeadersFrame(
                        new DefaultHttp2Headers().method("GET").path(ChannelProtocol.HELLO_PATH)
                                .scheme("https").authority(SVC), true));
            });
            col.done.whenComplete((r, e) -> {
                if (e != null || r.status() != 200) {
                    ctx.close();
                    return;
                }
                onHello.accept(Json.read(new String(r.body(), StandardCharsets.UTF_8), ChannelHello.class));
            });
        });
    }

    /** Collects the response of one stream (copies the bytes, releases every frame). */
    static final class Collector extends ChannelInboundHandlerAdapter {
        final CompletableFuture<Resp> done = new CompletableFuture<>();
        private Http2Headers headers;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private int frames;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                boolean end = false;
                if (msg instanceof Http2HeadersFrame f) {
                    if (headers == null) {
                        headers = f.headers();
                    }
                    end = f.isEndStream();
                } else if (msg instanceof Http2DataFrame d) {
                    frames++;
                    byte[] b = ByteBufUtil.getBytes(d.content());
                    body.write(b, 0, b.length);
                    end = d.isEndStream();
                } else if (msg instanceof Http2ResetFrame r) {
                    done.completeExceptionally(new IOException("stream reset by the CP: " + r.errorCode()));
                }
                if (end) {
                    CharSequence st = headers == null ? null : headers.status();
                    CharSequence reason = headers == null ? null : headers.get(ChannelProtocol.H2_REASON);
                    done.complete(new Resp(st == null ? -1 : Integer.parseInt(st.toString()),
                            reason == null ? null : reason.toString(), headers, body.toByteArray(), frames));
                    ctx.close();
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            done.completeExceptionally(new IOException("stream closed before the response ended"));
            ctx.fireChannelInactive();
        }
    }

    // ------------------------------------------------------------------------------------------------ fake CMG

    record Hello(Channel parent, ChannelHello hello) {}

    record Upgrade(String connectionId, String connector, String site, String host, String peerSubject) {}

    /**
     * The CMG side of the channel: HTTPS front door requiring a lab-issued client certificate, accepts (or refuses)
     * the upgrade, then asks for the hello like the real CMG and exposes the channel to the test.
     */
    static final class FakeCmg implements AutoCloseable {
        static final ChannelSettings SETTINGS = new ChannelTimings(1000, 1000).toSettings();
        final boolean refuse;
        final List<Upgrade> upgrades = new CopyOnWriteArrayList<>();
        final List<Hello> hellos = new CopyOnWriteArrayList<>();
        final List<Channel> goAways = new CopyOnWriteArrayList<>();
        volatile Hello current;
        private final Channel server;

        FakeCmg(IssuedCert cert, boolean refuse) throws Exception {
            this.refuse = refuse;
            SslContext tls = TlsContexts.server(cert, ClientAuthMode.REQUIRE, List.of(ca.root()), "http/1.1");
            server = new ServerBootstrap().group(fakes).channel(EventLoops.serverChannelClass())
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast("ssl", tls.newHandler(ch.alloc()))
                                    .addLast("http", new HttpServerCodec())
                                    .addLast("aggregate", new HttpObjectAggregator(64 * 1024))
                                    .addLast("front", new Front());
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
        }

        int port() {
            return ((InetSocketAddress) server.localAddress()).getPort();
        }

        private volatile Channel tcpTlsServer;

        /** Opens the TCP-TLS channel listener on {@code port}: TLS (client certificate required), then HTTP/2. */
        int startTcpTls(int port) throws Exception {
            SslContext tls = TlsContexts.server(cmgCert, ClientAuthMode.REQUIRE, List.of(ca.root()));
            tcpTlsServer = new ServerBootstrap().group(fakes).channel(EventLoops.serverChannelClass())
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast("ssl", tls.newHandler(ch.alloc())).addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                    if (evt instanceof SslHandshakeCompletionEvent e) {
                                        if (!e.isSuccess()) {
                                            ctx.close();
                                            return;
                                        }
                                        ctx.pipeline().remove(this);
                                        ChannelPipelines.installGatewaySide(ctx.channel(), SETTINGS,
                                                "fake-cmg tcp-tls channel", new ChannelTail());
                                    }
                                }
                            });
                        }
                    }).bind("127.0.0.1", port).sync().channel();
            return ((InetSocketAddress) tcpTlsServer.localAddress()).getPort();
        }

        @Override
        public void close() {
            server.close().syncUninterruptibly();
            if (tcpTlsServer != null) {
                tcpTlsServer.close().syncUninterruptibly();
            }
            for (Hello h : hellos) {
                h.parent().close().syncUninterruptibly();
            }
        }

        private final class Front extends SimpleChannelInboundHandler<FullHttpRequest> {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
                if (!GatewayUpgrade.isUpgradeRequest(req)) {
                    reply(ctx, new HttpResponseStatus(404, "CMGService_UnknownEndpoint"), "not a channel upgrade");
                    return;
                }
                SslHandler ssl = ctx.pipeline().get(SslHandler.class);
                X509Certificate peer = (X509Certificate) ssl.engine().getSession().getPeerCertificates()[0];
                HttpHeaders hh = req.headers();
                upgrades.add(new Upgrade(hh.get(ChannelProtocol.HDR_CONNECTION_ID), hh.get(ChannelProtocol.HDR_CONNECTOR),
                        hh.get(ChannelProtocol.HDR_SITE), hh.get(HttpHeaderNames.HOST),
                        peer.getSubjectX500Principal().getName()));
                if (refuse) {
                    reply(ctx, new HttpResponseStatus(403, "CMGService_ConnectorCertificateRejected"),
                            "connector certificate rejected by the test");
                    return;
                }
                GatewayUpgrade.accept(ctx, List.of("http", "aggregate"), SETTINGS, "fake-cmg channel",
                        new ChannelTail());
            }

            private void reply(ChannelHandlerContext ctx, HttpResponseStatus status, String text) {
                FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                        Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
                HttpUtil.setContentLength(r, r.content().readableBytes());
                r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
            }
        }

        /** Last handler of an upgraded channel: sends the hello stream, then only drains connection frames. */
        private final class ChannelTail extends ChannelInboundHandlerAdapter {
            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                askHello(ctx, hello -> {
                    Hello h = new Hello(ctx.channel(), hello);
                    hellos.add(h);
                    current = h;
                });
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof io.netty.handler.codec.http2.Http2GoAwayFrame) {
                    goAways.add(ctx.channel());
                }
                ReferenceCountUtil.release(msg);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------- fake MP

    record Seen(String method, String uri, List<Map.Entry<String, String>> headers, byte[] body) {
        List<String> names() {
            return headers.stream().map(Map.Entry::getKey).toList();
        }

        String header(String name) {
            return headers.stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue)
                    .findFirst().orElse(null);
        }
    }

    /** An HTTPS management point that records every request and answers by script. */
    static final class FakeMp implements AutoCloseable {
        static final String DENY_BODY = "client certificate required";
        final List<Seen> seen = new CopyOnWriteArrayList<>();
        final AtomicInteger connections = new AtomicInteger();
        private final Channel server;

        static String okBody(String uri) {
            return "MP mp01 answers " + uri;
        }

        FakeMp(IssuedCert cert) throws Exception {
            SslContext tls = TlsContexts.server(cert, ClientAuthMode.NONE, List.of());
            server = new ServerBootstrap().group(fakes).channel(EventLoops.serverChannelClass())
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            connections.incrementAndGet();
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()), new HttpServerCodec(),
                                    new HttpObjectAggregator(16 * 1024 * 1024), new Script());
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
        }

        int port() {
            return ((InetSocketAddress) server.localAddress()).getPort();
        }

        /** The first request for {@code uri} recorded after the first {@code index} ones. */
        Seen seenAfter(int index, String uri) {
            return await().atMost(WAIT).until(() -> seen.subList(index, seen.size()).stream()
                    .filter(s -> s.uri().equals(uri)).findFirst().orElse(null), s -> s != null);
        }

        @Override
        public void close() {
            server.close().syncUninterruptibly();
        }

        private final class Script extends SimpleChannelInboundHandler<FullHttpRequest> {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                seen.add(new Seen(req.method().name(), req.uri(), List.copyOf(req.headers().entries()),
                        ByteBufUtil.getBytes(req.content())));
                String uri = req.uri();
                if (uri.endsWith("?DENY")) {
                    full(ctx, new HttpResponseStatus(403, "CMGConnector_Clientcertificaterequired"), DENY_BODY);
                } else if (uri.endsWith("?BIG")) {
                    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    HttpUtil.setTransferEncodingChunked(r, true);
                    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
                    ctx.write(r);
                    for (int off = 0; off < BIG; off += PIECE) {
                        ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(BIG_BODY, off, PIECE)));
                    }
                    ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                } else {
                    full(ctx, HttpResponseStatus.OK, okBody(uri));
                }
            }

            private void full(ChannelHandlerContext ctx, HttpResponseStatus status, String text) {
                FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                        Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
                r.headers().set("X-MP", "yes").set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
                HttpUtil.setContentLength(r, r.content().readableBytes());
                ctx.writeAndFlush(r);
            }
        }
    }
}
