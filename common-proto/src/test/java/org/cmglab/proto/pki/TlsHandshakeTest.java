package org.cmglab.proto.pki;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real Netty TLS handshakes on 127.0.0.1 with the contexts from {@link TlsContexts}. */
class TlsHandshakeTest {

    private static final long TIMEOUT_S = 10;
    private static final boolean OPENSSL = io.netty.handler.ssl.OpenSsl.isAvailable();

    private static LabCa ca;
    private static LabCa otherCa;
    private static IssuedCert localhost;
    private static IssuedCert client;
    private static EventLoopGroup group;

    private Channel serverChannel;
    private final List<Channel> clientChannels = new java.util.ArrayList<>();

    @BeforeAll
    static void setUp() {
        ca = LabCa.createEphemeral();
        otherCa = LabCa.createEphemeral();
        localhost = ca.issue(CertSpec.server("localhost", List.of("localhost"), List.of("127.0.0.1")));
        client = ca.issue(CertSpec.client("client01"));
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    }

    @AfterAll
    static void tearDown() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(TIMEOUT_S, TimeUnit.SECONDS);
    }

    @AfterEach
    void closeChannels() {
        for (Channel ch : clientChannels) {
            ch.close().awaitUninterruptibly(TIMEOUT_S, TimeUnit.SECONDS);
        }
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly(TIMEOUT_S, TimeUnit.SECONDS);
        }
    }

    @Test
    void providerNameIsKnown() {
        assertThat(TlsContexts.providerName()).isIn("OpenSSL (BoringSSL)", "JDK");
    }

    @Test
    void correctHostNamePasses() throws Exception {
        Server server = start(TlsContexts.server(localhost, ClientAuthMode.NONE, List.of(), "h2", "http/1.1"));
        Outcome out = connect(server, TlsContexts.client(List.of(ca.root()), null, "h2", "http/1.1"), "localhost");
        assertThat(out.client).succeedsWithin(TIMEOUT_S, TimeUnit.SECONDS);
        assertThat(server.session).succeedsWithin(TIMEOUT_S, TimeUnit.SECONDS)
                .satisfies(h -> {
                    assertThat(h.peerChain).isEmpty();
                    assertThat(h.protocol).isIn("TLSv1.3", "TLSv1.2");
                    assertThat(h.alpn).isEqualTo("h2");
                });
    }

    @Test
    void ipAddressSanPasses() throws Exception {
        Server server = start(TlsContexts.server(localhost, ClientAuthMode.NONE, List.of()));
        Outcome out = connect(server, TlsContexts.client(List.of(ca.root()), null), "127.0.0.1");
        assertThat(out.client).succeedsWithin(TIMEOUT_S, TimeUnit.SECONDS);
    }

    @Test
    void otherHostNameFailsHostnameVerification() throws Exception {
        IssuedCert elsewhere = ca.issue(CertSpec.server("elsewhere.example", List.of("elsewhere.example"), List.of()));
        Server server = start(TlsContexts.server(elsewhere, ClientAuthMode.NONE, List.of()));
        Outcome out = connect(server, TlsContexts.client(List.of(ca.root()), null), "localhost");
        assertHandshakeFails(out.client, "No subject alternative DNS name matching localhost");
    }

    @Test
    void serverCertFromOtherCaFails() throws Exception {
        IssuedCert foreign = otherCa.issue(CertSpec.server("localhost", List.of("localhost"), List.of()));
        Server server = start(TlsContexts.server(foreign, ClientAuthMode.NONE, List.of()));
        Outcome out = connect(server, TlsContexts.client(List.of(ca.root()), null), "localhost");
        assertHandshakeFails(out.client, "does not chain with any of the trust anchors");
    }

    @Test
    void requireModeWithoutClientCertFails() throws Exception {
        Server server = start(TlsContexts.server(localhost, ClientAuthMode.REQUIRE, List.of(ca.root())));
        connect(server, TlsContexts.client(List.of(ca.root()), null), "localhost");
        // With TLS 1.3 the client may finish first; the server is where the rejection happens.
        assertHandshakeFails(server.session, OPENSSL ? "PEER_DID_NOT_RETURN_A_CERTIFICATE" : "");
    }

    @Test
    void requireModeWithTrustedClientCertPasses() throws Exception {
        Server server = start(TlsContexts.server(localhost, ClientAuthMode.REQUIRE, List.of(ca.root())));
        Outcome out = connect(server, TlsContexts.client(List.of(ca.root()), client), "localhost");
        assertThat(out.client).succeedsWithin(TIMEOUT_S, TimeUnit.SECONDS);
        assertThat(server.session).succeedsWithin(TIMEOUT_S, TimeUnit.SECONDS)
                .satisfies(h -> assertThat(h.peerChain).containsExactly(client.certificate()));
    }

    @Test
    void requireModeWithForeignClientCertFails() throws Exception {
        IssuedCert foreignClient = otherCa.issue(CertSpec.client("intruder"));
        Server server = start(TlsContexts.server(localhost, ClientAuthMode.REQUIRE, List.of(ca.root())));
        connect(server, TlsContexts.client(List.of(ca.root()), foreignClient), "localhost");
        assertHandshakeFails(server.session, "does not chain with any of the trust anchors");
    }

    @Test
    void deferredModeWithoutClientCertCompletesWithEmptyChain() throws Exception {
        Server server = start(TlsContexts.server(localhost, ClientAuthMode.DEFERRED, List.of(ca.root())));
        Outcome out = connect(server, TlsContexts.client(List.of(ca.root()), null), "localhost");
        assertThat(out.client).succeedsWithin(TIMEOUT_S, TimeUnit.SECONDS);
        Handshake h = server.session.get(TIMEOUT_S, TimeUnit.SECONDS);
        assertThat(h.peerChain).isEmpty();
        assertThat(new ClientCertValidator(List.of(ca.root())).validate(h.peerChain, Instant.now()).failure())
                .isEqualTo(ClientCertValidator.Failure.MISSING);
    }

    @Test
    void deferredModeWithForeignClientCertCompletesAndValidatorSaysUntrusted() throws Exception {
        IssuedCert foreignClient = otherCa.issue(CertSpec.client("intruder"));
        Server server = start(TlsContexts.server(localhost, ClientAuthMode.DEFERRED, List.of(ca.root())));
        Outcome out = connect(server, TlsContexts.client(List.of(ca.root()), foreignClient), "localhost");
        assertThat(out.client).succeedsWithin(TIMEOUT_S, TimeUnit.SECONDS);
        Handshake h = server.session.get(TIMEOUT_S, TimeUnit.SECONDS);
        assertThat(h.peerChain).containsExactly(foreignClient.certificate());
        ClientCertValidator.Result r = new ClientCertValidator(List.of(ca.root())).validate(h.peerChain, Instant.now());
        assertThat(r.ok()).isFalse();
        assertThat(r.failure()).isEqualTo(ClientCertValidator.Failure.UNTRUSTED_CA);
        assertThat(r.detail()).contains("CN=intruder");
    }

    @Test
    void deferredModeWithTrustedClientCertValidates() throws Exception {
        Server server = start(TlsContexts.server(localhost, ClientAuthMode.DEFERRED, List.of(ca.root())));
        Outcome out = connect(server, TlsContexts.client(List.of(ca.root()), client), "localhost");
        assertThat(out.client).succeedsWithin(TIMEOUT_S, TimeUnit.SECONDS);
        Handshake h = server.session.get(TIMEOUT_S, TimeUnit.SECONDS);
        assertThat(new ClientCertValidator(List.of(ca.root())).validate(h.peerChain, Instant.now()).ok()).isTrue();
    }

    @Test
    void deferredTrustManagerNeverTrustsServers() {
        DeferredClientTrustManager tm = new DeferredClientTrustManager(List.of(ca.root()));
        X509Certificate[] chain = localhost.chain().toArray(X509Certificate[]::new);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> tm.checkServerTrusted(chain, "RSA"))
                .isInstanceOf(java.security.cert.CertificateException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> tm.checkClientTrusted(new X509Certificate[0], "RSA"))
                .isInstanceOf(java.security.cert.CertificateException.class);
        assertThat(tm.getAcceptedIssuers()).containsExactly(ca.root());
    }

    @Test
    void jdkClientTrustsOnlyGivenRootsAndVerifiesHostName() throws Exception {
        Server server = start(TlsContexts.server(localhost, ClientAuthMode.NONE, List.of()));
        javax.net.ssl.SSLContext good = TlsContexts.jdkClient(List.of(ca.root()), client);
        try (SSLSocket s = (SSLSocket) good.getSocketFactory().createSocket("127.0.0.1", server.port)) {
            javax.net.ssl.SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setServerNames(List.of(new javax.net.ssl.SNIHostName("localhost")));
            s.setSSLParameters(p);
            s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(TIMEOUT_S));
            s.startHandshake();
            assertThat(s.getSession().getPeerCertificates()[0]).isEqualTo(localhost.certificate());
        }
        javax.net.ssl.SSLContext wrongRoot = TlsContexts.jdkClient(List.of(otherCa.root()), null);
        try (SSLSocket s = (SSLSocket) wrongRoot.getSocketFactory().createSocket("127.0.0.1", server.port)) {
            s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(TIMEOUT_S));
            org.assertj.core.api.Assertions.assertThatThrownBy(s::startHandshake)
                    .isInstanceOf(SSLHandshakeException.class);
        }
    }

    // ---------------------------------------------------------------------------------------

    private record Handshake(List<X509Certificate> peerChain, String protocol, String alpn) {
    }

    private record Server(int port, CompletableFuture<Handshake> session) {
    }

    private record Outcome(CompletableFuture<Channel> client) {
    }

    /** Starts a server that accepts one connection and reports the handshake outcome. */
    private Server start(SslContext ctx) {
        CompletableFuture<Handshake> session = new CompletableFuture<>();
        serverChannel = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SslHandler ssl = ctx.newHandler(ch.alloc());
                        ch.pipeline().addLast(ssl);
                        ssl.handshakeFuture().addListener((Future<Channel> f) -> {
                            if (f.isSuccess()) {
                                session.complete(new Handshake(
                                        ClientCertValidator.peerChain(ssl.engine().getSession()),
                                        ssl.engine().getSession().getProtocol(),
                                        ssl.applicationProtocol()));
                            } else {
                                session.completeExceptionally(f.cause());
                            }
                        });
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .syncUninterruptibly()
                .channel();
        return new Server(((InetSocketAddress) serverChannel.localAddress()).getPort(), session);
    }

    /** Connects to 127.0.0.1 while verifying the server as {@code host}. */
    private Outcome connect(Server server, SslContext ctx, String host) throws Exception {
        CompletableFuture<Channel> result = new CompletableFuture<>();
        Channel ch = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        SslHandler ssl = ctx.newHandler(c.alloc(), host, server.port);
                        c.pipeline().addLast(ssl);
                        ssl.handshakeFuture().addListener((Future<Channel> f) -> {
                            if (f.isSuccess()) {
                                result.complete(f.getNow());
                            } else {
                                result.completeExceptionally(f.cause());
                            }
                        });
                    }
                })
                .connect(new InetSocketAddress("127.0.0.1", server.port))
                .sync()
                .channel();
        clientChannels.add(ch);
        return new Outcome(result);
    }

    private static void assertHandshakeFails(CompletableFuture<?> handshake, String expectedMessage) {
        assertThat(handshake).failsWithin(TIMEOUT_S, TimeUnit.SECONDS)
                .withThrowableOfType(ExecutionException.class)
                .havingCause()
                .isInstanceOf(javax.net.ssl.SSLException.class)
                .satisfies(e -> assertThat(causeMessages(e)).anyMatch(m -> m.contains(expectedMessage)));
    }

    private static List<String> causeMessages(Throwable t) {
        List<String> messages = new java.util.ArrayList<>();
        for (Throwable c = t; c != null; c = c.getCause()) {
            messages.add(String.valueOf(c.getMessage()));
        }
        return messages;
    }
}
