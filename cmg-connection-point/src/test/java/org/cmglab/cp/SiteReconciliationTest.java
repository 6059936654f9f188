package org.cmglab.cp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.cmglab.cp.dial.ChannelDialer;
import org.cmglab.cp.site.SiteConfigPoller;
import org.cmglab.proto.channel.ChannelHello;
import org.cmglab.proto.channel.GatewayUpgrade;
import org.cmglab.proto.config.ChannelTimings;
import org.cmglab.proto.config.ConnectionPointConfig;
import org.cmglab.proto.config.ConnectionPointConfig.ChannelTarget;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.config.RoleRoute;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.ClientAuthMode;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.EventLoops;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The connection point follows the site's view of the CMG without a restart: a fake site status (the SCP's admin
 * {@code /status}) goes from capacity 1 to 3 to 2; fake CMG instances listen on the ports of each count (443 and
 * 10124+i, moved by one offset); channels appear for new instances and the removed ones are drained (the fake CMG
 * sees GOAWAY, then the connection closes).
 */
class SiteReconciliationTest {
    static final String SVC = "GraniteFalls.contoso.com";
    static final String CP_NAME = "cmgcp01.corp.contoso.com";
    static final Duration WAIT = Duration.ofSeconds(15);

    @TempDir
    Path dir;
    EventLoopGroup fakes;
    ComponentRuntime rt;
    ConnectionPoint cp;
    HttpServer site;
    volatile String siteJson;
    final List<Instance> instances = new ArrayList<>();

