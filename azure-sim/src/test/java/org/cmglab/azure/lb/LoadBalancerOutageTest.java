package org.cmglab.azure.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.runtime.EventLoops;
import org.junit.jupiter.api.Test;

/**
 * The two outages the fault matrix injects into the load balancer: a port blocked mid-run with the open flows reset
 * ({@code POST /nsg?…&access=Deny&existing=reset}), and a restart of the data plane ({@code POST /restart-network}).
 */
class LoadBalancerOutageTest {
    static Socket open(String address, int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(address, port), 2000);
        s.setSoTimeout(5000);
        return s;
    }

    /** One byte there and back. */
    static void roundTrip(Socket s, int b) throws IOException {
        s.getOutputStream().write(b);
        assertThat(s.getInputStream().read()).isEqualTo(b);
    }

    /** The peer has closed or reset the connection: a read ends or fails, a write may fail. */
    static boolean closedByPeer(Socket s) {
        try {
            s.getOutputStream().write(1);
            return s.getInputStream().read() < 0;
        } catch (IOException e) {
            return true;
        }
    }

    @Test
    void aDenyWithExistingResetAlsoCutsTheOpenConnectionsOnThatPortOnly() throws Exception {
        EventLoopGroup g = EventLoops.newGroup(1, "lb-nsg-reset-test");
        LoadBalancer lb = new LoadBalancer(g);
        Endpoint b0 = new Endpoint("127.88.7.10", 30140);
        Endpoint b1 = new Endpoint("127.88.7.11", 30141);
        Channel s0 = LoadBalancerTest.echo(g, b0);
        Channel s1 = LoadBalancerTest.echo(g, b1);
        try {
            LbRule r0 = lb.addNatRule("nat-tcptls-0", new Endpoint("127.88.7.5", 30140), b0);
            LbRule r1 = lb.addNatRule("nat-tcptls-1", new Endpoint("127.88.7.5", 30141), b1);
            try (Socket on0 = open("127.88.7.5", 30140); Socket on1 = open("127.88.7.5", 30141)) {
                roundTrip(on0, 5);
                roundTrip(on1, 6);
                await().atMost(Duration.ofSeconds(5)).until(() -> r0.activeConnections() == 1);
                assertThat(lb.deny(30140, true, true)).containsExactly(30140);
                assertThat(r0.resetOpen()).isEqualTo(1);
                await().atMost(Duration.ofSeconds(5)).until(() -> closedByPeer(on0));
                roundTrip(on1, 7); // the other port's flow is untouched
                assertThat(r1.resetOpen()).isZero();
                assertThat(r0.status()).containsEntry("resetOpen", 1L);
            }
            // and new connections on the denied port are refused until it is allowed again
            try (Socket s = open("127.88.7.5", 30140)) {
                assertThat(closedByPeer(s)).isTrue();
            }
            lb.deny(30140, false);
            try (Socket s = open("127.88.7.5", 30140)) {
                roundTrip(s, 8);
            }
        } finally {
            lb.close();
            s0.close();
            s1.close();
            g.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void aRestartStopsEveryFrontendResetsEveryFlowAndListensAgainWithTheSameRules() throws Exception {
        EventLoopGroup g = EventLoops.newGroup(1, "lb-restart-test");
        LoadBalancer lb = new LoadBalancer(g);
        Endpoint b0 = new Endpoint("127.88.8.10", 30443);
        Channel s0 = LoadBalancerTest.echo(g, b0);
        BackendPool pool = new BackendPool();
        pool.add(new Backend(0, "ProxyService_IN_0", b0, null));
        try {
            LbRule vip = lb.addPoolRule("lb-https", new Endpoint("127.88.8.5", 30443), pool);
            LbRule nat = lb.addNatRule("nat-https-0", new Endpoint("127.88.8.5", 30124), b0);
            try (Socket a = open("127.88.8.5", 30443); Socket b = open("127.88.8.5", 30124)) {
                roundTrip(a, 1);
                roundTrip(b, 2);
                Map<String, Object> stopped = lb.stopListening();
                assertThat(stopped).containsEntry("resetConnections", 2);
                assertThat(vip.listening()).isFalse();
                assertThat(nat.listening()).isFalse();
                await().atMost(Duration.ofSeconds(5)).until(() -> closedByPeer(a) && closedByPeer(b));
            }
            assertThatThrownBy(() -> open("127.88.8.5", 30443).close()).as("nothing listens during the outage")
                    .isInstanceOf(IOException.class);
            assertThat(lb.listenAgain()).containsExactlyInAnyOrder("lb-https", "nat-https-0");
            assertThat(lb.listenAgain()).as("a second call has nothing to do").isEmpty();
            try (Socket a = open("127.88.8.5", 30443); Socket b = open("127.88.8.5", 30124)) {
                roundTrip(a, 3);
                roundTrip(b, 4);
            }
            assertThat(vip.status()).containsEntry("listening", true).containsEntry("resetOpen", 1L);
        } finally {
            lb.close();
            s0.close();
            g.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
