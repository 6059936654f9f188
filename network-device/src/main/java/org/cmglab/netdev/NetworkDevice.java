package org.cmglab.netdev;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cmglab.proto.config.NetworkDeviceConfig;
import org.cmglab.proto.config.NetworkDeviceConfig.Hop;
import org.cmglab.proto.config.NetworkDeviceConfig.Rules;
import org.cmglab.proto.config.NetworkDeviceConfig.VerbBlock;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.pki.ClientAuthMode;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.AdminAction;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.EventLoops;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The network device process without its {@code main}: one listener per {@link Hop}, each a TLS-terminating (or
 * plain) HTTP/1.1 proxy to its upstream ({@link FrontendHandler}), and the admin actions that change the rules.
 *
 * <p>Pipeline per client connection: [SslHandler presenting the impersonated host's certificate] →
 * HttpServerCodec(8 KiB initial line, 64 KiB headers, 64 KiB chunks) → {@link FrontendHandler}; its upstream:
 * [SslHandler, SNI and name check of {@code upstreamHost}] → HttpClientCodec → {@link BackendHandler}.
 */
public final class NetworkDevice implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NetworkDevice.class);

    private final NetworkDeviceConfig config;
    private final Map<String, RuleSet> rules = new LinkedHashMap<>();
    private final Map<String, InetSocketAddress> bound = new LinkedHashMap<>();
    private final List<Channel> servers = new ArrayList<>();
    private final ChannelGroup children = new DefaultChannelGroup("netdev-children", GlobalEventExecutor.INSTANCE);
    private volatile InetSocketAddress adminAddress;

    private NetworkDevice(NetworkDeviceConfig config) {
        this.config = config;
    }

    /** Binds every hop's listener on the runtime's event loops; closed with the runtime. */
    public static NetworkDevice start(NetworkDeviceConfig config, ComponentRuntime runtime) throws IOException {
        NetworkDevice d = runtime.onClose(new NetworkDevice(config));
        List<X509Certificate> roots = new ArrayList<>();
        for (String f : config.trustRoots()) {
            roots.addAll(Pem.readCertificates(Path.of(f)));
        }
        for (Hop h : config.hops()) {
            SslContext server = h.serverTls() == null ? null
                    : TlsContexts.server(read(h.serverTls()), ClientAuthMode.NONE, List.of());
            SslContext client = null;
            if (h.upstreamTls()) {
                client = TlsContexts.client(roots, h.upstreamClientTls() == null ? null : read(h.upstreamClientTls()));
            }
            RuleSet rs = new RuleSet(h.rules());
            d.rules.put(h.name(), rs);
            SslContext serverTls = server;
            SslContext upstreamTls = client;
            ServerBootstrap b = new ServerBootstrap().group(runtime.group())
                    .channel(EventLoops.serverChannelClass())
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            d.children.add(ch);
                            int port = ((InetSocketAddress) ch.localAddress()).getPort();
                            HopContext ctx = new HopContext(config.name(), h.name(), h.step(), h.from(), h.to(),
                                    serverTls, h.upstreamHost(), h.upstream(), upstreamTls, rs, runtime.events(), port);
                            if (serverTls != null) {
                                ch.pipeline().addLast("ssl", serverTls.newHandler(ch.alloc()));
                            }
                            ch.pipeline().addLast("http", new HttpServerCodec(8 * 1024, 64 * 1024, 64 * 1024))
                                    .addLast("device", new FrontendHandler(ctx));
                        }
                    });
            Channel s = b.bind(h.listen().socketAddress()).syncUninterruptibly().channel();
            d.servers.add(s);
            d.bound.put(h.name(), (InetSocketAddress) s.localAddress());
            log.info("{} hop {} listens on {} ({}) → {} {} ({}); rules {}", config.name(), h.name(), s.localAddress(),
                    serverTls != null ? "TLS as " + h.upstreamHost() : "HTTP", upstreamTls != null ? "https" : "http",
                    h.upstreamHost(), h.upstream(), describe(rs.rules()));
        }
        return d;
    }

    /** What {@code main} does: {@link #start}, the admin endpoint with the rule actions, READY. */
    public static NetworkDevice launch(NetworkDeviceConfig config, ComponentRuntime runtime) throws Exception {
        NetworkDevice d = start(config, runtime);
        d.adminAddress = runtime.startAdmin(config.admin(), d::isListening, d::status, d.actions()).boundAddress();
        runtime.ready("device " + config.name() + " hops " + d.bound);
        return d;
    }

    private static IssuedCert read(TlsFiles f) throws IOException {
        return IssuedCert.readPem(Path.of(f.certFile()), Path.of(f.keyFile()));
    }

    public InetSocketAddress boundAddress(String hop) {
        return bound.get(hop);
    }

    /** Where {@link #launch} started the admin endpoint, or null after a bare {@link #start}. */
    public InetSocketAddress adminAddress() {
        return adminAddress;
    }

    public boolean isListening() {
        return !servers.isEmpty() && servers.stream().allMatch(Channel::isActive);
    }

    RuleSet rules(String hop) {
        RuleSet r = rules.get(hop);
        if (r == null) {
            throw new IllegalArgumentException("hop: " + hop + " (expected one of " + rules.keySet() + ")");
        }
        return r;
    }

    /**
     * {@code POST /strip?header=Range}, {@code /allow-header?header=Range}, {@code /block?verb=PROPFIND&action=reject
     * |reset}, {@code /allow-verb?verb=PROPFIND}, {@code /allow-all}, {@code /undo}; each takes {@code hop=<name>}
     * (default: every hop) and answers the hops' rules.
     */
    Map<String, AdminAction> actions() {
        Map<String, AdminAction> m = new LinkedHashMap<>();
        m.put("strip", (q, body) -> change(q, "strip", rs -> rs.strip(param(q, "header"))));
        m.put("allow-header", (q, body) -> change(q, "allow-header", rs -> rs.allowHeader(param(q, "header"))));
        m.put("block", (q, body) -> change(q, "block", rs -> rs.block(param(q, "verb"), optional(q, "action"))));
        m.put("allow-verb", (q, body) -> change(q, "allow-verb", rs -> rs.allowVerb(param(q, "verb"))));
        m.put("allow-all", (q, body) -> change(q, "allow-all", RuleSet::allowAll));
        m.put("undo", (q, body) -> change(q, "undo", RuleSet::undo));
        return m;
    }

    private Object change(Map<String, List<String>> q, String what, java.util.function.Function<RuleSet, Rules> f) {
        String hop = optional(q, "hop");
        List<String> names = hop == null ? List.copyOf(rules.keySet()) : List.of(hop);
        for (String n : names) {
            rules(n); // validate every name before changing any hop
        }
        Map<String, Rules> out = new LinkedHashMap<>();
        for (String n : names) {
            Rules r = f.apply(rules(n));
            out.put(n, r);
            log.info("{} hop {}: {} {} → rules {}", config.name(), n, what, q, describe(r));
        }
        return out;
    }

    private static String param(Map<String, List<String>> q, String name) {
        String v = optional(q, name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException(name + ": missing (expected: ?" + name + "=<value>)");
        }
        return v;
    }

    private static String optional(Map<String, List<String>> q, String name) {
        List<String> v = q.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    static String describe(Rules r) {
        if (r.stripHeaders().isEmpty() && r.blockVerbs().isEmpty()) {
            return "allow everything";
        }
        List<String> parts = new ArrayList<>();
        r.stripHeaders().forEach(h -> parts.add("strip " + h));
        for (VerbBlock b : r.blockVerbs()) {
            parts.add("block " + b.verb() + " (" + b.action() + ")");
        }
        return String.join(", ", parts);
    }

    /** The admin endpoint's {@code /status}. */
    public Status status() {
        List<HopStatus> hops = new ArrayList<>();
        for (Hop h : config.hops()) {
            InetSocketAddress a = bound.get(h.name());
            RuleSet rs = rules.get(h.name());
            hops.add(new HopStatus(h.name(), a == null ? null : a.getAddress().getHostAddress() + ":" + a.getPort(),
                    h.serverTls() != null, h.upstreamHost(), h.upstream().toString(), h.upstreamTls(), rs.rules(),
                    rs.counters()));
        }
        return new Status(config.name(), isListening(), hops);
    }

    @Override
    public void close() {
        for (Channel s : servers) {
            s.close().syncUninterruptibly();
        }
        children.close().awaitUninterruptibly();
        log.info("{} stopped", config.name());
    }

    /** {@code /status} of the device. */
    public record Status(String name, boolean listening, List<HopStatus> hops) {}

    /** One hop in {@link Status}. */
    public record HopStatus(String name, String listening, boolean tls, String upstreamHost, String upstream,
                            boolean upstreamTls, Rules rules, RuleSet.Counters counters) {}
}
