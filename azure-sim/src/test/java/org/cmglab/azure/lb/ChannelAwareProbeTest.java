package org.cmglab.azure.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.runtime.EventLoops;
import org.junit.jupiter.api.Test;

/**
 * Fault-matrix finding a (docs/reliability.md): a relaunched or newly added CMG instance is healthy (its front door
 * and {@code /ready} answer) before any connection point channel reaches it, and would answer every client
 * {@code 503 CMGService_NoConnectionPoint}. The probe reads each instance's {@code /status}; the pool sends new
 * connections only to instances with a ready channel while any has one, and to every healthy instance when none has.
 */
class ChannelAwareProbeTest {
    /** A CMG instance's admin endpoint: {@code /ready} 200 and a {@code /status} whose channels the test sets. */
    static HttpServer admin(Endpoint at, AtomicReference<String> channels) throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress(at.address(), at.port()), 16);
        s.createContext("/", x -> {
            String path = x.getRequestURI().getPath();
            byte[] body = switch (path) {
                case "/ready" -> "{\"ready\":true}".getBytes(StandardCharsets.UTF_8);
                case "/status" -> ("{\"instance\":\"test\",\"channels\":" + channels.get() + "}")
                        .getBytes(StandardCharsets.UTF_8);
                default -> new byte[0];
            };
            x.sendResponseHeaders(body.length == 0 ? 404 : 200, body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                x.getResponseBody().write(body);
            }
            x.close();
        });
        s.start();
        return s;
    }

    static final String READY = "[{\"connectionId\":\"c1\",\"ready\":true}]";
    static final String NONE = "[]";
    /** A channel the instance still lists but no longer serves on (e.g. superseded or draining). */
    static final String NOT_READY = "[{\"connectionId\":\"c0\",\"ready\":false}]";

    static Set<Integer> picks(BackendPool pool, int n) {
        Set<Integer> out = new HashSet<>();
        for (int i = 0; i < n; i++) {
            Backend b = pool.pick();
            out.add(b == null ? -1 : b.index());
        }
        return out;
    }

    @Test
    void newConnectionsGoToInstancesWithAReadyChannelWhileAnyHasOne() throws Exception {
        EventLoopGroup g = EventLoops.newGroup(1, "lb-channel-probe-test");
        Endpoint fd0 = new Endpoint("127.88.6.10", 31443);
        Endpoint fd1 = new Endpoint("127.88.6.11", 31443);
        Endpoint ad0 = new Endpoint("127.88.6.10", 31090);
        Endpoint ad1 = new Endpoint("127.88.6.11", 31090);
        AtomicReference<String> ch0 = new AtomicReference<>(READY);
        AtomicReference<String> ch1 = new AtomicReference<>(NONE);
        Channel s0 = LoadBalancerTest.echo(g, fd0);
        Channel s1 = LoadBalancerTest.echo(g, fd1);
        HttpServer a0 = admin(ad0, ch0);
        HttpServer a1 = admin(ad1, ch1);
        BackendPool pool = new BackendPool();
        pool.add(new Backend(0, "ProxyService_IN_0", fd0, ad0));
        pool.add(new Backend(1, "ProxyService_IN_1", fd1, ad1));
        HealthProbe probe = new HealthProbe(g, pool, Duration.ofMillis(100), Duration.ofMillis(1000));
        LoadBalancer lb = new LoadBalancer(g);
        try {
            LbRule rule = lb.addPoolRule("lb", new Endpoint("127.88.6.5", 31443), pool);
            // instance 1 is healthy but has no channel yet (a relaunched VM): only instance 0 gets clients
            await().atMost(Duration.ofSeconds(5)).until(() -> pool.backend(0).channelReady()
                    && pool.backend(1).healthy() && pool.backend(1).status().get("lastChannelProbe")
                    .equals("0 ready channel(s)"));
            assertThat(picks(pool, 8)).containsExactly(0);
            for (int i = 0; i < 3; i++) { // through the load balancer's frontend as well
                try (Socket s = LoadBalancerOutageTest.open("127.88.6.5", 31443)) {
                    LoadBalancerOutageTest.roundTrip(s, 7);
                }
            }
            assertThat(rule.connections()).isEqualTo(3);
            assertThat(pool.backend(1).status()).containsEntry("channelReady", false);

            // its connection point dials it: both instances share the clients again
            ch1.set(READY);
            await().atMost(Duration.ofSeconds(5)).until(() -> pool.backend(1).channelReady());
            assertThat(picks(pool, 8)).containsExactlyInAnyOrder(0, 1);

            // instance 0 lists only a channel that no longer serves: instance 1 takes every client
            ch0.set(NOT_READY);
            await().atMost(Duration.ofSeconds(5)).until(() -> !pool.backend(0).channelReady());
            assertThat(pool.backend(0).healthy()).as("no channel is not unhealthy").isTrue();
            assertThat(picks(pool, 8)).containsExactly(1);

            // no instance has a channel (no connection point at all): every healthy instance, which answers 503
            ch1.set(NONE);
            await().atMost(Duration.ofSeconds(5)).until(() -> !pool.backend(1).channelReady());
            assertThat(picks(pool, 8)).containsExactlyInAnyOrder(0, 1);

            // a status that cannot be read counts as no channel, never as unhealthy
            ch0.set("not json");
            ch1.set(READY);
            await().atMost(Duration.ofSeconds(5)).until(() -> pool.backend(1).channelReady()
                    && String.valueOf(pool.backend(0).status().get("lastChannelProbe")).contains("no channel list"));
            assertThat(pool.backend(0).healthy()).isTrue();
            assertThat(picks(pool, 8)).containsExactly(1);

            // an instance the fabric takes down loses its channel mark at once (probe stopped: no new result races)
            probe.close();
            pool.backend(1).markDown("restarting: test");
            assertThat(pool.backend(1).channelReady()).isFalse();
            assertThat(picks(pool, 4)).containsExactly(0);
        } finally {
            probe.close();
            lb.close();
            a0.stop(0);
            a1.stop(0);
            s0.close();
            s1.close();
            g.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void readyChannelsCountsReadyEntriesAndToleratesOddStatus() {
        assertThat(HealthProbe.readyChannels("{\"channels\":" + READY + "}")).isEqualTo(1);
        assertThat(HealthProbe.readyChannels("{\"channels\":[{\"ready\":true},{\"ready\":false},{}]}")).isEqualTo(1);
        assertThat(HealthProbe.readyChannels("{\"channels\":[]}")).isZero();
        for (String odd : List.of("", "null", "[]", "{\"channels\":{}}", "{\"channels\":\"x\"}", "{{{")) {
            assertThat(HealthProbe.readyChannels(odd)).as(odd).isEqualTo(-1);
        }
    }
}
