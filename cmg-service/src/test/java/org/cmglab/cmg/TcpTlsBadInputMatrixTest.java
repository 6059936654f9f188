package org.cmglab.cmg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.cmglab.cmg.RawH2Peer.CONTINUATION;
import static org.cmglab.cmg.RawH2Peer.DATA;
import static org.cmglab.cmg.RawH2Peer.END_HEADERS;
import static org.cmglab.cmg.RawH2Peer.END_STREAM;
import static org.cmglab.cmg.RawH2Peer.GOAWAY;
import static org.cmglab.cmg.RawH2Peer.HEADERS;
import static org.cmglab.cmg.RawH2Peer.PING;
import static org.cmglab.cmg.RawH2Peer.PUSH_PROMISE;
import static org.cmglab.cmg.RawH2Peer.RST_STREAM;
import static org.cmglab.cmg.RawH2Peer.SETTINGS;
import static org.cmglab.cmg.RawH2Peer.WINDOW_UPDATE;
import static org.cmglab.cmg.RawH2Peer.frame;
import static org.cmglab.cmg.RawH2Peer.int32;
import static org.cmglab.cmg.RawH2Peer.repeat;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.awaitility.core.ConditionTimeoutException;
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
import org.cmglab.proto.pki.Eku;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.EventLoops;
import org.cmglab.proto.runtime.Json;
import org.cmglab.proto.testing.BadInputReport;
import org.cmglab.proto.testing.LeakWatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bad-input matrix of a classic CMG instance's <b>TCP-TLS channel listener</b> (10140+i): what a socket that is
 * not TLS, a connection point without (or with the wrong) certificate, and a connection point that breaks the
 * channel's HTTP/2 or hello do to it. Each case states the behaviour it expects and the log line that must name the
 * reason; after each one a lab connection point's TCP-TLS channel must still be the only registered channel and a
 * client request through it must still get 200 ("the lab's real channel and a real client request unaffected").
 * Netty runs with paranoid leak detection and the class fails on any LEAK report. The rows join the module's
 * {@code target/reliability/bad-input.md}.
 *
 * <p>The CMG here trusts connection point certificates from their own root ({@code connectorTrustRoots}) and client
 * certificates from another ({@code clientTrustRoots}), as its config allows.
 */
class TcpTlsBadInputMatrixTest {
    static final String SVC = "GraniteFalls.contoso.com";
    static final String ROLE = CmgServiceTcpTlsTest.ROLE;
    static final String CP = "cmgcp01.corp.contoso.com";
    static final String GOOD_ID = "cp-good";
    static final String MP = "/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST";
    static final BadInputReport REPORT = new BadInputReport("cmg-service-tcp-tls");

    @TempDir
    static Path dir;
    static LabCa ca;
    static LabCa cpCa;
    static ComponentRuntime rt;
    static CmgService cmg;
    static InetSocketAddress tcpTls;
    static InetSocketAddress frontDoor;
    static SSLContext clientTls;
    static SSLContext cpRaw;
    static Channel goodCp;
    static LeakWatch leaks;

    /**
     * One case: {@code log} is a text the CMG's log must contain afterwards (null: the case does not close anything).
     */
    record Case(String id, String area, String expected, String log, Callable<String> run) {
        @Override
        public String toString() {
            return id;
        }
    }

