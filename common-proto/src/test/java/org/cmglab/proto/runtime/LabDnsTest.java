package org.cmglab.proto.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsQuery;
import io.netty.handler.codec.dns.DefaultDnsResponse;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.handler.codec.dns.TcpDnsQueryDecoder;
import io.netty.handler.codec.dns.TcpDnsResponseEncoder;
import io.netty.resolver.AddressResolverGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link LabDns} against a tiny fake DNS responder (one UDP socket, fixed A records, NXDOMAIN otherwise). */
class LabDnsTest {
    private static final String SERVICE_HOST = "127.0.0.2";

    static EventLoopGroup group;
    static Channel fakeDns;
    static Channel fakeDnsTcp;
    static final List<String> asked = new CopyOnWriteArrayList<>();
    static final Map<String, String> records = Map.of(
            "svc.lab.test", SERVICE_HOST,
            "outside.lab.test", "10.1.2.3",
            "big.lab.test", "127.0.0.3");

    @BeforeAll
    static void startFakeDns() throws Exception {
        group = EventLoops.newGroup(2, "labdns-test");
        fakeDns = new Bootstrap().group(group).channel(LabDns.datagramChannelClass())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                                new FakeResponder());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        // the TCP side, on the same port, for answers the UDP side truncates
        fakeDnsTcp = new ServerBootstrap().group(group).channel(EventLoops.serverChannelClass())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new TcpDnsQueryDecoder(), new TcpDnsResponseEncoder(),
                                new SimpleChannelInboundHandler<DnsQuery>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, DnsQuery q) {
                                        DnsQuestion question = q.recordAt(DnsSection.QUESTION);
                                        asked.add(question.name().toLowerCase(Locale.ROOT) + " "
                                                + question.type().name() + " tcp");
                                        DefaultDnsResponse res = new DefaultDnsResponse(q.id());
                                        fill(question, res);
                                        ctx.writeAndFlush(res);
                                    }
                                });
                    }
                })
                .bind(dns()).sync().channel();
    }

    @AfterAll
    static void stop() {
        fakeDns.close().syncUninterruptibly();
        fakeDnsTcp.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    static InetSocketAddress dns() {
        return (InetSocketAddress) fakeDns.localAddress();
    }

    @Test
    void resolverGroupWorksForBootstrapConnect() throws Exception {
        CountDownLatch accepted = new CountDownLatch(1);
        Channel server = new ServerBootstrap().group(group).channel(EventLoops.serverChannelClass())
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        accepted.countDown();
                        ctx.close();
                    }
                })
                .bind(new InetSocketAddress(SERVICE_HOST, 0)).sync().channel();
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        try (AddressResolverGroup<InetSocketAddress> resolvers = LabDns.resolverGroup(dns())) {
            ChannelFuture f = new Bootstrap().group(group).channel(EventLoops.socketChannelClass())
                    .resolver(resolvers)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(InetSocketAddress.createUnresolved("SVC.lab.test", port));
            assertThat(f.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(f.cause()).isNull();
            InetSocketAddress remote = (InetSocketAddress) f.channel().remoteAddress();
            assertThat(remote.getAddress().getHostAddress()).isEqualTo(SERVICE_HOST);
            assertThat(remote.getPort()).isEqualTo(port);
            assertThat(accepted.await(5, TimeUnit.SECONDS)).isTrue();
            f.channel().close().sync();
            assertThat(asked).contains("svc.lab.test A");
            assertThat(asked).noneMatch(q -> q.endsWith(" AAAA"));
        } finally {
            server.close().sync();
        }
    }

    @Test
    void resolverGroupRefusesANonLoopbackAnswer() throws Exception {
        try (AddressResolverGroup<InetSocketAddress> resolvers = LabDns.resolverGroup(dns())) {
            ChannelFuture f = new Bootstrap().group(group).channel(EventLoops.socketChannelClass())
                    .resolver(resolvers)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(InetSocketAddress.createUnresolved("outside.lab.test", 443));
            assertThat(f.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(f.isSuccess()).isFalse();
            assertThat(f.cause()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("outside.lab.test")
                    .hasMessageContaining("10.1.2.3")
                    .hasMessageContaining("not a loopback address");
        }
    }

    @Test
    void blockingResolve() throws Exception {
        InetAddress a = LabDns.resolve(group, dns(), "svc.lab.test", Duration.ofSeconds(3));
        assertThat(a.getHostAddress()).isEqualTo(SERVICE_HOST);

        assertThatThrownBy(() -> LabDns.resolve(group, dns(), "outside.lab.test", Duration.ofSeconds(3)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("outside.lab.test").hasMessageContaining("10.1.2.3");

        assertThatThrownBy(() -> LabDns.resolve(group, dns(), "nowhere.lab.test", Duration.ofSeconds(3)))
                .isInstanceOf(UnknownHostException.class)
                .hasMessageContaining("nowhere.lab.test");
    }

    @Test
    void neverReadsTheHostsFileButTakesLiteralAddresses() throws Exception {
        assertThat(LabDns.resolve(group, dns(), "127.0.0.9", Duration.ofSeconds(3)).getHostAddress())
                .isEqualTo("127.0.0.9");
        assertThat(asked).noneMatch(q -> q.startsWith("127.0.0.9"));
        assertThatThrownBy(() -> LabDns.resolve(group, dns(), "10.0.0.1", Duration.ofSeconds(3)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("10.0.0.1");
        // Netty answers "localhost" itself (RFC 6761) with a loopback address, whatever the hosts file says
        assertThat(LabDns.resolve(group, dns(), "localhost", Duration.ofSeconds(3)).isLoopbackAddress()).isTrue();
    }

    @Test
    void truncatedUdpAnswerIsRetriedOverTcp() throws Exception {
        assertThat(LabDns.resolve(group, dns(), "big.lab.test", Duration.ofSeconds(3)).getHostAddress())
                .isEqualTo("127.0.0.3");
        assertThat(asked).contains("big.lab.test A", "big.lab.test. A tcp");
    }

    @Test
    void onlyALoopbackDnsServer() {
        assertThatThrownBy(() -> LabDns.resolverGroup(new InetSocketAddress("10.0.0.53", 53)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("10.0.0.53");
    }

    /** Answers the fixed A records, NXDOMAIN otherwise; records every question. */
    private static final class FakeResponder extends SimpleChannelInboundHandler<DatagramDnsQuery> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery q) {
            DnsQuestion question = q.recordAt(DnsSection.QUESTION);
            String name = question.name().toLowerCase(Locale.ROOT);
            name = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
            asked.add(name + " " + question.type().name());
            DatagramDnsResponse res = new DatagramDnsResponse(q.recipient(), q.sender(), q.id());
            if (name.equals("big.lab.test")) {
                // "too big for UDP": the client must ask again over TCP
                res.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(question.name(), question.type()));
                res.setTruncated(true);
            } else {
                fill(question, res);
            }
            ctx.writeAndFlush(res);
        }
    }

    static void fill(DnsQuestion question, io.netty.handler.codec.dns.DnsResponse res) {
        String name = question.name().toLowerCase(Locale.ROOT);
        name = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        res.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(question.name(), question.type()));
        res.setAuthoritativeAnswer(true);
        String a = records.get(name);
        if (a == null) {
            res.setCode(DnsResponseCode.NXDOMAIN);
        } else if (question.type() == DnsRecordType.A) {
            byte[] ip = new byte[4];
            String[] parts = a.split("\\.");
            for (int i = 0; i < 4; i++) {
                ip[i] = (byte) Integer.parseInt(parts[i]);
            }
            res.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(), DnsRecordType.A, 60,
                    Unpooled.wrappedBuffer(ip)));
        }
    }
}
