package org.cmglab.azure.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.runtime.EventLoops;
import org.junit.jupiter.api.Test;

class LoadBalancerTest {
    static Channel echo(EventLoopGroup g, Endpoint at) {
        return new ServerBootstrap().group(g).channel(EventLoops.serverChannelClass())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ctx.writeAndFlush(msg);
                            }
                        });
                    }
                }).bind(at.socketAddress()).syncUninterruptibly().channel();
    }

    @Test
    void relaysABigPayloadWithHalfCloseAndFollowsHealth() throws Exception {
        EventLoopGroup g = EventLoops.newGroup(2, "lb-test");
        LoadBalancer lb = new LoadBalancer(g);
        Endpoint b0 = new Endpoint("127.88.4.10", 30443);
        Endpoint b1 = new Endpoint("127.88.4.11", 30443);
        Channel s0 = echo(g, b0);
        Channel s1 = echo(g, b1);
        BackendPool pool = new BackendPool();
        pool.add(new Backend(0, "ProxyService_IN_0", b0, null));
        pool.add(new Backend(1, "ProxyService_IN_1", b1, null));
        HealthProbe probe = new HealthProbe(g, pool, Duration.ofMillis(100), Duration.ofMillis(500));
        try {
            LbRule rule = lb.addPoolRule("lb", new Endpoint("127.88.4.5", 30443), pool);
            byte[] payload = new byte[4 * 1024 * 1024];
            for (int i = 0; i < payload.length; i++) {
                payload[i] = (byte) (i * 31);
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.88.4.5", 30443), 2000);
                s.setSoTimeout(10_000);
                Thread writer = new Thread(() -> {
                    try {
                        OutputStream out = s.getOutputStream();
                        out.write(payload);
                        out.flush();
                        s.shutdownOutput();
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                writer.start();
                InputStream in = s.getInputStream();
                byte[] got = in.readAllBytes(); // ends only when the half-close travelled both ways
                writer.join(10_000);
                assertThat(got.length).isEqualTo(payload.length);
                assertThat(Arrays.equals(got, payload)).isTrue();
            }
            assertThat(rule.bytesIn()).isEqualTo(payload.length);
            await().atMost(Duration.ofSeconds(5)).until(() -> rule.bytesOut() == payload.length
                    && rule.activeConnections() == 0);

            s1.close().syncUninterruptibly(); // instance 1 stops listening
            await().atMost(Duration.ofSeconds(5)).until(() -> !pool.backend(1).healthy());
            assertThat(pool.backend(0).healthy()).isTrue();
            for (int i = 0; i < 4; i++) {
                assertThat(pool.pick().index()).isEqualTo(0);
            }
            s1 = echo(g, b1); // and comes back: one good probe is enough
            await().atMost(Duration.ofSeconds(5)).until(() -> pool.backend(1).healthy());

            s0.close().syncUninterruptibly();
            s1.close().syncUninterruptibly();
            await().atMost(Duration.ofSeconds(5)).until(() -> pool.pick() == null);
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.88.4.5", 30443), 2000);
                s.setSoTimeout(5000);
                assertThat(s.getInputStream().read()).isEqualTo(-1); // no healthy backend: closed at once
            }
            assertThat(rule.refused()).isEqualTo(1);
        } finally {
            probe.close();
            lb.close();
            s0.close();
            s1.close();
            g.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** A denied frontend port resets new connections (open ones are untouched); allowing it again restores service. */
    @Test
    void networkSecurityRuleResetsNewConnectionsOnADeniedPortUntilAllowed() throws Exception {
        EventLoopGroup g = EventLoops.newGroup(1, "lb-nsg-test");
        LoadBalancer lb = new LoadBalancer(g);
        Endpoint backend = new Endpoint("127.88.5.10", 30141);
        Channel s0 = echo(g, backend);
        try {
            LbRule rule = lb.addNatRule("nat-tcptls-1", new Endpoint("127.88.5.5", 30141), backend);
            try (Socket open = new Socket()) {
                open.connect(new InetSocketAddress("127.88.5.5", 30141), 2000);
                open.setSoTimeout(5000);
                open.getOutputStream().write(41); // a round trip: the load balancer has accepted and relays it
                assertThat(open.getInputStream().read()).isEqualTo(41);
                assertThat(lb.deny(30141, true)).containsExactly(30141);
                // reset right after the accept: connect, write or read fails, or the read sees the end at once
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress("127.88.5.5", 30141), 2000);
                        s.setSoTimeout(5000);
                        s.getOutputStream().write(1);
                        if (s.getInputStream().read() >= 0) {
                            throw new AssertionError("a denied port relayed data");
                        }
                        throw new java.net.SocketException("closed");
                    }
                }).isInstanceOf(java.net.SocketException.class);
                await().atMost(Duration.ofSeconds(5)).until(() -> rule.denied() == 1);
                assertThat(rule.status()).containsEntry("denied", 1L);
                // the connection that was open before the rule still works
                open.getOutputStream().write(42);
                assertThat(open.getInputStream().read()).isEqualTo(42);
            }
            assertThat(lb.deny(30141, false)).isEmpty();
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.88.5.5", 30141), 2000);
                s.setSoTimeout(5000);
                s.getOutputStream().write(7);
                assertThat(s.getInputStream().read()).isEqualTo(7);
            }
            assertThat(rule.denied()).isEqualTo(1);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> lb.deny(0, true))
                    .isInstanceOf(IllegalArgumentException.class);
        } finally {
            lb.close();
            s0.close();
            g.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
