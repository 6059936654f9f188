package org.cmglab.azure.dns;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsResponse;
import io.netty.handler.codec.dns.DnsOpCode;
import io.netty.handler.codec.dns.DnsQuery;
import io.netty.handler.codec.dns.DnsRecordDecoder;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.TcpDnsQueryDecoder;
import io.netty.handler.codec.dns.TcpDnsResponseEncoder;
import io.netty.handler.timeout.ReadTimeoutException;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.config.Loopback;
import org.cmglab.proto.runtime.EventLoops;
import org.cmglab.proto.runtime.LabDns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lab DNS: an authoritative-only server for the names of the emulated hosts (Azure deployment, storage and
 * front names, the customer's service name), on one loopback address and port over UDP and TCP. It never recurses
 * or forwards: names outside the lab zones get REFUSED (see {@link LabDnsZone} for the zone rule).
 *
 * <p>Bad input (garbage datagrams, broken TCP framing, oversized messages, several questions) is answered with
 * FORMERR when the header is readable, dropped otherwise, and logged at WARN with the reason, rate-limited.
 * Answers are logged at DEBUG, NXDOMAIN and REFUSED at INFO.
 */
public final class LabDnsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LabDnsServer.class);

    /** Largest query accepted (UDP datagram or TCP message); a real query is well under 512 bytes. */
    static final int MAX_QUERY_BYTES = 4096;
    /** An idle TCP connection is closed after this many seconds. */
    static final int TCP_IDLE_SECONDS = 10;
    private static final int DNS_HEADER_BYTES = 12;
    private static final int BIND_ATTEMPTS = 20;

    private final Channel udp;
    private final Channel tcp;
    private final ChannelGroup tcpConnections;
    private final LabDnsZone zone;

    private LabDnsServer(Channel udp, Channel tcp, ChannelGroup tcpConnections, LabDnsZone zone) {
        this.udp = udp;
        this.tcp = tcp;
        this.tcpConnections = tcpConnections;
        this.zone = zone;
    }

    /** Starts with an empty zone (the fixed Azure zones only). */
    public static LabDnsServer start(InetSocketAddress bind, EventLoopGroup group) throws InterruptedException {
        return start(bind, group, new LabDnsZone());
    }

    /**
     * Serves {@code zone} on {@code bind} (a 127.x.y.z address) over UDP and TCP. With port 0 a port free for both
     * protocols is chosen.
     */
    public static LabDnsServer start(InetSocketAddress bind, EventLoopGroup group, LabDnsZone zone)
            throws InterruptedException {
        if (bind == null || bind.isUnresolved()) {
            throw new IllegalArgumentException("DNS bind address: " + bind + " (expected: a resolved 127.x.y.z address)");
        }
        Loopback.require(bind.getAddress().getHostAddress(), "DNS bind address");
        RateLimitedWarn warn = new RateLimitedWarn(log, 20);
        DnsAnswers answers = new DnsAnswers(zone, warn);
        ChannelGroup connections = new DefaultChannelGroup("lab-dns-tcp", GlobalEventExecutor.INSTANCE);

        Bootstrap udpBootstrap = new Bootstrap().group(group).channel(LabDns.datagramChannelClass())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        // one byte more than the largest query, so an oversized datagram is seen as such
                        ch.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(MAX_QUERY_BYTES + 1));
                        UdpGuard guard = new UdpGuard(warn);
                        ch.pipeline().addLast(guard, new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                                new UdpHandler(answers, guard, warn));
                    }
                });
        ServerBootstrap tcpBootstrap = new ServerBootstrap().group(group).channel(EventLoops.serverChannelClass())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        ch.pipeline().addLast(new ReadTimeoutHandler(TCP_IDLE_SECONDS, TimeUnit.SECONDS),
                                new TcpGuard(warn),
                                new TcpDnsQueryDecoder(DnsRecordDecoder.DEFAULT, MAX_QUERY_BYTES + 2),
                                new TcpDnsResponseEncoder(),
                                new TcpHandler(answers, warn));
                    }
                });

        int attempts = bind.getPort() == 0 ? BIND_ATTEMPTS : 1;
        Throwable last = null;
        for (int i = 0; i < attempts; i++) {
            ChannelFuture uf = udpBootstrap.bind(bind).await();
            if (!uf.isSuccess()) {
                last = uf.cause();
                continue;
            }
            Channel u = uf.channel();
            int port = ((InetSocketAddress) u.localAddress()).getPort();
            ChannelFuture tf = tcpBootstrap.bind(new InetSocketAddress(bind.getAddress(), port)).await();
            if (tf.isSuccess()) {
                LabDnsServer s = new LabDnsServer(u, tf.channel(), connections, zone);
                log.info("lab DNS on {} (UDP and TCP, {}), authoritative for {}", hostPort(s.boundAddress()),
                        EventLoops.transportName(), zone.zones());
                return s;
            }
            last = tf.cause();
            u.close().sync();
        }
        throw new IllegalStateException("cannot bind the lab DNS on " + hostPort(bind) + " for both UDP and TCP"
                + (attempts > 1 ? " (" + attempts + " attempts)" : "") + ": " + (last == null ? "?" : last.getMessage()),
                last);
    }

    /** The address and port, the same for UDP and TCP. */
    public InetSocketAddress boundAddress() {
        return (InetSocketAddress) udp.localAddress();
    }

    /** The records served; changes are visible to the next query. */
    public LabDnsZone zone() {
        return zone;
    }

    @Override
    public void close() {
        udp.close().syncUninterruptibly();
        tcp.close().syncUninterruptibly();
        tcpConnections.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }

    static String hostPort(SocketAddress a) {
        if (a instanceof InetSocketAddress i) {
            return (i.isUnresolved() ? i.getHostString() : i.getAddress().getHostAddress()) + ":" + i.getPort();
        }
        return String.valueOf(a);
    }

    private static String reason(Throwable t) {
        Throwable c = t instanceof DecoderException && t.getCause() != null ? t.getCause() : t;
        return c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
    }

    /**
     * Drops datagrams that cannot be a query (shorter than a header, oversized, a response) and remembers the
     * sender and id of the one being decoded, so a decoding failure can be answered with FORMERR.
     */
    private static final class UdpGuard extends ChannelInboundHandlerAdapter {
        private final RateLimitedWarn warn;
        InetSocketAddress sender;
        int id = -1;

        UdpGuard(RateLimitedWarn warn) {
            this.warn = warn;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof DatagramPacket p)) {
                ctx.fireChannelRead(msg);
                return;
            }
            ByteBuf c = p.content();
            int n = c.readableBytes();
            String problem = null;
            if (n < DNS_HEADER_BYTES) {
                problem = "shorter than a DNS header (12 bytes)";
            } else if (n > MAX_QUERY_BYTES) {
                problem = "oversized (the receive buffer holds one byte more than the largest query)";
            } else if ((c.getUnsignedShort(c.readerIndex() + 2) & 0x8000) != 0) {
                problem = "a DNS response, not a query";
            }
            if (problem != null) {
                String size = n > MAX_QUERY_BYTES ? "UDP packet of more than " + MAX_QUERY_BYTES + " bytes"
                        : n + "-byte UDP packet";
                warn.warn("dropped a " + size + " from " + hostPort(p.sender()) + ": " + problem);
                p.release();
                return;
            }
            sender = p.sender();
            id = c.getUnsignedShort(c.readerIndex());
            try {
                ctx.fireChannelRead(p);
            } finally {
                sender = null;
                id = -1;
            }
        }
    }

    private static final class UdpHandler extends SimpleChannelInboundHandler<DatagramDnsQuery> {
        private final DnsAnswers answers;
        private final UdpGuard guard;
        private final RateLimitedWarn warn;

        UdpHandler(DnsAnswers answers, UdpGuard guard, RateLimitedWarn warn) {
            this.answers = answers;
            this.guard = guard;
            this.warn = warn;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery q) {
            DatagramDnsResponse res = new DatagramDnsResponse(q.recipient(), q.sender(), q.id(), q.opCode());
            try {
                answers.answer(q, res, hostPort(q.sender()), "udp");
            } catch (RuntimeException e) {
                res.release();
                throw e;
            }
            send(ctx, res);
        }

        private void send(ChannelHandlerContext ctx, DatagramDnsResponse res) {
            InetSocketAddress to = res.recipient();
            ctx.writeAndFlush(res).addListener((ChannelFutureListener) f -> {
                if (!f.isSuccess()) {
                    warn.warn("cannot send a DNS answer to " + hostPort(to) + " (udp): " + reason(f.cause()));
                }
            });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // the UDP channel serves every client: never close it for one bad packet
            if (guard.sender != null && cause instanceof DecoderException) {
                warn.warn("FORMERR to " + hostPort(guard.sender) + " (udp): cannot decode the query: " + reason(cause));
                DatagramDnsResponse res = new DatagramDnsResponse((InetSocketAddress) ctx.channel().localAddress(),
                        guard.sender, guard.id, DnsOpCode.QUERY, DnsResponseCode.FORMERR);
                res.setRecursionAvailable(false);
                send(ctx, res);
            } else {
                warn.warn("lab DNS (udp): " + reason(cause));
            }
        }
    }

    /**
     * Follows the TCP framing (2-byte length, message) without consuming anything, to close connections that send
     * an impossible length and to report a connection that ends in the middle of a message.
     */
    private static final class TcpGuard extends ChannelInboundHandlerAdapter {
        private final RateLimitedWarn warn;
        private int prefixBytes;
        private int prefix;
        private int bodyLeft;
        private boolean closing;

        TcpGuard(RateLimitedWarn warn) {
            this.warn = warn;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (closing) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (!(msg instanceof ByteBuf b)) {
                ctx.fireChannelRead(msg);
                return;
            }
            int i = b.readerIndex();
            int end = b.writerIndex();
            while (i < end) {
                if (bodyLeft > 0) {
                    int skip = Math.min(bodyLeft, end - i);
                    bodyLeft -= skip;
                    i += skip;
                    continue;
                }
                prefix = (prefix << 8) | b.getUnsignedByte(i++);
                if (++prefixBytes == 2) {
                    int len = prefix;
                    prefixBytes = 0;
                    prefix = 0;
                    if (len < DNS_HEADER_BYTES || len > MAX_QUERY_BYTES) {
                        closing = true;
                        b.release();
                        warn.warn("closed the TCP connection from " + hostPort(ctx.channel().remoteAddress())
                                + ": message length " + len + (len < DNS_HEADER_BYTES
                                ? " is shorter than a DNS header (12 bytes)"
                                : " is oversized (more than " + MAX_QUERY_BYTES + " bytes)"));
                        ctx.close();
                        return;
                    }
                    bodyLeft = len;
                }
            }
            ctx.fireChannelRead(b);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (!closing && (prefixBytes > 0 || bodyLeft > 0)) {
                warn.warn("the TCP connection from " + hostPort(ctx.channel().remoteAddress())
                        + " ended in the middle of a message (" + (prefixBytes > 0
                        ? "truncated length prefix" : bodyLeft + " bytes missing") + "); dropped");
            }
            super.channelInactive(ctx);
        }
    }

    private static final class TcpHandler extends SimpleChannelInboundHandler<DnsQuery> {
        private final DnsAnswers answers;
        private final RateLimitedWarn warn;

        TcpHandler(DnsAnswers answers, RateLimitedWarn warn) {
            this.answers = answers;
            this.warn = warn;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DnsQuery q) {
            DefaultDnsResponse res = new DefaultDnsResponse(q.id(), q.opCode());
            String client = hostPort(ctx.channel().remoteAddress());
            try {
                answers.answer(q, res, client, "tcp");
            } catch (RuntimeException e) {
                res.release();
                throw e;
            }
            ctx.writeAndFlush(res).addListener((ChannelFutureListener) f -> {
                if (!f.isSuccess()) {
                    warn.warn("cannot send a DNS answer to " + client + " (tcp): " + reason(f.cause()));
                    f.channel().close();
                }
            });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            String client = hostPort(ctx.channel().remoteAddress());
            if (cause instanceof ReadTimeoutException) {
                log.debug("closed the idle TCP connection from {} after {} s", client, TCP_IDLE_SECONDS);
            } else if (cause instanceof DecoderException) {
                warn.warn("closed the TCP connection from " + client + ": cannot decode the query: " + reason(cause));
            } else {
                log.debug("TCP connection from {} failed: {}", client, reason(cause));
            }
            ctx.close();
        }
    }
}