    @BeforeAll
    static void start() throws Exception {
        leaks = new LeakWatch();
        ca = LabCa.createEphemeral();
        cpCa = LabCa.createEphemeral();
        Path root = dir.resolve("root.pem");
        Path cpRoot = dir.resolve("cp-root.pem");
        Files.writeString(root, Pem.toPem(ca.root()));
        Files.writeString(cpRoot, Pem.toPem(cpCa.root()));
        ca.issue(CertSpec.server(SVC, List.of(SVC), List.of())).writePem(dir.resolve("cmg.crt.pem"),
                dir.resolve("cmg.key.pem"));
        CmgServiceConfig c = new CmgServiceConfig(SVC, "granitefalls.cloudapp.net", "P01", 0,
                new Endpoint("127.0.0.1", 0), null, new Endpoint("127.0.0.1", 0),
                new TlsFiles(dir.resolve("cmg.crt.pem").toString(), dir.resolve("cmg.key.pem").toString()),
                List.of(root.toString()), List.of(cpRoot.toString()), List.of(new PublishedRole(ROLE, "MP", "P01")),
                1 << 20, new ChannelTimings(15_000, 5_000), dir.resolve("logs").toString(),
                new Endpoint("127.0.0.1", 0));
        rt = new ComponentRuntime("cmg-tcp-tls-bad-input", dir.resolve("logs"), "CMGService.log", "CMGService", 2);
        cmg = CmgService.start(c, rt);
        tcpTls = cmg.tcpTlsAddress();
        frontDoor = cmg.boundAddresses().get(0);
        clientTls = TlsContexts.jdkClient(List.of(ca.root()), ca.issue(CertSpec.client("client01.corp.contoso.com")));
        cpRaw = RawH2Peer.presenting(ca.root(), cpCa.issue(CertSpec.client(CP)));
        Promise<Void> up = rt.group().next().newPromise();
        goodCp = dialGood(TlsContexts.client(List.of(ca.root()), cpCa.issue(CertSpec.client(CP))), up);
        assertThat(up.await(10, TimeUnit.SECONDS) && up.isSuccess()).as("good channel: %s", up.cause()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(TcpTlsBadInputMatrixTest::onlyTheGoodChannel);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            REPORT.write();
            if (goodCp != null) {
                goodCp.close().sync();
            }
            cmg.close();
            rt.close();
            assertThat(leaks.leaks()).as("Netty LEAK reports").isEmpty();
            assertThat(log(0)).as("LEAK in the CMG's log").doesNotContain("LEAK:");
        } finally {
            leaks.close();
        }
    }