    @AfterEach
    void stop() {
        if (cp != null) {
            cp.close();
        }
        if (rt != null) {
            rt.close();
        }
        instances.forEach(Instance::close);
        if (site != null) {
            site.stop(0);
        }
        if (fakes != null) {
            fakes.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    static String status(String method, int capacity) {
        return "{\"serviceName\":\"" + SVC + "\",\"state\":\"Ready\",\"deployment\":{\"deploymentMethod\":\"" + method
                + "\",\"deploymentName\":\"graniteFalls.westus.cloudapp.azure.com\",\"capacity\":" + capacity
                + "},\"instances\":[]}";
    }

    @Test
    void wantedTargetsFollowTheRule() throws Exception {
        List<ChannelTarget> one = List.of(new ChannelTarget(0, SVC, 443 + 7, "HTTPS"));
        var m = new com.fasterxml.jackson.databind.ObjectMapper();
        assertThat(SiteConfigPoller.wanted(m.readTree(status(SiteConfigPoller.VMSS, 1)), one))
                .containsExactly(new ChannelTarget(0, SVC, 450, "HTTPS"));
        assertThat(SiteConfigPoller.wanted(m.readTree(status(SiteConfigPoller.VMSS, 3)), one)).containsExactly(
                new ChannelTarget(0, SVC, 10131, "HTTPS"), new ChannelTarget(1, SVC, 10132, "HTTPS"),
                new ChannelTarget(2, SVC, 10133, "HTTPS"));
        // several static targets: the offset is taken against 10124+i
        List<ChannelTarget> two = List.of(new ChannelTarget(0, SVC, 10124, "HTTPS"), new ChannelTarget(1, SVC, 10125, "HTTPS"));
        assertThat(SiteConfigPoller.wanted(m.readTree(status(SiteConfigPoller.VMSS, 1)), two))
                .containsExactly(new ChannelTarget(0, SVC, 443, "HTTPS"));
        // classic keeps the static transport (TCP-TLS 10140+i), falling back to HTTPS 443 (one) or 10124+i (several)
        List<ChannelTarget> tcp = List.of(new ChannelTarget(0, SVC, 10140, "TCP-TLS", 443));
        assertThat(SiteConfigPoller.wanted(m.readTree(status(SiteConfigPoller.CLASSIC, 2)), tcp)).containsExactly(
                new ChannelTarget(0, SVC, 10140, "TCP-TLS", 10124), new ChannelTarget(1, SVC, 10141, "TCP-TLS", 10125));
        assertThat(SiteConfigPoller.wanted(m.readTree(status(SiteConfigPoller.CLASSIC, 1)), tcp)).containsExactly(
                new ChannelTarget(0, SVC, 10140, "TCP-TLS", 443));
        // no usable deployment: nothing changes
        assertThat(SiteConfigPoller.wanted(m.readTree("{\"state\":\"Deleted\",\"deployment\":{\"capacity\":2}}"), one))
                .isNull();
        assertThat(SiteConfigPoller.wanted(m.readTree("{}"), one)).isNull();
    }

    @Test
    void configWithSiteControlRoundTripsAndDefaultsThePollInterval() throws Exception {
        ConnectionPointConfig c = new ConnectionPointConfig(CP_NAME, "P01", "127.0.0.1",
                List.of(new ChannelTarget(0, SVC, 443, "HTTPS")), new TlsFiles("a", "b"), List.of(), List.of(),
                Map.of(), new Endpoint("127.0.0.1", 0), null, "logs", null, new Endpoint("127.0.6.10", 9090), 0, null);
        assertThat(c.sitePollMillis()).isEqualTo(ConnectionPointConfig.DEFAULT_SITE_POLL_MILLIS);
        ConnectionPointConfig back = Json.read(Json.write(c), ConnectionPointConfig.class);
        assertThat(back).isEqualTo(c);
        ConnectionPointConfig legacy = new ConnectionPointConfig(CP_NAME, "P01", "127.0.0.1", List.of(),
                new TlsFiles("a", "b"), List.of(), List.of(), Map.of(), new Endpoint("127.0.0.1", 0), null, "logs", null);
        assertThat(legacy.siteControl()).isNull();
    }

    /** Fake CMG instances on 443 and 10124..10126 (+ one free offset); returns the offset. */
    private int startFakeInstances() throws Exception {
        LabCa ca = LabCa.createEphemeral();
        Path rootPem = dir.resolve("root.pem");
        Files.writeString(rootPem, Pem.toPem(ca.root()));
        ca.issue(CertSpec.server(SVC, List.of(SVC), List.of())).writePem(dir.resolve("cmg.crt.pem"), dir.resolve("cmg.key.pem"));
        ca.issue(CertSpec.client(CP_NAME)).writePem(dir.resolve("cp.crt.pem"), dir.resolve("cp.key.pem"));
        IssuedCert cmgCert = IssuedCert.readPem(dir.resolve("cmg.crt.pem"), dir.resolve("cmg.key.pem"));
        SslContext tls = TlsContexts.server(cmgCert, ClientAuthMode.REQUIRE, List.of(ca.root()), "http/1.1");
        fakes = EventLoops.newGroup(2, "fake-cmg");
        // ports: 443+offset for one instance, 10124+i+offset for several, all free on 127.0.0.1
        return bindAll(tls);
    }

    /** The fake site (answers {@link #siteJson}) and a connection point with one static target on {@code single}. */
    private void startSiteAndConnectionPoint(int single, long sitePollMillis) throws Exception {
        site = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        site.createContext("/status", ex -> {
            byte[] b = siteJson.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, b.length);
            try (var os = ex.getResponseBody()) {
                os.write(b);
            }
        });
        site.start();

        rt = new ComponentRuntime("cmg-connection-point-site-test", dir.resolve("logs"), "SMS_Cloud_ProxyConnector.log",
                "SMS_CLOUD_PROXYCONNECTOR", 2);
        ConnectionPointConfig config = new ConnectionPointConfig(CP_NAME, "P01", "127.0.0.1",
                List.of(new ChannelTarget(0, SVC, single, "HTTPS")),
                new TlsFiles(dir.resolve("cp.crt.pem").toString(), dir.resolve("cp.key.pem").toString()),
                List.of(dir.resolve("root.pem").toString()),
                List.of(new RoleRoute("72057594037927939", "MP", "https://mp01.corp.contoso.com:1")),
                Map.of(SVC, "127.0.0.1"), new Endpoint("127.0.0.1", 0), new ChannelTimings(1000, 1000),
                dir.resolve("logs").toString(), null, new Endpoint("127.0.0.1", site.getAddress().getPort()),
                sitePollMillis, null);
        cp = ConnectionPoint.start(config, rt);
    }

    static String status(String state, String method, int capacity) {
        return status(method, capacity).replace("\"state\":\"Ready\"", "\"state\":\"" + state + "\"");
    }

    @Test
    void firstDialWaitsUntilTheSiteReportsTheCmgReady() throws Exception {
        int single = 443 + startFakeInstances();
        Instance in0 = instance(single);
        // the CMG is still being deployed (the instance already listens here, so a dial would succeed at once)
        siteJson = status("Provisioning", SiteConfigPoller.VMSS, 1);
        startSiteAndConnectionPoint(single, 10_000);

        await().during(Duration.ofMillis(1000)).atMost(WAIT).until(() -> in0.upgrades == 0 && connectedPorts().isEmpty());
        assertThat(((Map<?, ?>) cp.status().get("site")).get("awaitingDeployment")).isEqualTo(true);
        assertThat(cp.anyConnected()).isFalse();

        // Ready: dialled at once (the site is read every 200 ms while waiting, not every 10 s)
        siteJson = status(SiteConfigPoller.VMSS, 1);
        long t0 = System.nanoTime();
        await().atMost(WAIT).until(() -> connectedPorts().equals(List.of(single)));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        assertThat(in0.upgrades).isEqualTo(1);
        assertThat(((Map<?, ?>) cp.status().get("site")).get("awaitingDeployment")).isEqualTo(false);
    }

    @Test
    void aCmgInErrorEndsTheWaitWithTheConfiguredTargets() throws Exception {
        int single = 443 + startFakeInstances();
        siteJson = status("Error", SiteConfigPoller.VMSS, 1);
        startSiteAndConnectionPoint(single, 10_000);

        await().atMost(WAIT).until(() -> connectedPorts().equals(List.of(single)));
        assertThat(((Map<?, ?>) cp.status().get("site")).get("awaitingDeployment")).isEqualTo(false);
    }

    @Test
    void scaleOutAndInWithoutRestart() throws Exception {
        int offset = startFakeInstances();
        int single = 443 + offset;
        Instance in0single = instance(single);
        Instance in0 = instance(10124 + offset);
        Instance in1 = instance(10125 + offset);
        Instance in2 = instance(10126 + offset);

        siteJson = status(SiteConfigPoller.VMSS, 1);
        startSiteAndConnectionPoint(single, 500);

        // capacity 1: one channel on 443
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(connectedPorts()).containsExactly(single);
            assertThat(in0single.live()).isEqualTo(1);
        });
        assertThat(cp.status().get("reconciledAt")).isNotNull();

