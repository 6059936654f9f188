package org.cmglab.azure.lb;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.runtime.EventLoops;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Azure load balancer in front of the CMG VM instances: a layer-4 TCP proxy (TLS passes through untouched, so the
 * client sees the instance's server-auth certificate). Each {@link LbRule} is one listening frontend on the VIP.
 *
 * <p>Per connection: the client side is accepted with auto-read off, the backend is dialled, then bytes are relayed
 * read-one / write-one (Netty's HexDumpProxy pattern: the next read is requested only when the previous write
 * completed, so a slow side holds the fast side back). Half-close is passed on ({@code shutdownOutput} on the other
 * side once one side finished sending); both sides close when both finished or either fails. Rules are added and
 * removed at run time (scale out / in).
 */
public final class LoadBalancer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LoadBalancer.class);
    static final int CONNECT_TIMEOUT_MS = 3000;

    private final EventLoopGroup group;
    private final Map<String, LbRule> rules = new LinkedHashMap<>();
    /** Frontend ports a network security rule denies (the lab resets such connections at once). */
    private final java.util.Set<Integer> deniedPorts = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public LoadBalancer(EventLoopGroup group) {
        this.group = group;
    }

    /** A load-balancing rule: {@code frontend} → round-robin over the pool's healthy backends' front doors. */
    public LbRule addPoolRule(String name, Endpoint frontend, BackendPool pool) throws InterruptedException {
        LbRule r = new LbRule(name, LbRule.Kind.LOAD_BALANCING, frontend, () -> {
            Backend b = pool.pick();
            return b == null ? null : b.frontDoor();
        }, "pool (round-robin over healthy front doors)");
        return bind(r);
    }

    /** An inbound NAT rule: {@code frontend} → always {@code target} (NAT rules do not follow the health probe). */
    public LbRule addNatRule(String name, Endpoint frontend, Endpoint target) throws InterruptedException {
        return bind(new LbRule(name, LbRule.Kind.INBOUND_NAT, frontend, () -> target, target.toString()));
    }

    private LbRule bind(LbRule r) throws InterruptedException {
        synchronized (this) {
            if (rules.containsKey(r.name())) {
                throw new IllegalStateException("load balancer rule " + r.name() + " exists already");
            }
        }
        ChannelFuture f = listen(r).await();
        if (!f.isSuccess()) {
            throw new IllegalStateException("load balancer rule " + r.name() + ": cannot listen on " + r.frontend()
                    + ": " + f.cause(), f.cause());
        }
        r.server = f.channel();
        synchronized (this) {
            rules.put(r.name(), r);
        }
        log.info("load balancer rule {} listening on {}", r.name(), r.frontend());
        return r;
    }

    private ChannelFuture listen(LbRule r) {
        return new ServerBootstrap().group(group).channel(EventLoops.serverChannelClass())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(new Frontend(r, deniedPorts));
                    }
                }).bind(r.frontend().socketAddress());
    }

    /** Resets (RST) every connection open through {@code r}; returns how many. */
    private static int resetOpen(LbRule r) {
        int n = 0;
        for (Channel c : List.copyOf(r.open)) {
            if (c.isActive()) {
                c.config().setOption(ChannelOption.SO_LINGER, 0);
                c.close();
                n++;
            }
        }
        r.resetOpen.addAndGet(n);
        return n;
    }

    /**
     * The first half of a restart of the load balancer's data plane, as in a platform incident: every frontend stops
     * listening and every open connection is reset (RST) at once. {@link #listenAgain()} ends it. Blocks until the
     * listeners are closed (call it off the event loops).
     *
     * @return what was stopped: rule names and the number of reset connections
     */
    public Map<String, Object> stopListening() {
        int reset = 0;
        List<LbRule> stopped = rules();
        for (LbRule r : stopped) {
            Channel s = r.server;
            if (s != null) {
                s.close().syncUninterruptibly();
            }
            reset += resetOpen(r);
        }
        log.warn("load balancer restarting: {} frontend(s) stopped listening, {} open connection(s) reset",
                stopped.size(), reset);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rules", stopped.stream().map(LbRule::name).toList());
        m.put("resetConnections", reset);
        return m;
    }

    /**
     * Listens again on every rule that is not listening (the end of a restart; rules added or removed meanwhile, e.g.
     * by a scale, are taken as they are now). Blocks until bound (call it off the event loops).
     *
     * @return the rules listening again
     */
    public List<String> listenAgain() throws InterruptedException {
        List<String> out = new ArrayList<>();
        for (LbRule r : rules()) {
            if (r.listening()) {
                continue;
            }
            ChannelFuture f = listen(r).await();
            if (f.isSuccess()) {
                r.server = f.channel();
                out.add(r.name());
                log.info("load balancer rule {} listening again on {} after the restart", r.name(), r.frontend());
            } else {
                log.error("load balancer rule {}: cannot listen again on {} after the restart: {}", r.name(),
                        r.frontend(), String.valueOf(f.cause()));
            }
        }
        return out;
    }

    /** Stops listening on a rule's frontend (open connections are left to finish). */
    public boolean removeRule(String name) {
        LbRule r;
        synchronized (this) {
            r = rules.remove(name);
        }
        if (r == null) {
            return false;
        }
        if (r.server != null) {
            r.server.close().syncUninterruptibly();
        }
        log.info("load balancer rule {} on {} removed", name, r.frontend());
        return true;
    }

    /**
     * A network security rule on a frontend port of the VIP (every rule listening on it, present or added later):
     * {@code deny} resets each new connection right after accepting it, with a log line; {@code allow} lifts it.
     * Azure's NSG drops the packets instead (the client times out); resetting gives the same "cannot connect"
     * without making tests wait for connect timeouts. Connections already open are not touched.
     *
     * @return the ports denied now
     */
    public java.util.Set<Integer> deny(int port, boolean deny) {
        return deny(port, deny, false);
    }

    /**
     * As {@link #deny(int, boolean)}; with {@code resetExisting} a deny also resets (RST) the connections already
     * open on that port, as a firewall that starts dropping a flow does (Azure's own NSG leaves established flows
     * alone; the fault matrix uses this to block TCP-TLS mid-run).
     */
    public java.util.Set<Integer> deny(int port, boolean deny, boolean resetExisting) {
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port: " + port + " (expected 1-65535)");
        }
        boolean changed = deny ? deniedPorts.add(port) : deniedPorts.remove(port);
        if (changed) {
            log.info("network security rule: frontend port {} {}", port, deny ? "denied (new connections are reset)"
                    : "allowed again");
        }
        if (deny && resetExisting) {
            int n = 0;
            for (LbRule r : rules()) {
                if (r.frontend().port() == port) {
                    n += resetOpen(r);
                }
            }
            log.info("network security rule: frontend port {}: {} open connection(s) reset", port, n);
        }
        return deniedPorts();
    }

    public java.util.Set<Integer> deniedPorts() {
        return java.util.Collections.unmodifiableSet(new java.util.TreeSet<>(deniedPorts));
    }

    public synchronized LbRule rule(String name) {
        return rules.get(name);
    }

    public synchronized List<LbRule> rules() {
        return List.copyOf(rules.values());
    }

    public List<Map<String, Object>> status() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (LbRule r : rules()) {
            out.add(r.status());
        }
        return out;
    }

    @Override
    public void close() {
        for (LbRule r : rules()) {
            removeRule(r.name());
        }
    }

    /** Client side of one proxied connection. */
    private static final class Frontend extends ChannelInboundHandlerAdapter {
        private final LbRule rule;
        private final java.util.Set<Integer> deniedPorts;

        Frontend(LbRule rule, java.util.Set<Integer> deniedPorts) {
            this.rule = rule;
            this.deniedPorts = deniedPorts;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel in = ctx.channel();
            if (deniedPorts.contains(rule.frontend().port())) {
                rule.denied.incrementAndGet();
                log.info("load balancer rule {}: connection from {} reset (port {} denied by a network security rule)",
                        rule.name(), in.remoteAddress(), rule.frontend().port());
                in.config().setOption(ChannelOption.SO_LINGER, 0); // RST, like a firewall's reject
                in.close();
                return;
            }
            Endpoint target = rule.pickTarget();
            if (target == null) {
                rule.refused.incrementAndGet();
                log.warn("load balancer rule {}: no healthy backend for {}", rule.name(), in.remoteAddress());
                in.close();
                return;
            }
            rule.connections.incrementAndGet();
            rule.active.incrementAndGet();
            rule.open.add(in);
            in.closeFuture().addListener(f -> rule.active.decrementAndGet());
            Pair pair = new Pair();
            Relay clientSide = new Relay(rule, pair, true);
            ctx.pipeline().replace(this, "relay", clientSide);
            Relay backendSide = new Relay(rule, pair, false);
            ChannelFuture cf = new Bootstrap().group(in.eventLoop()).channel(EventLoops.socketChannelClass())
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS)
                    .handler(backendSide)
                    .connect(target.socketAddress());
            Channel out = cf.channel();
            clientSide.peer = out;
            backendSide.peer = in;
            cf.addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    in.read();
                    out.read();
                } else {
                    rule.backendFailures.incrementAndGet();
                    log.info("load balancer rule {}: backend {} refused {}: {}", rule.name(), target,
                            in.remoteAddress(), f.cause() == null ? "?" : f.cause().toString());
                    in.close();
                }
            });
        }
    }

    /** Counts the sides that finished sending; when both did, the connection is done. */
    private static final class Pair {
        final AtomicInteger finished = new AtomicInteger();
    }

    /** Relays what one side reads to the other side ({@code peer}). */
    private static final class Relay extends ChannelInboundHandlerAdapter {
        private final LbRule rule;
        private final Pair pair;
        private final boolean fromClient;
        volatile Channel peer;

        Relay(LbRule rule, Pair pair, boolean fromClient) {
            this.rule = rule;
            this.pair = pair;
            this.fromClient = fromClient;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Channel p = peer;
            if (p == null || !p.isActive()) {
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            if (msg instanceof ByteBuf b) {
                (fromClient ? rule.bytesIn : rule.bytesOut).addAndGet(b.readableBytes());
            }
            p.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    ctx.channel().read();
                } else {
                    f.channel().close();
                    ctx.close();
                }
            });
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                Channel p = peer;
                int done = pair.finished.incrementAndGet();
                if (done >= 2 || p == null || !p.isActive()) {
                    closeOnFlush(p);
                    ctx.close();
                } else {
                    p.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
                        if (f.isSuccess() && f.channel() instanceof DuplexChannel d) {
                            d.shutdownOutput();
                        } else {
                            f.channel().close();
                        }
                    });
                }
                return;
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closeOnFlush(peer);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("load balancer rule {}: {} side failed: {}", rule.name(), fromClient ? "client" : "backend",
                    cause.toString());
            closeOnFlush(peer);
            ctx.close();
        }

        static void closeOnFlush(Channel ch) {
            if (ch != null && ch.isActive()) {
                ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            } else if (ch != null) {
                ch.close();
            }
        }
    }
}
