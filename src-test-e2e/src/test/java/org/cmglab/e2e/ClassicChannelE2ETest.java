package org.cmglab.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cmglab.lab.ComponentProcess;
import org.cmglab.lab.LabPlan;
import org.cmglab.proto.channel.ChannelHello;
import org.cmglab.proto.channel.ChannelPipelines;
import org.cmglab.proto.channel.ChannelProtocol;
import org.cmglab.proto.channel.ConnectorTlsHandler;
import org.cmglab.proto.config.ChannelTimings;
import org.cmglab.proto.config.ConnectionPointConfig;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.EventLoops;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A classic CMG with two VM instances, every component its own process (docs/channel-protocol.md, "Transport choice
 * and fallback"). The connection point has a web proxy configured (a CONNECT proxy run by the test) and retries
 * TCP-TLS every 2 s. Before it starts, a network security rule on the load balancer denies TCP-TLS 10141 (instance 1):
 * <ol>
 * <li>instance 0 gets TCP-TLS 10140, directly (the proxy never sees it); instance 1 falls back to HTTPS 10125 through
 *     the proxy, logged and shown in the status; requests flow over both; TCP-TLS is retried;</li>
 * <li>once 10141 is allowed again, the periodic retry moves instance 1 back to TCP-TLS and drains the HTTPS channel;</li>
 * <li>bad input on the live channel ports (plain HTTP, untrusted certificate, garbage, an oversized or truncated
 *     frame after TLS, a hello for another site, on TCP-TLS and on the HTTPS channel port) is refused with a logged
 *     reason while the connection point's channels and the requests on them carry on;</li>
 * <li>with TCP-TLS 10140 denied, a scale-in to one instance (instance 0 restarts) makes the running connection point
 *     fall back to HTTPS 443 — the single-instance rule — and go back to TCP-TLS once 10140 is allowed.</li>
 * </ol>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClassicChannelE2ETest {
    private static final long RETRY_MS = 2_000;

    @TempDir
    static Path tmp;
    static E2eLab lab;
    static LabPlan plan;
    static ConnectProxy proxy;

    @BeforeAll
    static void startLab() throws Exception {
        int net = 100 + java.util.concurrent.ThreadLocalRandom.current().nextInt(100);
        // the proxy listens on the connection point's network (127.N.2.x), like a site's proxy server
        proxy = new ConnectProxy("127." + net + ".2.80");
        lab = E2eLab.start(tmp.resolve("state"), b -> b.net(net).classic(true).instances(2),
                c -> E2eLab.with(c, new ChannelTimings(15_000, 5_000, RETRY_MS), 500,
                        new ConnectionPointConfig.WebProxy(proxy.address(), proxy.port(), null, null)),
                l -> E2eLab.post(l.lab.component(LabPlan.AZURE_SIM), "/nsg?port=10141&access=Deny"));
        plan = lab.plan;
    }

    @AfterAll
    static void stopLab() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    private static boolean connected(JsonNode ch) {
        return ch != null && "Connected".equals(ch.path("state").asText());
    }

    @Test
    @Order(1)
    void tcpTlsDeniedFallsBackToHttpsThroughTheProxyAndIsRetried() throws Exception {
        ComponentProcess cp = lab.cp();
        JsonNode st = E2eLab.awaitStatus(cp, s -> connected(E2eLab.channel(s, 0)) && connected(E2eLab.channel(s, 1))
                && "HTTPS".equals(E2eLab.channel(s, 1).path("transport").asText()), Duration.ofSeconds(30),
                "instance 0 on TCP-TLS and instance 1 on the HTTPS fallback");
        JsonNode ch0 = E2eLab.channel(st, 0);
        JsonNode ch1 = E2eLab.channel(st, 1);
        // instance 0: TCP-TLS 10140+0, direct
        assertThat(ch0.path("transport").asText()).isEqualTo("TCP-TLS");
        assertThat(ch0.path("port").asInt()).isEqualTo(plan.port(10140));
        assertThat(ch0.path("proxy").isNull()).as("TCP-TLS never goes through the proxy: %s", ch0).isTrue();
        assertThat(ch0.path("fallbackFrom").isNull()).isTrue();
        // instance 1: HTTPS 10124+1 (two instances: never 443), through the proxy, with the reason
        assertThat(ch1.path("port").asInt()).isEqualTo(plan.port(10125));
        assertThat(ch1.path("fallbackFrom").asText()).isEqualTo("TCP-TLS");
        assertThat(ch1.path("fallbackReason").asText()).isNotBlank();
        assertThat(ch1.path("proxy").asText()).isEqualTo(proxy.address() + ":" + proxy.port());
        assertThat(proxy.requests).as("CONNECTs the proxy saw").isNotEmpty()
                .allMatch(r -> r.equals(plan.vipAddress() + ":" + plan.port(10125)));
        Path cpOut = lab.out(LabPlan.CONNECTION_POINT);
        String server = LabPlan.SERVICE_NAME.toUpperCase(java.util.Locale.ROOT);
        assertThat(E2eLab.grep(cpOut, "ERROR: Failed to build Tcp connection")).as("the TCP-TLS failure is logged")
                .anyMatch(l -> l.contains(server + ":" + plan.port(10141)));
        assertThat(E2eLab.grep(cpOut, "falls back to HTTPS: server " + server + ":" + plan.port(10125)))
                .as("the fallback is logged").isNotEmpty();
        assertThat(E2eLab.grep(cpOut, "ERROR: Failed to build Tcp connection"))
                .noneMatch(l -> l.contains(server + ":" + plan.port(10140) + "."));
        // the CMG instances see the same
        assertThat(transports(1)).containsExactly("HTTPS:" + plan.port(10125));
        assertThat(transports(0)).containsExactly("TCP-TLS:" + plan.port(10140));
        assertThat(lab.status(plan.azureAdmin()).path("deniedVipPorts").toString()).contains(
                Integer.toString(plan.port(10141)));

        // requests flow through the VIP, over both instances (the load balancer spreads them)
        long before1 = cmgRequests(1);
        for (int i = 0; i < 8; i++) {
            E2eLab.Client.Response r = E2eLab.Client.vipGet(plan, E2eLab.MPLIST);
            assertThat(r.status()).as("GET %d: %s", i, r.statusLine()).isEqualTo(200);
            assertThat(r.text()).contains(LabPlan.MP_FQDN);
        }
        assertThat(cmgRequests(1) - before1).as("requests instance 1 forwarded over the HTTPS fallback").isPositive();

        // channel state on the status API while a download is in flight on the fallback channel (issue 4 "Done when")
        try (E2eLab.Client c = E2eLab.Client.open(plan, plan.cmgAddress(1), plan.port(443))) {
            long size = 8L << 20;
            c.send("/CCM_Proxy_MutualAuth/" + LabPlan.MP_ROLE_ID + "/SMS_DP_SMSPKG$/P0100001/lab-8MiB.bin");
            String[] head = c.readHead();
            assertThat(head[0]).startsWith("HTTP/1.1 200");
            long off = c.readAndCheck(0, 256 * 1024); // then stalls: the stream stays open
            JsonNode busy = E2eLab.awaitStatus(cp, s -> E2eLab.channel(s, 1).path("activeStreams").asInt() >= 1,
                    Duration.ofSeconds(10), "a stream open on the fallback channel");
            assertChannelState(E2eLab.channel(busy, 1), "HTTPS", plan.port(10125), true);
            assertChannelState(E2eLab.channel(busy, 0), "TCP-TLS", plan.port(10140), false);
            off += c.readAndCheck(off, size - off);
            assertThat(off).isEqualTo(size);
        }

        // TCP-TLS is retried every 2 s while on the fallback, and keeps failing while denied
        long failures = E2eLab.channel(E2eLab.status(cp), 1).path("failures").asLong();
        E2eLab.awaitStatus(cp, s -> E2eLab.channel(s, 1).path("failures").asLong() >= failures + 2,
                Duration.ofSeconds(4 * RETRY_MS / 1000 + 5), "two more TCP-TLS retries");
        assertThat(E2eLab.grep(cpOut, "still fails; staying on HTTPS")).isNotEmpty();
        assertThat(E2eLab.channel(E2eLab.status(cp), 1).path("transport").asText()).isEqualTo("HTTPS");
    }

    @Test
    @Order(2)
    void tcpTlsAllowedAgainTakesOverOnTheNextRetryAndTheHttpsChannelIsDrained() throws Exception {
        ComponentProcess cp = lab.cp();
        JsonNode before = E2eLab.channel(E2eLab.status(cp), 1);
        assertThat(before.path("transport").asText()).isEqualTo("HTTPS");
        String ch0Id = E2eLab.channel(E2eLab.status(cp), 0).path("connectionId").asText();
        int proxied = proxy.requests.size();

        long t0 = System.nanoTime();
        E2eLab.post(lab.lab.component(LabPlan.AZURE_SIM), "/nsg?port=10141&access=Allow");
        JsonNode st = E2eLab.awaitStatus(cp, s -> connected(E2eLab.channel(s, 1))
                && "TCP-TLS".equals(E2eLab.channel(s, 1).path("transport").asText()),
                Duration.ofMillis(RETRY_MS + 8_000), "instance 1 back on TCP-TLS");
        long switchMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("RESULT classic-tcptls-back ms=%d (retry every %d ms)%n", switchMs, RETRY_MS);
        JsonNode ch1 = E2eLab.channel(st, 1);
        assertThat(ch1.path("port").asInt()).isEqualTo(plan.port(10141));
        assertThat(ch1.path("proxy").isNull()).isTrue();
        assertThat(ch1.path("fallbackFrom").isNull()).isTrue();
        assertThat(ch1.path("fallbackReason").isNull()).isTrue();
        assertThat(ch1.path("connectionId").asText()).isNotEqualTo(before.path("connectionId").asText());
        assertThat(E2eLab.grep(lab.out(LabPlan.CONNECTION_POINT), "over TCP-TLS replaces the HTTPS channel")).isNotEmpty();
        // the CMG instance drops the drained HTTPS channel and keeps the TCP-TLS one
        await("instance 1 with only the TCP-TLS channel").atMost(Duration.ofSeconds(40)).pollInterval(E2eLab.POLL)
                .until(() -> transports(1).equals(List.of("TCP-TLS:" + plan.port(10141))));
        assertThat(proxy.requests).as("the proxy saw no TCP-TLS").hasSize(proxied);
        // instance 0's channel was never touched
        assertThat(E2eLab.channel(E2eLab.status(cp), 0).path("connectionId").asText()).isEqualTo(ch0Id);
        long before1 = cmgRequests(1);
        for (int i = 0; i < 6; i++) {
            assertThat(E2eLab.Client.vipGet(plan, E2eLab.MPLIST).status()).isEqualTo(200);
        }
        assertThat(cmgRequests(1) - before1).as("requests over instance 1's TCP-TLS channel").isPositive();
    }

    @Test
    @Order(3)
    void badInputOnTheChannelPortsIsRefusedWithAReasonAndTheRealChannelsCarryOn() throws Exception {
        ComponentProcess cp = lab.cp();
        JsonNode st = E2eLab.status(cp);
        String id0 = E2eLab.channel(st, 0).path("connectionId").asText();
        String id1 = E2eLab.channel(st, 1).path("connectionId").asText();
        Path cmg0 = lab.out(LabPlan.cmgServiceName(0));
        Path cmg1 = lab.out(LabPlan.cmgServiceName(1));
        String vip = plan.vipAddress();
        int tcpTls0 = plan.port(10140);
        int https1 = plan.port(10125);
        IssuedCert cpId = IssuedCert.readPem(Path.of(plan.connectionPointTls().certFile()),
                Path.of(plan.connectionPointTls().keyFile()));
        IssuedCert foreign = LabCa.createEphemeral().issue(CertSpec.client(LabPlan.CP_FQDN));
        var roots = List.of(Pem.readCertificates(plan.rootCertFile()).get(0));

        // 1. plain HTTP on the TCP-TLS port: the TLS handshake fails, logged, socket closed
        int n = count(cmg0, "TLS handshake failed");
        assertClosedAfter(plainSocket(vip, tcpTls0), "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        awaitLog(cmg0, "TLS handshake failed", n);

        // 2. a connector certificate from another CA on the TCP-TLS port: refused after the handshake, logged
        n = count(cmg0, "Refused TCP-TLS channel");
        assertClosedAfter(tlsSocket(vip, tcpTls0, roots, foreign), new byte[0]);
        awaitLog(cmg0, "Refused TCP-TLS channel", n);

        // 3. a trusted certificate, then garbage instead of HTTP/2: a protocol error, logged, closed
        n = count(cmg0, "protocol error");
        assertClosedAfter(tlsSocket(vip, tcpTls0, roots, cpId),
                "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        awaitLog(cmg0, "protocol error", n);

        // 4. an oversized frame (SETTINGS of 1 MiB, above the 64 KiB maximum) after TLS
        n = count(cmg0, "protocol error");
        assertClosedAfter(tlsSocket(vip, tcpTls0, roots, cpId), new byte[] {0x10, 0, 0, 4, 0, 0, 0, 0, 0});
        awaitLog(cmg0, "protocol error", n);

        // 5. a truncated frame (header says 100 bytes, 10 arrive, then FIN): closed before any hello
        n = count(cmg0, "closed before its hello completed");
        try (Socket s = tlsSocket(vip, tcpTls0, roots, cpId)) {
            s.getOutputStream().write(new byte[] {0, 0, 100, 4, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
            s.getOutputStream().flush();
            ((javax.net.ssl.SSLSocket) s).shutdownOutput();
        } catch (IOException | UnsupportedOperationException e) {
            // an SSLSocket may not support half-close: closing it is the truncation then
        }
        awaitLog(cmg0, "closed before its hello completed", n);

        // 6. a well-formed TCP-TLS channel whose hello claims another site: refused with the reason
        n = count(cmg0, "claims site X99");
        Channel fake = wrongSiteChannel(vip, tcpTls0, roots, cpId);
        try {
            assertThat(fake.closeFuture().await(15, TimeUnit.SECONDS)).as("the CMG closes the wrong-site channel")
                    .isTrue();
            awaitLog(cmg0, "claims site X99", n);
            assertThat(lab.cmgReady(0)).doesNotContain("fake-wrong-site");
        } finally {
            fake.close();
        }

        // 7. the HTTPS channel port (upgrade path): plain HTTP, garbage after TLS, an untrusted connector
        n = count(cmg1, "TLS handshake with");
        assertClosedAfter(plainSocket(vip, https1), "GET /CMGChannel/v1 HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        awaitLog(cmg1, "TLS handshake with", n);
        n = count(cmg1, "Bad request from");
        try (Socket s = tlsSocket(vip, https1, roots, cpId)) {
            s.getOutputStream().write("\u0001\u0002garbage \u0000\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            String answer = new String(readAll(s.getInputStream()), StandardCharsets.ISO_8859_1);
            assertThat(answer).startsWith("HTTP/1.1 400");
        }
        awaitLog(cmg1, "Bad request from", n);
        n = count(cmg1, "Refused channel");
        try (Socket s = tlsSocket(vip, https1, roots, foreign)) {
            s.getOutputStream().write(("GET /CMGChannel/v1 HTTP/1.1\r\nHost: " + LabPlan.SERVICE_NAME
                    + "\r\nConnection: Upgrade\r\nUpgrade: cmglab-channel/1\r\nCMG-Connection-Id: fake-untrusted\r\n"
                    + "CMG-Connector: " + LabPlan.CP_FQDN + "\r\nCMG-Site: P01\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            String answer = new String(readAll(s.getInputStream()), StandardCharsets.ISO_8859_1);
            assertThat(answer).startsWith("HTTP/1.1 403 CMGService_ConnectorCertificateRejected");
        }
        awaitLog(cmg1, "Refused channel", n);

        // the connection point's channels were never disturbed, and requests still flow over both instances
        JsonNode after = E2eLab.status(cp);
        assertThat(E2eLab.channel(after, 0).path("connectionId").asText()).isEqualTo(id0);
        assertThat(E2eLab.channel(after, 1).path("connectionId").asText()).isEqualTo(id1);
        assertThat(connected(E2eLab.channel(after, 0)) && connected(E2eLab.channel(after, 1))).isTrue();
        assertThat(lab.cmgReady(0)).containsExactly(id0);
        assertThat(lab.cmgReady(1)).containsExactly(id1);
        for (int i = 0; i < 4; i++) {
            assertThat(E2eLab.Client.vipGet(plan, E2eLab.MPLIST).status()).isEqualTo(200);
        }
        for (int inst = 0; inst < 2; inst++) {
            try (E2eLab.Client c = E2eLab.Client.open(plan, plan.cmgAddress(inst), plan.port(443))) {
                assertThat(c.get(E2eLab.MPLIST).status()).as("GET through instance %d", inst).isEqualTo(200);
            }
        }
    }

    @Test
    @Order(4)
    void oneInstanceFallsBackToHttps443() throws Exception {
        ComponentProcess cp = lab.cp();
        ComponentProcess azure = lab.lab.component(LabPlan.AZURE_SIM);
        E2eLab.post(azure, "/nsg?port=10140&access=Deny");
        long t0 = System.nanoTime();
        E2eLab.post(lab.lab.component(LabPlan.SCP), "/scale?count=1");
        lab.awaitDeployment(1, Duration.ofSeconds(120));
        JsonNode st = E2eLab.awaitStatus(cp, s -> s.path("channels").size() == 1 && connected(E2eLab.channel(s, 0))
                && E2eLab.channel(s, 0).path("port").asInt() == plan.port(443), Duration.ofSeconds(30),
                "one channel, on the HTTPS fallback 443");
        System.out.printf("RESULT classic-scale-in-to-1 fallback443Ms=%d%n", (System.nanoTime() - t0) / 1_000_000);
        JsonNode ch = E2eLab.channel(st, 0);
        assertThat(ch.path("transport").asText()).isEqualTo("HTTPS");
        assertThat(ch.path("fallbackFrom").asText()).isEqualTo("TCP-TLS");
        assertThat(ch.path("proxy").asText()).isEqualTo(proxy.address() + ":" + proxy.port());
        assertThat(proxy.requests).contains(plan.vipAddress() + ":" + plan.port(443));
        String server = LabPlan.SERVICE_NAME.toUpperCase(java.util.Locale.ROOT);
        assertThat(E2eLab.grep(lab.out(LabPlan.CONNECTION_POINT), "falls back to HTTPS: server " + server + ":"
                + plan.port(443))).isNotEmpty();
        assertThat(E2eLab.Client.vipGet(plan, E2eLab.MPLIST).status()).isEqualTo(200);

        E2eLab.post(azure, "/nsg?port=10140&access=Allow");
        st = E2eLab.awaitStatus(cp, s -> s.path("channels").size() == 1 && connected(E2eLab.channel(s, 0))
                && "TCP-TLS".equals(E2eLab.channel(s, 0).path("transport").asText()),
                Duration.ofMillis(RETRY_MS + 8_000), "instance 0 back on TCP-TLS");
        assertThat(E2eLab.channel(st, 0).path("port").asInt()).isEqualTo(plan.port(10140));
        assertThat(E2eLab.Client.vipGet(plan, E2eLab.MPLIST).status()).isEqualTo(200);
    }

    // ------------------------------------------------------------------ helpers

    /** transport:port of the ready channels a CMG instance lists. */
    private static List<String> transports(int instance) throws Exception {
        return org.cmglab.lab.LabProcesses.readyChannels(lab.lab.adminGet(plan.cmgAdmin(instance), "/status")).stream()
                .map(c -> c.path("transport").asText() + ":" + c.path("port").asInt()).toList();
    }

    /** Requests a CMG instance sent over its channels (sum over every channel it lists). */
    private static long cmgRequests(int instance) throws Exception {
        long n = 0;
        for (JsonNode c : lab.status(plan.cmgAdmin(instance)).path("channels")) {
            n += c.path("requests").asLong();
        }
        return n;
    }

    private static void assertChannelState(JsonNode ch, String transport, int port, boolean viaProxy) {
        assertThat(ch.path("transport").asText()).as("transport of %s", ch).isEqualTo(transport);
        assertThat(ch.path("port").asInt()).as("port of %s", ch).isEqualTo(port);
        assertThat(ch.has("proxy")).as("proxy field in %s", ch).isTrue();
        if (viaProxy) {
            assertThat(ch.path("proxy").asText()).isEqualTo(proxy.address() + ":" + proxy.port());
        } else {
            assertThat(ch.path("proxy").isNull()).isTrue();
        }
        assertThat(Instant.parse(ch.path("since").asText())).as("since").isBefore(Instant.now().plusSeconds(1));
        assertThat(ch.path("activeStreams").isInt()).as("activeStreams in %s", ch).isTrue();
        assertThat(ch.path("bytesIn").asLong()).as("bytesIn of %s", ch).isPositive();
        assertThat(ch.path("bytesOut").asLong()).as("bytesOut of %s", ch).isPositive();
        assertThat(ch.path("connectionId").asText()).isNotBlank();
    }

    private static int count(Path log, String needle) throws IOException {
        return E2eLab.grep(log, needle).size();
    }

    private static void awaitLog(Path log, String needle, int before) {
        await("a new '" + needle + "' line in " + log.getFileName()).atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(100)).until(() -> count(log, needle) > before);
    }

    private static Socket plainSocket(String address, int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(address, port), 3_000);
        s.setSoTimeout(10_000);
        return s;
    }

    /** A TLS socket to the channel port, SNI and name check on the service name, with {@code id} as client cert. */
    private static Socket tlsSocket(String address, int port, List<java.security.cert.X509Certificate> roots,
                                    IssuedCert id) throws Exception {
        var s = (javax.net.ssl.SSLSocket) TlsContexts.jdkClient(roots, id).getSocketFactory().createSocket();
        s.connect(new InetSocketAddress(address, port), 3_000);
        s.setSoTimeout(10_000);
        var p = s.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        p.setServerNames(List.of(new javax.net.ssl.SNIHostName(LabPlan.SERVICE_NAME)));
        p.setApplicationProtocols(new String[0]);
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    /** Writes {@code bytes}, then expects the peer to close (EOF or reset) within the socket timeout. */
    private static void assertClosedAfter(Socket s, byte[] bytes) throws IOException {
        try (s) {
            try {
                if (bytes.length > 0) {
                    s.getOutputStream().write(bytes);
                    s.getOutputStream().flush();
                }
                readAll(s.getInputStream());
            } catch (java.net.SocketTimeoutException e) {
                throw new AssertionError("the CMG kept the bad connection open for 10 s", e);
            } catch (IOException e) {
                // reset or TLS alert: closed
            }
        }
    }

    /** Reads until EOF (bounded: 1 MiB, the socket's timeout per read). */
    private static byte[] readAll(InputStream in) throws IOException {
        var out = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        for (int r; (r = in.read(buf)) >= 0 && out.size() < (1 << 20); ) {
            out.write(buf, 0, r);
        }
        return out.toByteArray();
    }

    /** A TCP-TLS channel like the connection point's (lab certificate, HTTP/2 server role) whose hello says site X99. */
    private static Channel wrongSiteChannel(String address, int port, List<java.security.cert.X509Certificate> roots,
                                            IssuedCert id) throws Exception {
        EventLoopGroup g = EventLoops.newGroup(1, "e2e-fake-cp");
        var tls = TlsContexts.client(roots, id);
        Promise<Void> up = g.next().newPromise();
        Channel ch = new Bootstrap().group(g).channel(EventLoops.socketChannelClass())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(tls.newHandler(c.alloc(), LabPlan.SERVICE_NAME, port),
                                new ConnectorTlsHandler(up, ctx -> ChannelPipelines.installConnectorSide(ctx.channel(),
                                        new ChannelTimings(15_000, 5_000).toSettings(), "fake-cp", new WrongSiteHello(),
                                        new ChannelInboundHandlerAdapter())));
                    }
                }).connect(new InetSocketAddress(address, port)).sync().channel();
        ch.closeFuture().addListener(f -> g.shutdownGracefully(0, 1, TimeUnit.SECONDS));
        return ch;
    }

    /** Answers the CMG's hello with site X99 (the CMG belongs to P01). */
    private static final class WrongSiteHello extends ChannelInitializer<Http2StreamChannel> {
        @Override
        protected void initChannel(Http2StreamChannel ch) {
            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    try {
                        if (msg instanceof Http2HeadersFrame h && h.isEndStream()) {
                            String body = Json.writeCompact(new ChannelHello(ChannelProtocol.UPGRADE_TOKEN,
                                    "fake-wrong-site", LabPlan.CP_FQDN, "X99", "TCP-TLS",
                                    List.of(new ChannelHello.Role(LabPlan.MP_ROLE_ID, "MP"))));
                            ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")));
                            ctx.writeAndFlush(new DefaultHttp2DataFrame(
                                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8), true));
                        }
                    } finally {
                        ReferenceCountUtil.release(msg);
                    }
                }
            });
        }
    }
}
