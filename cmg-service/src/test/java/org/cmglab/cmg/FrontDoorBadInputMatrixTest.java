package org.cmglab.cmg;

import static org.cmglab.cmg.RawH2Peer.frame;
import static org.cmglab.cmg.RawH2Peer.int32;
import static org.cmglab.cmg.RawH2Peer.repeat;
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
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.cmglab.proto.channel.ChannelHello;
import org.cmglab.proto.channel.ChannelPipelines;
import org.cmglab.proto.channel.ChannelProtocol;
import org.cmglab.proto.channel.ConnectorUpgradeHandler;
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
 * The bad-input matrix of a real CMG instance on loopback (front door: HTTP parsing, oversize request line, headers
 * and bodies, slow clients, TLS misuse, client certificates, path traversal; the channel: bad frames, wrong
 * protocol, floods, window abuse, bad hellos). Each case states the status or behaviour it expects; after each one
 * a good client request must still get 200 through the channel of a well-behaved connection point, and that channel
 * must still be up ("other clients unaffected"). Netty runs with paranoid leak detection; the class fails on any
 * LEAK report. The table goes to {@code target/reliability/bad-input.md}.
 */
class FrontDoorBadInputMatrixTest {
    static final String SVC = "GraniteFalls.contoso.com";
    static final String ROLE = CmgServiceIntegrationTest.ROLE;
    static final String MP = "/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST";
    static final long HEAD_TIMEOUT_MS = 1_500;
    static final int MAX_BODY = 1 << 20;
    static final BadInputReport REPORT = new BadInputReport("cmg-service");

    @TempDir
    static Path dir;
    static LabCa ca;
    static ComponentRuntime rt;
    static CmgService cmg;
    static InetSocketAddress frontDoor;
    static SslContext cpTls;
    static IssuedCert client;
    static SSLContext clientTls;
    static Channel goodCp;
    static LeakWatch leaks;

    record Case(String id, String area, String expected, Callable<String> run) {
        @Override
        public String toString() {
            return id;
        }
    }