        // scale out to 3: instance 0 moves to 10124 (new first, then the old channel is drained), 1 and 2 appear
        siteJson = status(SiteConfigPoller.VMSS, 3);
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(connectedPorts()).containsExactly(10124 + offset, 10125 + offset, 10126 + offset);
            assertThat(in0.live()).isEqualTo(1);
            assertThat(in1.live()).isEqualTo(1);
            assertThat(in2.live()).isEqualTo(1);
            assertThat(in0single.goAways).hasSize(1);
            assertThat(in0single.live()).isZero();
        });
        assertThat(in0.upgrades).isEqualTo(1);
        assertThat(in0single.upgrades).isEqualTo(1); // the CP was not restarted: no second dial on 443
        // new first, then drain the old: the old channel went only after the new one had said hello
        assertThat(in0single.closedAt).isGreaterThanOrEqualTo(in0.helloAt);

        // scale in to 2: instance 2 is drained and not re-dialled
        siteJson = status(SiteConfigPoller.VMSS, 2);
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(connectedPorts()).containsExactly(10124 + offset, 10125 + offset);
            assertThat(in2.goAways).hasSize(1);
            assertThat(in2.live()).isZero();
        });
        @SuppressWarnings("unchecked")
        List<ChannelTarget> targets = (List<ChannelTarget>) cp.status().get("targets");
        assertThat(targets).extracting(ChannelTarget::instanceIndex).containsExactly(0, 1);
        // the survivors were never touched
        assertThat(in0.goAways).isEmpty();
        assertThat(in1.goAways).isEmpty();
        assertThat(in0.upgrades).isEqualTo(1);
        assertThat(in1.upgrades).isEqualTo(1);
        // a later poll does not bring instance 2 back
        await().during(Duration.ofMillis(1500)).atMost(WAIT)
                .until(() -> in2.upgrades == 1 && connectedPorts().size() == 2);
    }

    @SuppressWarnings("unchecked")
    List<Integer> connectedPorts() {
        return ((List<ChannelDialer.Status>) cp.status().get("channels")).stream()
                .filter(s -> "Connected".equals(s.state())).map(ChannelDialer.Status::port).toList();
    }

    /** Picks an offset whose four ports are all free (binding them), up to 20 tries. */
    private int bindAll(SslContext tls) throws Exception {
        for (int attempt = 0; attempt < 20; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(20_000, 50_000);
            int offset = base - 443;
            int[] ports = {443 + offset, 10124 + offset, 10125 + offset, 10126 + offset};
            List<Instance> made = new ArrayList<>();
            try {
                for (int p : ports) {
                    Instance i = new Instance(tls, p);
                    made.add(i);
                }
                instances.addAll(made);
                return offset;
            } catch (Exception e) {
                made.forEach(Instance::close);
            }
        }
        throw new IOException("no free port range found");
    }

    private Instance instance(int port) {
        return instances.stream().filter(i -> i.port == port).findFirst().orElseThrow();
    }

    /** One fake CMG instance's channel port: accepts the upgrade, asks for the hello, records GOAWAY and close. */
    final class Instance implements AutoCloseable {
        final int port;
        final Channel server;
        final List<Channel> channels = new CopyOnWriteArrayList<>();
        /** GOAWAYs received (error code and last stream id: the frames themselves are released once read). */
        final List<String> goAways = new CopyOnWriteArrayList<>();
        final List<ChannelHello> hellos = new CopyOnWriteArrayList<>();
        volatile int upgrades;
        volatile long helloAt = Long.MAX_VALUE;
        volatile long closedAt;

        Instance(SslContext tls, int port) throws Exception {
            this.port = port;
            server = new ServerBootstrap().group(fakes).channel(EventLoops.serverChannelClass())
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast("ssl", tls.newHandler(ch.alloc()))
                                    .addLast("http", new HttpServerCodec())
                                    .addLast("aggregate", new HttpObjectAggregator(64 * 1024))
                                    .addLast("front", new Front());
                        }
                    }).bind("127.0.0.1", port).sync().channel();
        }

        long live() {
            return channels.stream().filter(Channel::isActive).count();
        }

        @Override
        public void close() {
            server.close().syncUninterruptibly();
            channels.forEach(c -> c.close().syncUninterruptibly());
        }

        private final class Front extends SimpleChannelInboundHandler<FullHttpRequest> {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                assertThat(GatewayUpgrade.isUpgradeRequest(req)).isTrue();
                upgrades++;
                GatewayUpgrade.accept(ctx, List.of("http", "aggregate"),
                        new ChannelTimings(1000, 1000).toSettings(), "fake-cmg:" + port, new Tail());
            }
        }

        private final class Tail extends ChannelInboundHandlerAdapter {
            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                ConnectionPointIntegrationTest.askHello(ctx, hello -> {
                    hellos.add(hello);
                    helloAt = Math.min(helloAt, System.nanoTime());
                    ctx.channel().closeFuture().addListener(x -> closedAt = System.nanoTime());
                    channels.add(ctx.channel());
                });
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof Http2GoAwayFrame g) {
                    goAways.add("GOAWAY error " + g.errorCode() + " last stream " + g.lastStreamId());
                }
                ReferenceCountUtil.release(msg);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        }
    }
}