    /** The lab's connection point: TLS, then the HTTP/2 server side; its streams answer "via TCP-TLS". */
    static Channel dialGood(SslContext tls, Promise<Void> up) throws InterruptedException {
        return new Bootstrap().group(rt.group()).channel(EventLoops.socketChannelClass())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(tls.newHandler(ch.alloc(), SVC, tcpTls.getPort()),
                                new ConnectorTlsHandler(up, ctx -> ChannelPipelines.installConnectorSide(ctx.channel(),
                                        new ChannelTimings(15_000, 5_000).toSettings(), "good-cp",
                                        new CmgServiceTcpTlsTest.Streams(GOOD_ID),
                                        new ChannelInboundHandlerAdapter())));
                    }
                }).connect(tcpTls).sync().channel();
    }

    static boolean onlyTheGoodChannel() {
        var st = cmg.registry().status();
        return st.size() == 1 && st.get(0).connectionId().equals(GOOD_ID);
    }

    static boolean goodRequestServed() {
        try {
            TlsTestClient.Raw r = TlsTestClient.exchange(clientTls, SVC, frontDoor, "GET " + MP + " HTTP/1.1\r\nHost: "
                    + SVC + "\r\nConnection: close\r\n\r\n");
            return r.statusLine().equals("HTTP/1.1 200 OK") && r.body().equals("via TCP-TLS");
        } catch (IOException e) {
            return false;
        }
    }

    /** The CMG's log from byte {@code from} on. */
    static String log(long from) throws IOException {
        Path f = dir.resolve("logs").resolve("CMGService.log");
        if (!Files.exists(f)) {
            return "";
        }
        byte[] all = Files.readAllBytes(f);
        return new String(all, (int) Math.min(from, all.length), (int) Math.max(0, all.length - from),
                StandardCharsets.UTF_8);
    }

    static long logSize() throws IOException {
        Path f = dir.resolve("logs").resolve("CMGService.log");
        return Files.exists(f) ? Files.size(f) : 0;
    }

    // ------------------------------------------------------------------ case helpers

    static String hello(String connectionId, String site, String roleId) {
        return Json.writeCompact(new ChannelHello(ChannelProtocol.UPGRADE_TOKEN, connectionId, CP, site, "TCP-TLS",
                List.of(new ChannelHello.Role(roleId, "MP"))));
    }

    /** TLS with {@code ctx}, then {@code after} bytes (none: silence); how the CMG ends it within {@code ms}. */
    static String afterTls(SSLContext ctx, long ms, byte[]... after) throws IOException {
        try (RawH2Peer p = RawH2Peer.connect(ctx, SVC, tcpTls)) {
            p.write(after);
            return p.awaitClose(ms);
        }
    }

    /** A certificate case: the handshake itself succeeds (the check runs after it), then the CMG must hang up. */
    static String certificate(IssuedCert presented) {
        try (RawH2Peer p = RawH2Peer.connect(RawH2Peer.presenting(ca.root(), presented), SVC, tcpTls)) {
            return p.awaitClose(5_000);
        } catch (IOException e) {
            return "handshake failed (" + e.getClass().getSimpleName() + ")";
        }
    }

    /** Server preface, then {@code frames}, before any hello answer; how the CMG ends it. */
    static String beforeHello(byte[]... frames) throws IOException {
        byte[][] all = new byte[frames.length + 1][];
        all[0] = frame(SETTINGS, 0, 0, new byte[0]);
        System.arraycopy(frames, 0, all, 1, frames.length);
        return afterTls(cpRaw, 10_000, all);
    }

    /** A registered channel (valid hello) that then sends {@code frames}; how the CMG ends it, and its registration. */
    static String afterHello(String connectionId, long waitMs, java.util.function.IntFunction<byte[][]> frames)
            throws IOException {
        try (RawH2Peer p = RawH2Peer.connect(cpRaw, SVC, tcpTls)) {
            int helloStream = p.answerHello("200", hello(connectionId, "P01", ROLE));
            await().atMost(Duration.ofSeconds(10)).until(() -> registered(connectionId));
            p.write(frames.apply(helloStream));
            String end = p.awaitClose(waitMs);
            // while this side still holds the socket: did the CMG take the channel out of its registry? (A flooded
            // channel can take a few seconds: the CMG stops sending requests on it at once, but its TLS close waits
            // for the peer, which is still writing, to take the ACKs queued before the close_notify.)
            boolean gone = end.equals("still open") ? !registered(connectionId)
                    : unregisteredWithin(connectionId, 10_000);
            return end + (gone ? ", no longer registered" : ", still registered");
        }
    }

    static boolean unregisteredWithin(String connectionId, long ms) {
        try {
            await().atMost(Duration.ofMillis(ms)).until(() -> !registered(connectionId));
            return true;
        } catch (ConditionTimeoutException e) {
            return false;
        }
    }

    static boolean registered(String connectionId) {
        return cmg.registry().status().stream().anyMatch(s -> s.connectionId().equals(connectionId));
    }

    /** A hello answered with {@code status}/{@code body}: registered or refused. */
    static String helloAnswer(String connectionId, String status, String body) throws IOException {
        try (RawH2Peer p = RawH2Peer.connect(cpRaw, SVC, tcpTls)) {
            p.answerHello(status, body);
            String end = p.awaitClose(10_000);
            return end + (registered(connectionId) ? ", registered" : ", never registered");
        }
    }

    // ------------------------------------------------------------------ the table

    static Stream<Case> cases() {
        List<Case> c = new ArrayList<>();
        String transport = "channel TCP-TLS: not TLS";
        String handshakeFailed = "TLS handshake failed";
        c.add(new Case("plain HTTP/1.1 request, no TLS", transport, "closed", handshakeFailed,
                () -> RawH2Peer.plain(tcpTls, ("GET " + ChannelProtocol.UPGRADE_PATH + " HTTP/1.1\r\nHost: " + SVC
                        + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1), 15_000)));
        c.add(new Case("the HTTP/2 client preface in clear text (h2c)", transport, "closed", handshakeFailed,
                () -> RawH2Peer.plain(tcpTls, RawH2Peer.CLIENT_MAGIC, 15_000)));
        c.add(new Case("TLS record header with 16 random bytes", transport, "TLS alert, closed", handshakeFailed,
                () -> RawH2Peer.plain(tcpTls, new byte[] {0x16, 0x03, 0x01, 0x00, 0x10, 9, 8, 7, 6, 5, 4, 3, 2, 1,
                        0, 1, 2, 3, 4, 5, 6}, 15_000)));
        c.add(new Case("TCP connection, not a byte sent", transport, "closed after 5 to 15 s", handshakeFailed,
                () -> RawH2Peer.plain(tcpTls, new byte[0], 20_000)));
        String certs = "channel TCP-TLS: certificate";
        c.add(new Case("TLS without a client certificate", certs, "closed", "no client certificate presented",
                () -> certificate(null)));
        c.add(new Case("connector certificate of a foreign CA", certs, "closed", "does not chain to a trusted root",
                () -> certificate(LabCa.createEphemeral().issue(CertSpec.client(CP)))));
        c.add(new Case("a client device certificate (client root, not a connector root)", certs, "closed",
                "does not chain to a trusted root", () -> certificate(ca.issue(CertSpec.client(CP)))));
        c.add(new Case("connector-root certificate with server-auth EKU only", certs, "closed",
                "is not valid for client authentication",
                () -> certificate(cpCa.issue(CertSpec.builder(CP).ekus(Eku.SERVER_AUTH).build()))));
        c.add(new Case("expired connector certificate", certs, "closed", " expired at ", () -> certificate(cpCa.issue(
                CertSpec.builder(CP).ekus(Eku.CLIENT_AUTH).notBefore(Instant.now().minus(Duration.ofDays(9)))
                        .notAfter(Instant.now().minus(Duration.ofDays(1))).build()))));
        String framing = "channel TCP-TLS: preface and frames";
        String protocolError = "closing after a protocol error";
        c.add(new Case("garbage instead of the server preface (SETTINGS)", framing, "closed (GOAWAY PROTOCOL_ERROR)",
                protocolError, () -> afterTls(cpRaw, 10_000, "\0\0\5\1\0\0\0\0\0garbage".getBytes(
                        StandardCharsets.ISO_8859_1))));
        c.add(new Case("an HTTP/1.1 channel upgrade request after TLS", framing, "closed (GOAWAY PROTOCOL_ERROR)",
                protocolError, () -> afterTls(cpRaw, 10_000, ("GET " + ChannelProtocol.UPGRADE_PATH + " HTTP/1.1\r\n"
                        + "Host: " + SVC + "\r\nConnection: Upgrade\r\nUpgrade: " + ChannelProtocol.UPGRADE_TOKEN
                        + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1))));
        c.add(new Case("TLS, then silence (no preface, no hello)", framing, "closed (GOAWAY NO_ERROR)",
                "no hello from the connection point within 10000 ms", () -> afterTls(cpRaw, 15_000)));
        c.add(new Case("a truncated frame, then the socket closed", framing, "nothing registered",
                "closed before its hello completed", () -> {
                    try (RawH2Peer p = RawH2Peer.connect(cpRaw, SVC, tcpTls)) {
                        p.write(frame(SETTINGS, 0, 0, new byte[0]), frame(1000, DATA, 0, 1, new byte[10]));
                    }
                    try {
                        await().atMost(Duration.ofSeconds(5)).until(TcpTlsBadInputMatrixTest::onlyTheGoodChannel);
                        return "nothing registered";
                    } catch (ConditionTimeoutException e) {
                        return "registered: " + cmg.registry().status();
                    }
                }));
        c.add(new Case("a frame of 1 MiB (maximum 64 KiB)", framing, "closed (GOAWAY FRAME_SIZE_ERROR)",
                protocolError, () -> beforeHello(frame(1 << 20, DATA, 0, 1, new byte[4096]))));
        c.add(new Case("SETTINGS with an initial window over 2^31-1", framing, "closed (GOAWAY FLOW_CONTROL_ERROR)",
                protocolError, () -> beforeHello(frame(SETTINGS, 0, 0, new byte[] {0, 4, (byte) 0x80, 0, 0, 0}))));
        c.add(new Case("SETTINGS_ENABLE_PUSH = 2", framing, "closed (GOAWAY PROTOCOL_ERROR)", protocolError,
                () -> beforeHello(frame(SETTINGS, 0, 0, new byte[] {0, 2, 0, 0, 0, 2}))));
        c.add(new Case("the connection point opens a stream (HEADERS on odd stream 101)", framing,
                "closed (GOAWAY PROTOCOL_ERROR)", protocolError,
                () -> beforeHello(frame(HEADERS, END_HEADERS | END_STREAM, 101, new byte[] {(byte) 0x82}))));
        c.add(new Case("the connection point opens a stream (HEADERS on even stream 2)", framing,
                "closed (GOAWAY PROTOCOL_ERROR)", "the peer opened stream 2, but only the CMG opens streams",
                () -> beforeHello(frame(HEADERS, END_HEADERS | END_STREAM, 2, new byte[] {(byte) 0x88}))));
        c.add(new Case("PUSH_PROMISE although push is off", framing, "closed (GOAWAY PROTOCOL_ERROR)", protocolError,
                () -> beforeHello(frame(PUSH_PROMISE, END_HEADERS, 1, new byte[] {0, 0, 0, 2, (byte) 0x82}))));
        c.add(new Case("DATA on stream 0", framing, "closed (GOAWAY PROTOCOL_ERROR)", protocolError,
                () -> beforeHello(frame(DATA, 0, 0, new byte[] {1, 2, 3}))));
        c.add(new Case("connection WINDOW_UPDATE past 2^31-1", framing, "closed (GOAWAY FLOW_CONTROL_ERROR)",
                protocolError, () -> beforeHello(frame(WINDOW_UPDATE, 0, 0, int32(0x7FFFFFFFL)),
                        frame(WINDOW_UPDATE, 0, 0, int32(0x7FFFFFFFL)))));
        String hello = "channel TCP-TLS: hello";
        c.add(new Case("hello answered 404", hello, "closed (GOAWAY NO_ERROR), never registered",
                "hello refused by the connection point with status 404",
                () -> helloAnswer("h404", "404", "")));
        c.add(new Case("hello claims another site", hello, "closed (GOAWAY NO_ERROR), never registered",
                "claims site X99 but this CMG belongs to site P01",
                () -> helloAnswer("hx99", "200", hello("hx99", "X99", ROLE))));
        c.add(new Case("hello of a connection point for roles this CMG does not publish", hello,
                "closed (GOAWAY NO_ERROR), never registered", "none of the roles this CMG publishes",
                () -> helloAnswer("hrole", "200", hello("hrole", "P01", "72057594037927999"))));
        c.add(new Case("hello claims the connection id of the registered channel", hello,
                "closed (GOAWAY NO_ERROR), never registered", "is already in use",
                () -> {
                    try (RawH2Peer p = RawH2Peer.connect(cpRaw, SVC, tcpTls)) {
                        p.answerHello("200", hello(GOOD_ID, "P01", ROLE));
                        String end = p.awaitClose(10_000);
                        long n = cmg.registry().status().stream().filter(x -> x.connectionId().equals(GOOD_ID))
                                .count();
                        return end + (n == 1 ? ", never registered" : ", registered (" + n + " channels " + GOOD_ID
                                + ")");
                    }
                }));
        c.add(new Case("hello answered twice on the hello stream", hello,
                "second answer reset (RST_STREAM STREAM_CLOSED), channel registered once", null, () -> {
                    try (RawH2Peer p = RawH2Peer.connect(cpRaw, SVC, tcpTls)) {
                        int s = p.answerHello("200", hello("htwice", "P01", ROLE));
                        await().atMost(Duration.ofSeconds(10)).until(() -> registered("htwice"));
                        p.write(frame(HEADERS, END_HEADERS, s, new byte[] {(byte) 0x88}),
                                frame(DATA, END_STREAM, s, hello("htwice2", "P01", ROLE)
                                        .getBytes(StandardCharsets.UTF_8)));
                        String end = p.awaitClose(2_000);
                        long n = cmg.registry().status().stream().filter(x -> x.connectionId().startsWith("htwice"))
                                .count();
                        return (p.seen.contains("RST_STREAM " + s + " STREAM_CLOSED")
                                ? "second answer reset (RST_STREAM STREAM_CLOSED)" : "second answer: " + p.seen + " "
                                + end) + ", channel registered " + (n == 1 ? "once" : n + " times");
                    }
                }));
        String floods = "channel TCP-TLS: floods and shutdown";
        c.add(new Case("RST_STREAM on an idle stream (never opened)", floods,
                "closed (GOAWAY PROTOCOL_ERROR), no longer registered",
                protocolError, () -> afterHello("hrst1", 10_000, s -> new byte[][] {
                        frame(RST_STREAM, 0, s + 100, int32(8))})));
        c.add(new Case("20000 RST_STREAM on the closed hello stream", floods,
                "ignored (no answer, no state): still open, still registered", null, () -> {
                    String end = afterHello("hrst", 3_000, s -> new byte[][] {
                            repeat(frame(RST_STREAM, 0, s, int32(8)), 20_000)});
                    return (end.startsWith("still open") ? "ignored (no answer, no state): " : "") + end;
                }));
        c.add(new Case("20000 SETTINGS frames", floods, "closed (GOAWAY NO_ERROR), no longer registered",
                "control-frame flood",
                () -> afterHello("hset", 10_000, s -> new byte[][] {
                        repeat(frame(SETTINGS, 0, 0, new byte[0]), 20_000)})));
        c.add(new Case("20000 PINGs", floods, "closed (GOAWAY NO_ERROR), no longer registered",
                "control-frame flood",
                () -> afterHello("hping", 10_000, s -> new byte[][] {
                        repeat(frame(PING, 0, 0, new byte[8]), 20_000)})));
        c.add(new Case("CONTINUATION flood: a header block of 10000 x 1 KiB frames", floods,
                "closed (GOAWAY ENHANCE_YOUR_CALM), no longer registered", protocolError,
                () -> afterHello("hcont", 10_000, s -> new byte[][] {
                        frame(HEADERS, 0, s + 2, new byte[] {(byte) 0x88}),
                        repeat(frame(CONTINUATION, 0, s + 2, new byte[1024]), 10_000)})));
        c.add(new Case("GOAWAY from the connection point, which then keeps the socket and sends PINGs", floods,
                "closed (GOAWAY NO_ERROR), no longer registered", "sent GOAWAY",
                () -> afterHello("hgoaway", 10_000, s -> new byte[][] {
                        frame(GOAWAY, 0, 0, new byte[] {0, 0, 0, 0, 0, 0, 0, 0}),
                        repeat(frame(PING, 0, 0, new byte[8]), 20)})));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void badInputOnTheTcpTlsListenerIsRefusedWithItsReasonAndTheLabChannelServesOn(Case c) throws Exception {
        long mark = logSize();
        String observed;
        try {
            observed = c.run().call();
        } catch (Exception e) {
            observed = "test client failed: " + e;
        }
        boolean logged = true;
        if (c.log() != null) {
            try {
                await().atMost(Duration.ofSeconds(5)).until(() -> log(mark).contains(c.log()));
            } catch (ConditionTimeoutException e) {
                logged = false;
            }
        }
        boolean alone;
        try {
            await().atMost(Duration.ofSeconds(15)).until(TcpTlsBadInputMatrixTest::onlyTheGoodChannel);
            alone = true;
        } catch (ConditionTimeoutException e) {
            alone = false;
        }
        boolean goodUp = goodCp.isActive() && alone;
        boolean served = goodUp && goodRequestServed();
        boolean pass = observed.equals(c.expected()) && logged && served;
        REPORT.add(c.id(), c.area(), c.expected() + (c.log() == null ? "" : "; log: " + c.log()),
                observed + (c.log() == null ? "" : logged ? "; logged" : "; NOT LOGGED")
                        + (served ? "; lab channel then served a client (200)"
                        : "; LAB CHANNEL FAILED (only the lab channel registered: " + alone + ")"), pass);
        assertThat(observed).as(c.id()).isEqualTo(c.expected());
        assertThat(logged).as("the CMG logs '%s' after: %s", c.log(), c.id()).isTrue();
        assertThat(goodUp).as("the lab's channel is up and the only one registered after: " + c.id()).isTrue();
        assertThat(served).as("a client request is served through the lab's channel after: " + c.id()).isTrue();
    }

    @Test
    void theMatrixCoversTheListenersAreas() {
        assertThat(cases().count()).isGreaterThanOrEqualTo(25);
        assertThat(cases().map(Case::area).distinct().toList()).containsExactly("channel TCP-TLS: not TLS",
                "channel TCP-TLS: certificate", "channel TCP-TLS: preface and frames", "channel TCP-TLS: hello",
                "channel TCP-TLS: floods and shutdown");
    }
}