    @BeforeAll
    static void start() throws Exception {
        leaks = new LeakWatch();
        System.setProperty("cmglab.frontDoor.headTimeoutMs", String.valueOf(HEAD_TIMEOUT_MS));
        System.setProperty("cmglab.frontDoor.bodyIdleMs", String.valueOf(HEAD_TIMEOUT_MS));
        System.setProperty("cmglab.frontDoor.idleTimeoutMs", String.valueOf(HEAD_TIMEOUT_MS));
        ca = LabCa.createEphemeral();
        Path root = dir.resolve("root.pem");
        Files.writeString(root, Pem.toPem(ca.root()));
        IssuedCert server = ca.issue(CertSpec.server(SVC, List.of(SVC), List.of()));
        server.writePem(dir.resolve("cmg.crt.pem"), dir.resolve("cmg.key.pem"));
        CmgServiceConfig c = new CmgServiceConfig(SVC, "granitefalls.westus.cloudapp.azure.com", "P01", 0,
                new Endpoint("127.0.0.1", 0), null, new Endpoint("127.0.0.1", 0),
                new TlsFiles(dir.resolve("cmg.crt.pem").toString(), dir.resolve("cmg.key.pem").toString()),
                List.of(root.toString()), List.of(root.toString()), List.of(new PublishedRole(ROLE, "MP", "P01")),
                MAX_BODY, new ChannelTimings(15_000, 5_000), dir.resolve("logs").toString(), null);
        rt = new ComponentRuntime("cmg-bad-input", dir.resolve("logs"), "CMGService.log", "CMGService", 2);
        cmg = CmgService.start(c, rt);
        System.clearProperty("cmglab.frontDoor.headTimeoutMs");
        System.clearProperty("cmglab.frontDoor.idleTimeoutMs");
        System.clearProperty("cmglab.frontDoor.bodyIdleMs");
        frontDoor = cmg.boundAddresses().get(0);
        cpTls = TlsContexts.client(List.of(ca.root()), ca.issue(CertSpec.client("cmgcp01.corp.contoso.com")), "http/1.1");
        client = ca.issue(CertSpec.client("client01.corp.contoso.com"));
        clientTls = TlsContexts.jdkClient(List.of(ca.root()), client);
        Promise<Void> up = rt.group().next().newPromise();
        goodCp = connectCp(cpTls, up, new CmgServiceIntegrationTest.FakeStreams(), "conn-good");
        assertThat(up.await(10, TimeUnit.SECONDS) && up.isSuccess()).as("good channel: %s", up.cause()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> cmg.registry().status().size() == 1);
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
            assertThat(grepLogs("LEAK:")).as("LEAK in the CMG's logs").isEmpty();
        } finally {
            leaks.close();
        }
    }

    static List<String> grepLogs(String what) throws IOException {
        List<String> hits = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir.resolve("logs"))) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                Files.readAllLines(f, StandardCharsets.UTF_8).stream().filter(l -> l.contains(what)).forEach(hits::add);
            }
        }
        return hits;
    }

    // ------------------------------------------------------------------ clients

    static Channel connectCp(SslContext tls, Promise<Void> upgraded, ChannelInitializer<Http2StreamChannel> streams,
                             String connectionId) throws InterruptedException {
        return new Bootstrap().group(rt.group()).channel(EventLoops.socketChannelClass())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(tls.newHandler(ch.alloc(), SVC, frontDoor.getPort()), new HttpClientCodec(),
                                new ConnectorUpgradeHandler(SVC, connectionId, "cmgcp01.corp.contoso.com", "P01", upgraded,
                                        ctx -> ChannelPipelines.installConnectorSide(ctx.channel(),
                                                new ChannelTimings(15_000, 5_000).toSettings(), "bad-cp",
                                                streams, new ChannelInboundHandlerAdapter())));
                    }
                }).connect(frontDoor).sync().channel();
    }

    /** Opens TLS (optionally with a client certificate), writes {@code request}, returns the status line or what happened. */
    static String tls(SSLContext ctx, byte[] request, int readTimeoutMs) throws IOException {
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
            s.connect(frontDoor, 5_000);
            s.setSoTimeout(readTimeoutMs);
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setServerNames(List.of(new SNIHostName(SVC)));
            s.setSSLParameters(p);
            s.startHandshake();
            OutputStream out = s.getOutputStream();
            try {
                out.write(request);
                out.flush();
            } catch (IOException e) {
                // the server may refuse before it has read everything; its answer is what counts
            }
            return statusLine(s.getInputStream());
        }
    }

    static String tls(String request) throws IOException {
        return tls(clientTls, request.getBytes(StandardCharsets.ISO_8859_1), 10_000);
    }

    static String statusLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                if (b != '\r') {
                    line.write(b);
                }
            }
        } catch (SocketTimeoutException e) {
            return "no answer (timeout)";
        } catch (IOException e) {
            return line.size() == 0 ? "closed (" + e.getClass().getSimpleName() + ")" : line.toString(StandardCharsets.ISO_8859_1);
        }
        return line.size() == 0 ? "closed" : line.toString(StandardCharsets.ISO_8859_1);
    }

    static String get(String uri, String headers) throws IOException {
        return tls("GET " + uri + " HTTP/1.1\r\nHost: " + SVC + "\r\n" + headers + "Connection: close\r\n\r\n");
    }

    /** A good request through the good connection point's channel. */
    static boolean goodRequestServed() {
        try {
            return "HTTP/1.1 200 OK".equals(get(MP + "&good=1", ""));
        } catch (IOException e) {
            return false;
        }
    }

    static String code(String statusLine) {
        String[] f = statusLine.split(" ", 3);
        return f.length >= 2 && f[0].startsWith("HTTP/") ? f[1] + (f.length > 2 ? " " + f[2] : "") : statusLine;
    }

    /** Sends {@code head}, then nothing: how the server ends a slow client, and after how long. */
    static String slow(String partial) throws IOException {
        long t0 = System.nanoTime();
        String line = tls(clientTls, partial.getBytes(StandardCharsets.ISO_8859_1), (int) (HEAD_TIMEOUT_MS * 4));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        return code(line) + (ms < HEAD_TIMEOUT_MS * 3 ? " within the deadline" : " after " + ms + " ms");
    }

    static String plain(byte[] bytes) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(frontDoor, 5_000);
            s.setSoTimeout(15_000);
            s.getOutputStream().write(bytes);
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[5];
            int n;
            try {
                n = in.readNBytes(buf, 0, 5);
            } catch (IOException e) {
                return "closed (" + e.getClass().getSimpleName() + ")";
            }
            if (n >= 1 && buf[0] == 0x15) {
                return "TLS alert, closed";
            }
            if (n >= 4 && new String(buf, 0, 4, StandardCharsets.ISO_8859_1).equals("HTTP")) {
                return "HTTP answer";
            }
            return n <= 0 ? "closed" : "closed after " + n + " bytes";
        }
    }

    static String tlsVersion(String protocol) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new javax.net.ssl.TrustManager[] {trustLabRoot()}, null);
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
                s.connect(frontDoor, 5_000);
                s.setSoTimeout(5_000);
                s.setEnabledProtocols(new String[] {protocol});
                s.startHandshake();
                return "handshake ok (" + s.getSession().getProtocol() + ")";
            }
        } catch (IllegalArgumentException | javax.net.ssl.SSLException e) {
            return "handshake refused";
        } catch (Exception e) {
            return "handshake refused";
        }
    }

    static javax.net.ssl.X509TrustManager trustLabRoot() throws Exception {
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("root", ca.root());
        javax.net.ssl.TrustManagerFactory f = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
        f.init(ks);
        return (javax.net.ssl.X509TrustManager) f.getTrustManagers()[0];
    }

    /** Opens a second channel, lets {@code misbehave} abuse it, and reports whether the CMG closed it. */
    static String badChannel(java.util.function.Consumer<Channel> misbehave) throws Exception {
        Promise<Void> up = rt.group().next().newPromise();
        // a misbehaving connection point of its own (a second channel of the good one would supersede the good one)
        Channel bad = connectCp(cpTls, up, new CmgServiceIntegrationTest.FakeStreams(false,
                "cmgcp-bad.corp.contoso.com", "conn-bad"), "conn-bad");
        try {
            if (!up.await(10, TimeUnit.SECONDS) || !up.isSuccess()) {
                return "bad channel did not come up: " + up.cause();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> cmg.registry().status().size() == 2);
            misbehave.accept(bad);
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> !bad.isActive() && cmg.registry().status().size() == 1);
                return "channel closed";
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                return bad.isActive() ? "channel still open" : "closed but still registered";
            }
        } finally {
            bad.close().sync();
            await().atMost(Duration.ofSeconds(10)).until(() -> cmg.registry().status().size() == 1);
        }
    }

    /** Writes raw HTTP/2 frame bytes into the channel, below the connection point's HTTP/2 codec. */
    static void raw(Channel ch, byte[]... frames) {
        ChannelHandlerContext h2 = ch.pipeline().context(ChannelPipelines.H2);
        ch.eventLoop().execute(() -> {
            for (byte[] f : frames) {
                h2.write(Unpooled.wrappedBuffer(f));
            }
            h2.flush();
        });
    }

    /** A connection point whose hello reply is {@code status}/{@code body}. */
    static String badHello(String status, byte[] body) throws Exception {
        Promise<Void> up = rt.group().next().newPromise();
        Channel bad = connectCp(cpTls, up, new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel ch) {
                ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        boolean end = msg instanceof Http2HeadersFrame f && f.isEndStream()
                                || msg instanceof Http2DataFrame d && d.isEndStream();
                        ReferenceCountUtil.release(msg);
                        if (end) {
                            ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status(status),
                                    body.length == 0));
                            for (int off = 0; off < body.length; off += 16_000) {
                                int n = Math.min(16_000, body.length - off);
                                ByteBuf b = Unpooled.wrappedBuffer(body, off, n);
                                ctx.write(new DefaultHttp2DataFrame(b, off + n >= body.length));
                            }
                            ctx.flush();
                        }
                    }
                });
            }
        }, "conn-hello");
        try {
            if (!up.await(10, TimeUnit.SECONDS) || !up.isSuccess()) {
                return "upgrade refused: " + up.cause();
            }
            await().atMost(Duration.ofSeconds(15)).until(() -> !bad.isActive());
            return cmg.registry().status().size() == 1 ? "channel closed, never registered" : "registered";
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            return "channel still open";
        } finally {
            bad.close().sync();
        }
    }

    static String hello(String protocol, String site) {
        return Json.writeCompact(new ChannelHello(protocol, "conn-hello", "cmgcp01.corp.contoso.com", site, "HTTPS",
                List.of(new ChannelHello.Role(ROLE, "MP"))));
    }

    // ------------------------------------------------------------------ the table

    static Stream<Case> cases() {
        List<Case> c = new ArrayList<>();
        String http = "front door: HTTP parsing";
        String h = "Host: " + SVC + "\r\n";
        c.add(new Case("request line is garbage", http, "400 Bad Request", () -> code(tls("HELLO\r\n\r\n"))));
        c.add(new Case("unknown HTTP version HTTP/9.9", http, "505 HTTP Version Not Supported",
                () -> code(tls("GET " + MP + " HTTP/9.9\r\n" + h + "\r\n"))));
        c.add(new Case("two different Content-Length headers", http, "400 Bad Request", () -> code(tls("CCM_POST /CCM_Proxy_MutualAuth/"
                + ROLE + "/ccm_system/request HTTP/1.1\r\n" + h + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"))));
        c.add(new Case("negative Content-Length", http, "400 Bad Request", () -> code(tls("CCM_POST /CCM_Proxy_MutualAuth/"
                + ROLE + "/ccm_system/request HTTP/1.1\r\n" + h + "Content-Length: -5\r\n\r\n"))));
        c.add(new Case("Content-Length and chunked together (smuggling)", http, "400 Bad Request", () -> code(tls(
                "CCM_POST /CCM_Proxy_MutualAuth/" + ROLE + "/ccm_system/request HTTP/1.1\r\n" + h
                        + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n"))));
        c.add(new Case("invalid chunk size", http, "400 Bad Request", () -> code(tls("CCM_POST /CCM_Proxy_MutualAuth/"
                + ROLE + "/ccm_system/request HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"))));
        c.add(new Case("space before the header colon", http, "400 Bad Request",
                () -> code(tls("GET " + MP + " HTTP/1.1\r\nHost : " + SVC + "\r\n\r\n"))));
        c.add(new Case("control character in a header value", http, "400 Bad Request",
                () -> code(tls("GET " + MP + " HTTP/1.1\r\n" + h + "X-Bad: a\u0001b\r\n\r\n"))));
        c.add(new Case("absolute-form target of another host", http, "404 Not Found",
                () -> code(get("https://evil.example/x", ""))));
        c.add(new Case("CMG channel upgrade with a wrong protocol token", http, "404 Not Found", () -> code(get("/",
                "Connection: Upgrade\r\nUpgrade: h2c\r\n"))));
        String size = "front door: oversize";
        c.add(new Case("request line of 20 KiB", size, "414 URI Too Long",
                () -> code(get(MP + "&x=" + "a".repeat(20 * 1024), ""))));
        c.add(new Case("one header of 40 KiB", size, "431 Request Header Fields Too Large",
                () -> code(get(MP, "X-Big: " + "b".repeat(40 * 1024) + "\r\n"))));
        c.add(new Case("2000 small headers", size, "431 Request Header Fields Too Large",
                () -> code(get(MP, ("X-Many: 0123456789abcdef\r\n").repeat(2000)))));
        c.add(new Case("declared body over the SMS_MP limit", size, "413 CMGService_RequestEntityTooLarge",
                () -> code(tls("GET " + MP + " HTTP/1.1\r\n" + h + "Content-Length: 100000000\r\n\r\n"))));
        c.add(new Case("chunked body growing past the CCM_STS limit", size, "413 CMGService_RequestEntityTooLarge",
                () -> code(tls("POST /CCM_Proxy_ServerAuth/" + ROLE + "/CCM_STS HTTP/1.1\r\n" + h
                        + "Transfer-Encoding: chunked\r\n\r\n" + ("4000\r\n" + "x".repeat(0x4000) + "\r\n").repeat(8)
                        + "0\r\n\r\n"))));
        c.add(new Case("body over the instance maximum on ccm_system", size, "413 CMGService_RequestEntityTooLarge",
                () -> code(tls("CCM_POST /CCM_Proxy_MutualAuth/" + ROLE + "/ccm_system/request HTTP/1.1\r\n" + h
                        + "Content-Length: " + (MAX_BODY + 1) + "\r\n\r\n"))));
        String slow = "front door: slow clients";
        c.add(new Case("slowloris: head never finished", slow, "408 Request Timeout within the deadline",
                () -> slow("GET " + MP + " HTTP/1.1\r\n" + h + "X-Slow: 1\r\n")));
        // HTTP.sys closes a silent connection after its idle timer without an answer (the 408 is for a begun request)
        c.add(new Case("TLS done, no byte sent", slow, "closed within the idle timer",
                () -> slow("").replaceFirst("^closed( \\([^)]*\\))?", "closed").replace("within the deadline",
                        "within the idle timer")));
        c.add(new Case("slow body: 2 of 10 bytes, then silence", slow, "408 Request Timeout within the deadline",
                () -> slow("CCM_POST /CCM_Proxy_MutualAuth/" + ROLE + "/ccm_system/request HTTP/1.1\r\n" + h
                        + "Content-Length: 10\r\n\r\nab")));
        String tlsArea = "front door: TLS misuse";
        c.add(new Case("plain HTTP to the HTTPS port", tlsArea, "closed",
                () -> plain(("GET " + MP + " HTTP/1.1\r\n" + h + "\r\n").getBytes(StandardCharsets.ISO_8859_1))));
        c.add(new Case("TLS record of random bytes", tlsArea, "TLS alert, closed", () -> plain(new byte[] {
                0x16, 0x03, 0x01, 0x00, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})));
        c.add(new Case("SSL 2.0 style hello", tlsArea, "closed", () -> plain(new byte[] {
                (byte) 0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10})));
        c.add(new Case("client offers TLS 1.1 only", tlsArea, "handshake refused", () -> tlsVersion("TLSv1.1")));
        c.add(new Case("client offers TLS 1.0 only", tlsArea, "handshake refused", () -> tlsVersion("TLSv1")));
        String certs = "authenticator: certificate";
        c.add(new Case("no client certificate on a MutualAuth path", certs, "403 CMGConnector_Clientcertificaterequired",
                () -> code(tls(TlsContexts.jdkClient(List.of(ca.root()), null), ("GET " + MP + " HTTP/1.1\r\n" + h
                        + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1), 10_000))));
        c.add(new Case("client certificate of a foreign CA", certs, "403 CMGConnector_Forbidden",
                () -> code(tls(TlsContexts.jdkClient(List.of(ca.root()), LabCa.createEphemeral().issue(
                        CertSpec.client("client01.corp.contoso.com"))), ("GET " + MP + " HTTP/1.1\r\n" + h
                        + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1), 10_000))));
        c.add(new Case("client certificate with server-auth EKU only", certs, "403 CMGConnector_Forbidden",
                () -> code(tls(TlsContexts.jdkClient(List.of(ca.root()), ca.issue(CertSpec.builder("client01")
                        .ekus(Eku.SERVER_AUTH).build())), ("GET " + MP + " HTTP/1.1\r\n" + h
                        + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1), 10_000))));
        c.add(new Case("expired client certificate", certs, "403 CMGConnector_Forbidden",
                () -> code(tls(TlsContexts.jdkClient(List.of(ca.root()), ca.issue(CertSpec.builder("client01")
                        .ekus(Eku.CLIENT_AUTH).notBefore(java.time.Instant.now().minus(Duration.ofDays(9)))
                        .notAfter(java.time.Instant.now().minus(Duration.ofDays(1))).build())), ("GET " + MP
                        + " HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1), 10_000))));
        c.add(new Case("token path while token auth is off", "authenticator: token", "401 CMGService_Invalid_Token",
                () -> code(get("/CCM_Proxy_ServerAuth/" + ROLE + "/SMS_MP/.sms_aut?MPLIST",
                        "Authorization: Bearer eyJhbGciOiJub25lIn0.e30.\r\n"))));
        c.add(new Case("channel upgrade without a connector certificate", "channel", "403 CMGService_ConnectorCertificateRejected",
                () -> code(tls(TlsContexts.jdkClient(List.of(ca.root()), null), ("GET " + ChannelProtocol.UPGRADE_PATH
                        + " HTTP/1.1\r\n" + h
                        + "Connection: Upgrade\r\nUpgrade: " + ChannelProtocol.UPGRADE_TOKEN + "\r\n"
                        + ChannelProtocol.HDR_CONNECTION_ID + ": x\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1), 10_000))));
        String path = "content / path traversal";
        c.add(new Case("../ out of the role folder", path, "400 Bad Request",
                () -> code(get("/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/../../windows/win.ini", ""))));
        c.add(new Case("percent-encoded %2e%2e", path, "400 Bad Request",
                () -> code(get("/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_DP_SMSPKG$/%2e%2e/%2E%2E/x", ""))));
        c.add(new Case("encoded slash ..%2F", path, "400 Bad Request",
                () -> code(get("/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_DP_SMSPKG$/..%2F..%2Fx", ""))));
        c.add(new Case("backslash ..%5C", path, "400 Bad Request",
                () -> code(get("/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_DP_SMSPKG$/..%5Cx", ""))));
        c.add(new Case("broken percent escape %zz", path, "400 Bad Request",
                () -> code(get("/CCM_Proxy_MutualAuth/" + ROLE + "/SMS_MP/%zz", ""))));
        c.add(new Case("unpublished role id", path, "404 CMGService_UnknownEndpoint",
                () -> code(get("/CCM_Proxy_MutualAuth/72057594037927999/SMS_MP/.sms_aut?MPLIST", ""))));
        c.add(new Case("download path outside the published endpoints, token-like query", path, "404 Not Found",
                () -> code(get("/downloadcontent/P0100012/P0100012.1/file.bin?pid=P0100012&sig=AAAA", ""))));
        String ch = "channel";
        c.add(new Case("garbage bytes inside the channel's TLS", ch, "channel closed", () -> badChannel(b ->
                raw(b, "\0\0\5\4\0\0\0\0\0garbage".getBytes(StandardCharsets.ISO_8859_1)))));
        c.add(new Case("HEADERS on a stream the CMG never opened", ch, "channel closed", () -> badChannel(b ->
                raw(b, frame(0x1, 0x5, 2, new byte[] {(byte) 0x82})))));
        c.add(new Case("DATA on stream 0", ch, "channel closed", () -> badChannel(b ->
                raw(b, frame(0x0, 0x1, 0, new byte[] {1, 2, 3})))));
        c.add(new Case("frame larger than SETTINGS_MAX_FRAME_SIZE", ch, "channel closed", () -> badChannel(b ->
                raw(b, frame(0xFFFFFF, 0x0, 0, 1, new byte[0]), new byte[4096]))));
        c.add(new Case("CONTINUATION without HEADERS", ch, "channel closed", () -> badChannel(b ->
                raw(b, frame(0x9, 0x4, 1, new byte[] {(byte) 0x82})))));
        c.add(new Case("window abuse: connection WINDOW_UPDATE past 2^31-1", ch, "channel closed", () -> badChannel(b ->
                raw(b, frame(0x8, 0, 0, int32(0x7FFFFFFFL)), frame(0x8, 0, 0, int32(0x7FFFFFFFL))))));
        c.add(new Case("window abuse: WINDOW_UPDATE of 0", ch, "channel closed", () -> badChannel(b ->
                raw(b, frame(0x8, 0, 0, int32(0))))));
        c.add(new Case("flood: 20000 RST_STREAM on idle streams", ch, "channel closed", () -> badChannel(b -> {
            byte[][] fs = new byte[20_000][];
            for (int i = 0; i < fs.length; i++) {
                fs[i] = frame(0x3, 0, 2 * i + 101, int32(8));
            }
            raw(b, fs);
        })));
        c.add(new Case("flood: 20000 SETTINGS frames", ch, "channel closed",
                () -> badChannel(b -> raw(b, repeat(frame(0x4, 0, 0, new byte[0]), 20_000)))));
        c.add(new Case("flood: 20000 PINGs", ch, "channel closed",
                () -> badChannel(b -> raw(b, repeat(frame(0x6, 0, 0, new byte[8]), 20_000)))));
        c.add(new Case("hello names another channel protocol", ch, "channel closed, never registered",
                () -> badHello("200", hello("cmg-channel/0", "P01").getBytes(StandardCharsets.UTF_8))));
        c.add(new Case("hello claims another site", ch, "channel closed, never registered",
                () -> badHello("200", hello(ChannelProtocol.UPGRADE_TOKEN, "XYZ").getBytes(StandardCharsets.UTF_8))));
        c.add(new Case("hello is not JSON", ch, "channel closed, never registered",
                () -> badHello("200", "{not json".getBytes(StandardCharsets.UTF_8))));
        c.add(new Case("hello of 200 KiB", ch, "channel closed, never registered",
                () -> badHello("200", new byte[200 * 1024])));
        c.add(new Case("hello answered 500", ch, "channel closed, never registered",
                () -> badHello("500", new byte[0])));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void badInputGetsTheExpectedAnswerAndOtherClientsAreUnaffected(Case c) throws Exception {
        String observed;
        try {
            observed = c.run().call();
        } catch (Exception e) {
            observed = "test client failed: " + e;
        }
        boolean goodChannelUp = goodCp.isActive() && cmg.registry().status().size() == 1;
        boolean served = goodRequestServed();
        boolean pass = observed.equals(c.expected()) && served && goodChannelUp;
        REPORT.add(c.id(), c.area(), c.expected(), observed + (served && goodChannelUp
                ? "; good client then served (200)" : "; GOOD CLIENT FAILED (channel up: " + goodChannelUp + ")"), pass);
        assertThat(observed).as(c.id()).isEqualTo(c.expected());
        assertThat(goodChannelUp).as("the good connection point's channel is still up after: " + c.id()).isTrue();
        assertThat(served).as("a good request is served after: " + c.id()).isTrue();
    }

    @Test
    void theMatrixCoversEveryArea() {
        assertThat(cases().count()).isGreaterThanOrEqualTo(45);
        assertThat(cases().map(Case::area).distinct().toList()).contains("front door: HTTP parsing",
                "front door: oversize", "front door: slow clients", "front door: TLS misuse", "channel",
                "authenticator: certificate", "content / path traversal");
    }
}
