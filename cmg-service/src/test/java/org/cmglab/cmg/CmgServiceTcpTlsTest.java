package org.cmglab.cmg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.channel.ChannelHello;
import org.cmglab.proto.channel.ChannelPipelines;
import org.cmglab.proto.channel.ChannelProtocol;
import org.cmglab.proto.channel.ConnectorTlsHandler;
import org.cmglab.proto.config.ChannelTimings;
import org.cmglab.proto.config.CmgServiceConfig;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.config.PublishedRole;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.EventLoops;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TCP-TLS channel listener of a classic CMG instance (10140+i). */
class CmgServiceTcpTlsTest {
    static final String SVC = "GraniteFalls.contoso.com";
    static final String ROLE = "72057594037927939";

    @TempDir
    static Path dir;
    static LabCa ca;
    static ComponentRuntime rt;
    static CmgService cmg;
    static InetSocketAddress tcpTls;
    static InetSocketAddress frontDoor;

    @BeforeAll
    static void start() throws Exception {
        ca = LabCa.createEphemeral();
        Path root = dir.resolve("root.pem");
        java.nio.file.Files.writeString(root, Pem.toPem(ca.root()));
        IssuedCert server = ca.issue(CertSpec.server(SVC, List.of(SVC), List.of()));
        server.writePem(dir.resolve("cmg.crt.pem"), dir.resolve("cmg.key.pem"));
        CmgServiceConfig c = new CmgServiceConfig(SVC, "granitefalls.cloudapp.net", "P01", 0,
                new Endpoint("127.0.0.1", 0), null, new Endpoint("127.0.0.1", 0),
                new TlsFiles(dir.resolve("cmg.crt.pem").toString(), dir.resolve("cmg.key.pem").toString()),
                List.of(root.toString()), List.of(root.toString()), List.of(new PublishedRole(ROLE, "MP", "P01")),
                1 << 20, new ChannelTimings(15_000, 5_000), dir.resolve("logs").toString(),
                new Endpoint("127.0.0.1", 0));
        Json.writeFile(dir.resolve("cmg.json"), c);
        c = Json.readFile(dir.resolve("cmg.json"), CmgServiceConfig.class);
        assertThat(c.channelTcpTls()).isEqualTo(new Endpoint("127.0.0.1", 0));
        rt = new ComponentRuntime("cmg-service-tcptls-test", dir.resolve("logs"), "CMGService.log", "CMGService", 2);
        cmg = CmgService.start(c, rt);
        tcpTls = cmg.tcpTlsAddress();
        frontDoor = cmg.boundAddresses().get(0);
    }

    @AfterAll
    static void stop() {
        cmg.close();
        rt.close();
    }

    @AfterEach
    void noChannelLeft() {
        await().atMost(Duration.ofSeconds(10)).until(() -> cmg.registry().status().isEmpty());
    }

    /** Dials TCP-TLS like a classic connection point: TLS, then HTTP/2 (server role) straight away. */
    static Channel dial(SslContext tls, Promise<Void> up, String connectionId) throws InterruptedException {
        return dial(tls, up, new Streams(connectionId));
    }

