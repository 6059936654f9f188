package org.cmglab.cmg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.channel.ChannelHello;
import org.cmglab.proto.channel.ChannelPipelines;
import org.cmglab.proto.channel.ChannelProtocol;
import org.cmglab.proto.channel.ChannelRefusedException;
import org.cmglab.proto.channel.ConnectorUpgradeHandler;
import org.cmglab.proto.channel.HeaderNames;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real CMG instance on loopback with a fake connection point built from the channel library: client
 * authentication, URL filtering, forwarding with header-name and reason-phrase fidelity, and the bad-input cases.
 */
class CmgServiceIntegrationTest {
    static final String SVC = "GraniteFalls.contoso.com";
    static final String ROLE = "72057594037927939";
    static final int BIG = 5 * 1024 * 1024 + 123;

    @TempDir
    static Path dir;
    static LabCa ca;
    static ComponentRuntime rt;
    static CmgService cmg;
    static InetSocketAddress frontDoor;
    static SslContext cpTls;
    static final ConcurrentLinkedQueue<String> seenByCp = new ConcurrentLinkedQueue<>();

    @BeforeAll
    static void start() throws Exception {
        ca = LabCa.createEphemeral();
        Path root = dir.resolve("root.pem");
        java.nio.file.Files.writeString(root, Pem.toPem(ca.root()));
        IssuedCert server = ca.issue(CertSpec.server(SVC, List.of(SVC, "granitefalls.westus.cloudapp.azure.com"), List.of()));
        server.writePem(dir.resolve("cmg.crt.pem"), dir.resolve("cmg.key.pem"));
        CmgServiceConfig c = new CmgServiceConfig(SVC, "granitefalls.westus.cloudapp.azure.com", "P01", 0,
                new Endpoint("127.0.0.1", 0), null, new Endpoint("127.0.0.1", 0),
                new TlsFiles(dir.resolve("cmg.crt.pem").toString(), dir.resolve("cmg.key.pem").toString()),
                List.of(root.toString()), List.of(root.toString()), List.of(new PublishedRole(ROLE, "MP", "P01")),
                1 << 20, new ChannelTimings(15_000, 5_000), dir.resolve("logs").toString(), null);
        Json.writeFile(dir.resolve("cmg.json"), c); // the config survives a JSON round trip
        c = Json.readFile(dir.resolve("cmg.json"), CmgServiceConfig.class);
        rt = new ComponentRuntime("cmg-service-test", dir.resolve("logs"), "CMGService.log", "CMGService", 2);
        cmg = CmgService.start(c, rt);
        frontDoor = cmg.boundAddresses().get(0);
        cpTls = TlsContexts.client(List.of(ca.root()), ca.issue(CertSpec.client("cmgcp01.corp.contoso.com")), "http/1.1");
    }

    @AfterAll
    static void stop() {
        cmg.close();
        rt.close();
    }

    /** Dials a channel like the connection point; its streams answer 200 with a description of what they saw. */
    static Channel connectFakeCp(SslContext tls, Promise<Void> upgraded) throws InterruptedException {
        return connectFakeCp(tls, upgraded, new FakeStreams());
    }

    static Channel connectFakeCp(SslContext tls, Promise<Void> upgraded, ChannelInitializer<Http2StreamChannel> streams)
            throws InterruptedException {
        return new Bootstrap().group(rt.group()).channel(EventLoops.socketChannelClass())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(tls.newHandler(ch.alloc(), SVC, frontDoor.getPort()), new HttpClientCodec(),
                                new ConnectorUpgradeHandler(SVC, "conn-test", "cmgcp01.corp.contoso.com", "P01", upgraded,
                                        ctx -> ChannelPipelines.installConnectorSide(ctx.channel(),
                                                new ChannelTimings(15_000, 5_000).toSettings(), "fake-cp",
                                                streams, new ChannelInboundHandlerAdapter())));
                    }
                }).connect(frontDoor).sync().channel();
    }

    static TlsTestClient.Raw get(IssuedCert clientCert, String path, String extraHeaders) throws Exception {
        var ctx = TlsContexts.jdkClient(List.of(ca.root()), clientCert);
        return TlsTestClient.exchange(ctx, SVC, frontDoor, "GET " + path + " HTTP/1.1\r\nHost: " + SVC
                + "\r\nUser-Agent: SMS+CCM+5.0\r\n" + extraHeaders + "Connection: close\r\n\r\n");
    }

    /**
     * Client connections land on different event loops and open streams on the one channel at the same time: each
     * request gets its own stream handler (a shared stream bootstrap once gave two streams the same handler: "not a
     * @Sharable handler", a 503 for one request and a hang for the other).
     */
    @Test
    void concurrentRequestsFromManyClientsEachGetTheirOwnStream() throws Exception {
        Promise<Void> up = rt.group().next().newPromise();
        Channel cp = connectFakeCp(cpTls, up);
        try {
            assertThat(up.await(10, TimeUnit.SECONDS) && up.isSuccess()).as("upgrade %s", up.cause()).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> !cmg.registry().status().isEmpty());
            IssuedCert client = ca.issue(CertSpec.client("client01.corp.contoso.com"));
            List<String> bad = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int tt = t;
                Thread th = new Thread(() -> {
                    for (int i = 0; i < 15; i++) {
                        String path = "/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST&t=" + tt + "&i=" + i;
                        try {
                            TlsTestClient.Raw r = get(client, path, "");
                            if (!"HTTP/1.1 200 OK".equals(r.statusLine()) || !r.body().contains("GET " + path)) {
                                bad.add(path + " → " + r.statusLine() + " " + r.body());
                            }
                        } catch (Exception e) {
                            bad.add(path + " → " + e);
                        }
                    }
                });
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) {
                th.join(60_000);
            }
            assertThat(bad).isEmpty();
        } finally {
            cp.close().sync();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> cmg.registry().status().isEmpty());
    }

    @Test
    void forwardsOverTheChannelKeepingHeaderNamesAndReasonPhrases() throws Exception {
        Promise<Void> up = rt.group().next().newPromise();
        Channel cp = connectFakeCp(cpTls, up);
        try {
            assertThat(up.await(10, TimeUnit.SECONDS) && up.isSuccess()).as("upgrade %s", up.cause()).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> !cmg.registry().status().isEmpty());
            IssuedCert client = ca.issue(CertSpec.client("client01.corp.contoso.com"));
            TlsTestClient.Raw r = get(client, "/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST",
                    "CCMClientID: GUID:1234\r\n");
            assertThat(r.statusLine()).isEqualTo("HTTP/1.1 200 OK");
            assertThat(r.body()).contains("GET /CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST")
                    .contains("CCMClientID=GUID:1234").contains("User-Agent=SMS+CCM+5.0")
                    .contains("auth=PKI client certificate; subject=CN=client01.corp.contoso.com");
            assertThat(r.head()).contains("X-MP-Header: kept");
            TlsTestClient.Raw refused = get(client, "/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?REFUSE", "");
            assertThat(refused.statusLine()).isEqualTo("HTTP/1.1 403 CMGConnector_Clientcertificaterequired");
            var f3 = rt.events().snapshot(null).stream().filter(e -> e.step().equals("F4") && e.ok()).toList();
            assertThat(f3).isNotEmpty();
        } finally {
            cp.close().sync();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> cmg.registry().status().isEmpty());
    }

    @Test
    void streamsALargeResponseIntactThroughTheChannel() throws Exception {
        Promise<Void> up = rt.group().next().newPromise();
        Channel cp = connectFakeCp(cpTls, up);
        try {
            assertThat(up.await(10, TimeUnit.SECONDS) && up.isSuccess()).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> !cmg.registry().status().isEmpty());
            IssuedCert client = ca.issue(CertSpec.client("client01.corp.contoso.com"));
            var ctx = TlsContexts.jdkClient(List.of(ca.root()), client);
            byte[] body = TlsTestClient.exchangeBytes(ctx, SVC, frontDoor, "GET /CCM_Proxy_MutualAuth/" + ROLE
                    + "/SMS_DP_SMSPKG$/P0100001/BIG HTTP/1.1\r\nHost: " + SVC + "\r\nConnection: close\r\n\r\n");
            assertThat(body).hasSize(BIG);
            for (int i = 0; i < BIG; i += 4099) {
                assertThat(body[i]).as("byte %d", i).isEqualTo((byte) (i * 31));
            }
        } finally {
            cp.close().sync();
        }
    }

    @Test
    void refusesClientsWithoutAValidCertificate() throws Exception {
        String path = "/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST";
        assertThat(get(null, path, "").statusLine()).isEqualTo("HTTP/1.1 403 CMGConnector_Clientcertificaterequired");
        IssuedCert foreign = LabCa.createEphemeral().issue(CertSpec.client("client01.corp.contoso.com"));
        TlsTestClient.Raw r = get(foreign, path, "");
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 403 CMGConnector_Forbidden");
        assertThat(r.body()).containsIgnoringCase("client01");
        IssuedCert serverOnly = ca.issue(CertSpec.server("client01.corp.contoso.com", List.of(), List.of()));
        assertThat(get(serverOnly, path, "").status()).isEqualTo(403);
    }

    @Test
    void unpublishedRoleIs404AndMissingChannelIs503() throws Exception {
        IssuedCert client = ca.issue(CertSpec.client("client01.corp.contoso.com"));
        TlsTestClient.Raw r = get(client, "/CCM_Proxy_MutualAuth/72057594037927999/SMS_MP/.sms_aut?MPLIST", "");
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 404 CMGService_UnknownEndpoint");
        assertThat(get(client, "/nothing/here", "").status()).isEqualTo(404);
        // path traversal out of the role's folder: 400 before anything is forwarded (reason in the log and event)
        for (String bad : List.of("/SMS_MP/../../windows/win.ini", "/SMS_MP/%2e%2e/%2E%2E/x", "/SMS_MP/..%2F..%2Fx",
                "/SMS_MP/..%5Cx", "/SMS_MP/%zz")) {
            TlsTestClient.Raw t = get(client, "/CCM_Proxy_MutualAuth/" + ROLE + bad, "");
            assertThat(t.statusLine()).as(bad).isEqualTo("HTTP/1.1 400 Bad Request");
            assertThat(t.body()).as(bad).containsAnyOf("path traversal", "bad percent escape");
        }
        assertThat(get(client, "/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST&x=..", "").status())
                .as("'..' in the query is not a path").isNotEqualTo(400);
        await().atMost(Duration.ofSeconds(10)).until(() -> cmg.registry().status().isEmpty());
        TlsTestClient.Raw none = get(client, "/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST", "");
        assertThat(none.statusLine()).isEqualTo("HTTP/1.1 503 CMGService_NoConnectionPoint");
        assertThat(none.body()).contains("no connection point channel serves role " + ROLE);
    }

    @Test
    void channelFromAnUntrustedConnectorIsRefused() throws Exception {
        SslContext foreign = TlsContexts.client(List.of(ca.root()),
                LabCa.createEphemeral().issue(CertSpec.client("cmgcp01.corp.contoso.com")), "http/1.1");
        Promise<Void> up = rt.group().next().newPromise();
        connectFakeCp(foreign, up);
        assertThat(up.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(up.cause()).isInstanceOf(ChannelRefusedException.class).hasMessageContaining("403");
        assertThat(cmg.registry().status()).isEmpty();
    }

    @Test
    void garbageOnAChannelClosesThatChannelOnly() throws Exception {
        Promise<Void> up = rt.group().next().newPromise();
        Channel cp = connectFakeCp(cpTls, up);
        assertThat(up.await(10, TimeUnit.SECONDS) && up.isSuccess()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> !cmg.registry().status().isEmpty());
        ByteBuf garbage = Unpooled.copiedBuffer("\0\0\5\4\0\0\0\0\0garbage", StandardCharsets.ISO_8859_1);
        cp.pipeline().context(ChannelPipelines.H2).writeAndFlush(garbage); // inside TLS, below HTTP/2
        await().atMost(Duration.ofSeconds(10)).until(() -> cmg.registry().status().isEmpty());
        // the instance keeps serving: a new channel works
        Promise<Void> up2 = rt.group().next().newPromise();
        Channel cp2 = connectFakeCp(cpTls, up2);
        assertThat(up2.await(10, TimeUnit.SECONDS) && up2.isSuccess()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> !cmg.registry().status().isEmpty());
        cp2.close().sync();
        cp.close().sync();
    }

    @Test
    void idempotentRequestsSurviveABrokenConnectionPointAndPostsAreNeverSentTwice() throws Exception {
        await().atMost(Duration.ofSeconds(10)).until(() -> cmg.registry().status().isEmpty());
        Promise<Void> upGood = rt.group().next().newPromise();
        Channel good = connectFakeCp(cpTls, upGood);
        Promise<Void> upBad = rt.group().next().newPromise();
        // a second connection point (its own name): two channels of the same one would replace each other
        FakeStreams bad = new FakeStreams(true, "cmgcp02.corp.contoso.com", "conn-broken");
        Channel broken = connectFakeCp(cpTls, upBad, bad);
        try {
            assertThat(upGood.await(10, TimeUnit.SECONDS) && upGood.isSuccess()).isTrue();
            assertThat(upBad.await(10, TimeUnit.SECONDS) && upBad.isSuccess()).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> cmg.registry().status().size() == 2);
            IssuedCert client = ca.issue(CertSpec.client("client01.corp.contoso.com"));
            var tlsCtx = TlsContexts.jdkClient(List.of(ca.root()), client);
            // round-robin over two channels: among four GETs at least one is first sent to the broken CP
            for (int i = 0; i < 4; i++) {
                String path = "/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST&get=" + i;
                TlsTestClient.Raw r = get(client, path, "");
                assertThat(r.statusLine()).as("GET %d", i).isEqualTo("HTTP/1.1 200 OK");
                assertThat(r.body()).contains("GET " + path);
            }
            assertThat(bad.seen).anyMatch(x -> x.startsWith("GET "));
            // a PROPFIND with a body is retried with that body intact
            for (int i = 0; i < 2; i++) {
                String path = "/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_DP_SMSPKG$/P0100001?propfind=" + i;
                TlsTestClient.Raw r = TlsTestClient.exchange(tlsCtx, SVC, frontDoor, "PROPFIND " + path
                        + " HTTP/1.1\r\nHost: " + SVC + "\r\nDepth: 1\r\nContent-Length: 11\r\n"
                        + "Connection: close\r\n\r\n<propfind/>");
                assertThat(r.statusLine()).as("PROPFIND %d", i).isEqualTo("HTTP/1.1 200 OK");
                assertThat(r.body()).contains("PROPFIND " + path).contains("body=<propfind/>");
            }
            // CCM_POST is never retried: whichever request hit the broken CP gets 502, the good CP never sees it
            List<String> failed = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                String path = "/CCM_Proxy_MutualAuth/" + ROLE + "/ccm_system/request?post=" + i;
                TlsTestClient.Raw r = TlsTestClient.exchange(tlsCtx, SVC, frontDoor, "CCM_POST " + path
                        + " HTTP/1.1\r\nHost: " + SVC + "\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
                if (r.status() == 502) {
                    assertThat(r.statusLine()).isEqualTo("HTTP/1.1 502 CMGService_BadGateway");
                    failed.add(path);
                } else {
                    assertThat(r.statusLine()).isEqualTo("HTTP/1.1 200 OK");
                    assertThat(r.body()).contains("body=hello");
                }
            }
            assertThat(failed).isNotEmpty();
            for (String p : failed) {
                assertThat(bad.seen).contains("CCM_POST " + p);
                assertThat(seenByCp).noneMatch(x -> x.startsWith("CCM_POST " + p + "\n"));
            }
            assertThat(rt.events().snapshot(null)).anyMatch(e -> "retry".equals(e.outcome()));
        } finally {
            good.close().sync();
            broken.close().sync();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> cmg.registry().status().isEmpty());
    }

    /**
     * Docs/reliability.md, open finding of the fault matrix: a connection point that gave up a silent channel opens a
     * new one while the CMG still holds the old one (its own PING deadline has not passed). The new channel of the same
     * connection point, transport and port supersedes the old one at once: every new request goes to the new channel,
     * none to the old one, which stays open (requests in flight on it could finish) and is listed as not ready.
     */
    @Test
    void aNewChannelOfTheSameConnectionPointSupersedesItsOldChannelAtOnce() throws Exception {
        await().atMost(Duration.ofSeconds(10)).until(() -> cmg.registry().status().isEmpty());
        FakeStreams first = new FakeStreams(false, "cmgcp01.corp.contoso.com", "conn-first");
        FakeStreams second = new FakeStreams(false, "cmgcp01.corp.contoso.com", "conn-second");
        Promise<Void> up1 = rt.group().next().newPromise();
        Channel old = connectFakeCp(cpTls, up1, first);
        Channel fresh = null;
        try {
            assertThat(up1.await(10, TimeUnit.SECONDS) && up1.isSuccess()).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> cmg.registry().status().size() == 1);
            IssuedCert client = ca.issue(CertSpec.client("client01.corp.contoso.com"));
            String mp = "/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST&supersede=";
            assertThat(get(client, mp + "before", "").statusLine()).isEqualTo("HTTP/1.1 200 OK");
            assertThat(first.seen).containsExactly("GET " + mp + "before");

            Promise<Void> up2 = rt.group().next().newPromise();
            fresh = connectFakeCp(cpTls, up2, second);
            assertThat(up2.await(10, TimeUnit.SECONDS) && up2.isSuccess()).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> cmg.registry().status().size() == 2);
            for (int i = 0; i < 4; i++) {
                TlsTestClient.Raw r = get(client, mp + i, "");
                assertThat(r.statusLine()).as("GET %d", i).isEqualTo("HTTP/1.1 200 OK");
                assertThat(r.body()).contains("GET " + mp + i);
            }
            assertThat(second.seen).as("the new channel carries every new request").hasSize(4);
            assertThat(first.seen).as("the superseded channel gets none").containsExactly("GET " + mp + "before");
            assertThat(old.isActive()).as("the old channel is left open, not torn down by the CMG").isTrue();
            var byId = new java.util.HashMap<String, org.cmglab.cmg.channel.GatewayChannel.Status>();
            cmg.registry().status().forEach(s -> byId.put(s.connectionId(), s));
            assertThat(byId.get("conn-first").ready()).isFalse();
            assertThat(byId.get("conn-first").supersededBy()).isEqualTo("conn-second");
            assertThat(byId.get("conn-second").ready()).isTrue();
            await("the supersede logged with both ids").atMost(Duration.ofSeconds(5)).until(() -> logsContain(
                    "Channel conn-first from connection point cmgcp01.corp.contoso.com is superseded by its new channel "
                            + "conn-second"));
        } finally {
            old.close().sync();
            if (fresh != null) {
                fresh.close().sync();
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> cmg.registry().status().isEmpty());
    }

    /** True when a line of the instance's log files contains {@code text}. */
    static boolean logsContain(String text) throws java.io.IOException {
        try (var files = java.nio.file.Files.walk(dir.resolve("logs"))) {
            for (Path f : files.filter(java.nio.file.Files::isRegularFile).toList()) {
                if (java.nio.file.Files.readString(f, StandardCharsets.UTF_8).contains(text)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The fake connection point's streams: hello, and a 200 echo (or a 403 for ?REFUSE); a {@code resetting} one
     * answers the hello, then resets every request stream (recording what it was).
     */
    static final class FakeStreams extends ChannelInitializer<Http2StreamChannel> {
        private static final java.util.concurrent.atomic.AtomicInteger IDS =
                new java.util.concurrent.atomic.AtomicInteger();
        final boolean resetting;
        final String connector;
        final String connectionId;
        /** The requests this connection point received (method and path). */
        final List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();

        FakeStreams() {
            this(false);
        }

        FakeStreams(boolean resetting) {
            // its own connection id per fake connection point: the CMG refuses a second open channel with an id in use
            this(resetting, "cmgcp01.corp.contoso.com", "conn-test-" + IDS.incrementAndGet());
        }

        /** A connection point named {@code connector} whose hello gives {@code connectionId}. */
        FakeStreams(boolean resetting, String connector, String connectionId) {
            this.resetting = resetting;
            this.connector = connector;
            this.connectionId = connectionId;
        }

        @Override
        protected void initChannel(Http2StreamChannel ch) {
            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                Http2Headers h;
                final StringBuilder body = new StringBuilder();

                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    boolean end = false;
                    if (msg instanceof Http2HeadersFrame f) {
                        h = f.headers();
                        end = f.isEndStream();
                    } else if (msg instanceof Http2DataFrame d) {
                        body.append(d.content().toString(StandardCharsets.UTF_8));
                        end = d.isEndStream();
                    }
                    ReferenceCountUtil.release(msg);
                    if (!end) {
                        return;
                    }
                    String path = h.path().toString();
                    if (path.equals(ChannelProtocol.HELLO_PATH)) {
                        reply(ctx, "200", null, Json.writeCompact(new ChannelHello(ChannelProtocol.UPGRADE_TOKEN,
                                connectionId, connector, "P01", "HTTPS", List.of(new ChannelHello.Role(ROLE, "MP")))));
                        return;
                    }
                    seen.add(h.method() + " " + path);
                    if (resetting) {
                        ctx.writeAndFlush(new io.netty.handler.codec.http2.DefaultHttp2ResetFrame(
                                io.netty.handler.codec.http2.Http2Error.INTERNAL_ERROR));
                        return;
                    }
                    if (path.endsWith("BIG")) {
                        ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")
                                .set("content-length", String.valueOf(BIG))));
                        for (int off = 0; off < BIG; off += 65_536) {
                            byte[] chunk = new byte[Math.min(65_536, BIG - off)];
                            for (int i = 0; i < chunk.length; i++) {
                                chunk[i] = (byte) ((off + i) * 31);
                            }
                            ctx.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(chunk), off + chunk.length >= BIG));
                        }
                        ctx.flush();
                        return;
                    }
                    if (path.endsWith("REFUSE")) {
                        reply(ctx, "403", "CMGConnector_Clientcertificaterequired", "refused");
                        return;
                    }
                    Map<String, String> names = HeaderNames.decode(h.get(ChannelProtocol.H2_HEADER_NAMES));
                    StringBuilder sb = new StringBuilder(h.method() + " " + path + "\n");
                    names.forEach((lower, original) -> sb.append(original).append('=').append(h.get(lower)).append('\n'));
                    sb.append("auth=").append(h.get(ChannelProtocol.H2_CLIENT_AUTH)).append('\n');
                    if (body.length() > 0) {
                        sb.append("body=").append(body).append('\n');
                    }
                    seenByCp.add(sb.toString());
                    reply(ctx, "200", "OK", sb.toString());
                }

                private void reply(ChannelHandlerContext ctx, String status, String reason, String body) {
                    Http2Headers out = new DefaultHttp2Headers().status(status).set("x-mp-header", "kept")
                            .set(ChannelProtocol.H2_HEADER_NAMES, "X-MP-Header");
                    if (reason != null) {
                        out.set(ChannelProtocol.H2_REASON, reason);
                    }
                    ctx.write(new DefaultHttp2HeadersFrame(out));
                    ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(body, StandardCharsets.UTF_8), true));
                }
            });
        }
    }
}