    static Channel dial(SslContext tls, Promise<Void> up, Streams streams) throws InterruptedException {
        return new Bootstrap().group(rt.group()).channel(EventLoops.socketChannelClass())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(tls.newHandler(ch.alloc(), SVC, tcpTls.getPort()),
                                new ConnectorTlsHandler(up, ctx -> ChannelPipelines.installConnectorSide(ctx.channel(),
                                        new ChannelTimings(15_000, 5_000).toSettings(), "fake-cp",
                                        streams, new ChannelInboundHandlerAdapter())));
                    }
                }).connect(tcpTls).sync().channel();
    }

    @Test
    void acceptsALabConnectorAndRegistersItsHelloOverTcpTls() throws Exception {
        SslContext cpTls = TlsContexts.client(List.of(ca.root()), ca.issue(CertSpec.client("cmgcp01.corp.contoso.com")));
        Promise<Void> up = rt.group().next().newPromise();
        Channel cp = dial(cpTls, up, "cp-conn-42");
        try {
            assertThat(up.await(10, TimeUnit.SECONDS) && up.isSuccess()).as("%s", up.cause()).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> !cmg.registry().status().isEmpty());
            var st = cmg.registry().status().get(0);
            assertThat(st.transport()).isEqualTo("TCP-TLS");
            assertThat(st.connectionId()).isEqualTo("cp-conn-42");
            assertThat(st.port()).isEqualTo(tcpTls.getPort());
            assertThat(st.certificate()).isEqualTo("CN=cmgcp01.corp.contoso.com");
            assertThat(cmg.status().get("channelTcpTls")).isEqualTo("127.0.0.1:0");
            // a client request is forwarded over the TCP-TLS channel
            IssuedCert client = ca.issue(CertSpec.client("client01.corp.contoso.com"));
            TlsTestClient.Raw r = TlsTestClient.exchange(TlsContexts.jdkClient(List.of(ca.root()), client), SVC,
                    frontDoor, "GET /CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST HTTP/1.1\r\nHost: "
                            + SVC + "\r\nConnection: close\r\n\r\n");
            assertThat(r.statusLine()).isEqualTo("HTTP/1.1 200 OK");
            assertThat(r.body()).isEqualTo("via TCP-TLS");
        } finally {
            cp.close().sync();
        }
    }

    @Test
    void refusesAConnectorFromAnotherCaAndKeepsServing() throws Exception {
        SslContext foreign = TlsContexts.client(List.of(ca.root()),
                LabCa.createEphemeral().issue(CertSpec.client("cmgcp01.corp.contoso.com")));
        Promise<Void> up = rt.group().next().newPromise();
        Channel bad = dial(foreign, up, "foreign-1");
        assertThat(bad.closeFuture().await(10, TimeUnit.SECONDS)).as("the CMG closes the refused socket").isTrue();
        assertThat(cmg.registry().status()).isEmpty();
        // the instance keeps serving: a lab connector still gets a channel
        Promise<Void> up2 = rt.group().next().newPromise();
        Channel good = dial(TlsContexts.client(List.of(ca.root()), ca.issue(CertSpec.client("cmgcp01.corp.contoso.com"))),
                up2, "cp-conn-43");
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> cmg.registry().status().stream()
                    .anyMatch(s -> s.connectionId().equals("cp-conn-43")));
            assertThat(cmg.registry().status()).extracting(s -> s.connectionId()).containsExactly("cp-conn-43");
        } finally {
            good.close().sync();
        }
    }

    @Test
    void plainHttpOnTheTcpTlsPortFailsTheHandshakeWithTheReasonAndKeepsServing() throws Exception {
        SslContext cpTls = TlsContexts.client(List.of(ca.root()), ca.issue(CertSpec.client("cmgcp01.corp.contoso.com")));
        Channel good = dial(cpTls, rt.group().next().newPromise(), "cp-conn-45");
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> cmg.registry().status().stream()
                    .anyMatch(s -> s.connectionId().equals("cp-conn-45")));
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(tcpTls, 2_000);
                s.setSoTimeout(10_000);
                s.getOutputStream().write("GET /CMGChannel/v1 HTTP/1.1\r\nHost: x\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                try {
                    s.getInputStream().readAllBytes(); // a TLS alert at most, then EOF
                } catch (java.net.SocketException reset) {
                    // reset: closed as well
                }
            }
            Path log = dir.resolve("logs").resolve("CMGService.log");
            await().atMost(Duration.ofSeconds(5)).until(() -> java.nio.file.Files.readString(log)
                    .contains("TLS handshake failed"));
            // the established channel is untouched
            assertThat(cmg.registry().status()).extracting(s -> s.connectionId()).containsExactly("cp-conn-45");
            assertThat(good.isActive()).isTrue();
        } finally {
            good.close().sync();
        }
    }

    @Test
    void refusesAHelloForAnotherSiteWithTheReasonAndKeepsServing() throws Exception {
        SslContext cpTls = TlsContexts.client(List.of(ca.root()), ca.issue(CertSpec.client("cmgcp01.corp.contoso.com")));
        Promise<Void> up = rt.group().next().newPromise();
        Channel bad = dial(cpTls, up, new Streams("cp-conn-x99", "X99"));
        assertThat(bad.closeFuture().await(10, TimeUnit.SECONDS)).as("the CMG closes the wrong-site channel").isTrue();
        assertThat(cmg.registry().status()).isEmpty();
        Path log = dir.resolve("logs").resolve("CMGService.log");
        await().atMost(Duration.ofSeconds(5)).until(() -> java.nio.file.Files.exists(log)
                && java.nio.file.Files.readString(log).contains("claims site X99 but this CMG belongs to site P01"));
        // the instance keeps serving: the right site gets a channel
        Channel good = dial(cpTls, rt.group().next().newPromise(), "cp-conn-44");
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> cmg.registry().status().stream()
                    .anyMatch(s -> s.connectionId().equals("cp-conn-44")));
        } finally {
            good.close().sync();
        }
    }

    /** The fake connection point's streams: hello (with its own connection id), then "via TCP-TLS". */
    static final class Streams extends ChannelInitializer<Http2StreamChannel> {
        private final String connectionId;
        private final String siteCode;

        Streams(String connectionId) {
            this(connectionId, "P01");
        }

        Streams(String connectionId, String siteCode) {
            this.connectionId = connectionId;
            this.siteCode = siteCode;
        }

        @Override
        protected void initChannel(Http2StreamChannel ch) {
            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    try {
                        if (!(msg instanceof Http2HeadersFrame h) || !h.isEndStream()) {
                            return;
                        }
                        String body = ChannelProtocol.HELLO_PATH.equals(h.headers().path().toString())
                                ? Json.writeCompact(new ChannelHello(ChannelProtocol.UPGRADE_TOKEN, connectionId,
                                        "cmgcp01.corp.contoso.com", siteCode, "TCP-TLS",
                                        List.of(new ChannelHello.Role(ROLE, "MP"))))
                                : "via TCP-TLS";
                        ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")
                                .set(ChannelProtocol.H2_REASON, "OK")));
                        ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(body, StandardCharsets.UTF_8),
                                true));
                    } finally {
                        ReferenceCountUtil.release(msg);
                    }
                }
            });
        }
    }
}
