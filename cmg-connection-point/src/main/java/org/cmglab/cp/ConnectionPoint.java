package org.cmglab.cp;

import io.netty.handler.ssl.SslContext;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cmglab.cp.dial.ChannelDialer;
import org.cmglab.cp.forward.BackendClient;
import org.cmglab.cp.forward.RouteTable;
import org.cmglab.cp.forward.StreamContext;
import org.cmglab.proto.channel.ChannelHello;
import org.cmglab.proto.config.ConnectionPointConfig;
import org.cmglab.proto.config.RoleRoute;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CMG connection point: keeps a channel open to every CMG VM instance (it only ever dials out) and forwards the
 * requests that arrive on those channels to the management point or software update point.
 */
public final class ConnectionPoint implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConnectionPoint.class);
    private static final int MAX_BODY = 32 * 1024 * 1024;

    private final ConnectionPointConfig config;
    /** One dialer per wanted target (instance index, host, port, transport), in instance order. */
    private final Map<ConnectionPointConfig.ChannelTarget, ChannelDialer> dialers = new LinkedHashMap<>();
    private final RouteTable routes;
    /** Drains removed channels off the event loops ({@link ChannelDialer#close()} waits for the drain). */
    private final java.util.concurrent.ExecutorService drainer = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "cp-channel-drain");
        t.setDaemon(true);
        return t;
    });
    private java.util.function.Function<ConnectionPointConfig.ChannelTarget, ChannelDialer> newDialer;
    private org.cmglab.cp.site.SiteConfigPoller site;
    private java.time.Instant reconciledAt;
    private volatile boolean closed;

    private ConnectionPoint(ConnectionPointConfig config) {
        this.config = config;
        this.routes = new RouteTable(config.routes());
    }

    public static ConnectionPoint start(ConnectionPointConfig c, ComponentRuntime rt) throws Exception {
        ConnectionPoint cp = new ConnectionPoint(c);
        IssuedCert identity = IssuedCert.readPem(Path.of(c.clientTls().certFile()), Path.of(c.clientTls().keyFile()));
        List<X509Certificate> roots = new ArrayList<>();
        for (String f : c.trustRoots()) {
            roots.addAll(Pem.readCertificates(Path.of(f)));
        }
        SslContext channelTls = TlsContexts.client(roots, identity, "http/1.1");
        SslContext tcpTlsContext = TlsContexts.client(roots, identity);
        SslContext backendTls = TlsContexts.client(roots, identity);
        var hosts = org.cmglab.proto.runtime.LabResolvers.forConfig(c.hosts(), c.dnsServer());
        log.info("Names are resolved through {}", org.cmglab.proto.runtime.LabResolvers.describe(c.dnsServer()));
        if (c.proxy() != null) {
            log.info("HTTPS channels go through the web proxy {} (HTTP CONNECT); TCP-TLS channels connect directly",
                    c.proxy().describe());
        }
        BackendClient backends = new BackendClient(backendTls, hosts, c.sourceAddress());
        List<ChannelHello.Role> roles = c.routes().stream().map(r -> new ChannelHello.Role(r.roleId(), r.kind())).toList();
        ChannelDialer.StreamFactory factory = new ChannelDialer.StreamFactory() {
            @Override
            public StreamContext forChannel(ChannelHello hello, ConnectionPointConfig.ChannelTarget t) {
                return new StreamContext(hello, cp.routes, backends, rt.events(), "cmg-service/" + t.instanceIndex(),
                        t.port(), MAX_BODY);
            }

            @Override
            public List<ChannelHello.Role> roles() {
                return roles;
            }
        };
        for (RoleRoute r : c.routes()) {
            log.info("URL mapping: https://<CMG>/CCM_Proxy_MutualAuth/{} and CCM_Proxy_ServerAuth/{} → {} ({})",
                    r.roleId(), r.roleId(), r.internalBaseUrl(), r.kind());
        }
        log.info("Certificate for the CMG channels: {} (thumbprint {})",
                identity.certificate().getSubjectX500Principal().getName(), identity.thumbprintSha1Hex());
        cp.newDialer = t -> new ChannelDialer(c.name(), c.siteCode(), c.sourceAddress(), t, channelTls,
                tcpTlsContext, hosts, rt.group(), c.channel().toSettings(), c.channel().tcpTlsRetry(), factory,
                rt.events(), c.proxy());
        if (c.siteControl() != null) {
            // the site says when there is a CMG to connect to (a connection point may start while it is deployed)
            cp.site = new org.cmglab.cp.site.SiteConfigPoller(c.siteControl(),
                    java.time.Duration.ofMillis(c.sitePollMillis()), rt.group(), c.targets(),
                    wanted -> cp.reconcile(wanted, "site"));
            cp.site.startAwaitingDeployment(() -> cp.reconcile(c.targets(), "configuration"));
        } else {
            cp.reconcile(c.targets(), "configuration");
        }
        return cp;
    }

    /**
     * Brings the dialers in line with {@code wanted}: a dialer starts for each new target (new ones first, so a
     * replaced instance 0 — 443 ↔ 10124 when the count crosses 1 ↔ many — is dialled before the old channel goes),
     * and each target no longer wanted stops re-dialling and has its channel drained (GOAWAY, in-flight streams
     * finish) on the drain executor, never on an event loop. Never blocks.
     */
    public synchronized void reconcile(List<ConnectionPointConfig.ChannelTarget> wanted, String source) {
        if (closed) {
            return;
        }
        java.util.Set<ConnectionPointConfig.ChannelTarget> want = new java.util.LinkedHashSet<>(wanted);
        if (want.equals(dialers.keySet())) {
            reconciledAt = java.time.Instant.now();
            return;
        }
        java.util.Set<Integer> had = new java.util.HashSet<>();
        dialers.keySet().forEach(t -> had.add(t.instanceIndex()));
        java.util.Set<Integer> keep = new java.util.HashSet<>();
        want.forEach(t -> keep.add(t.instanceIndex()));
        for (ConnectionPointConfig.ChannelTarget t : want) {
            if (dialers.containsKey(t)) {
                continue;
            }
            if (had.contains(t.instanceIndex())) {
                log.info("Maintaining connections... replacing the channel to instance ProxyService_IN_{}: now {}:{} ({})"
                        + " [from {}]", t.instanceIndex(), t.host(), t.port(), t.transport(), source);
            } else {
                log.info("Maintaining connections... adding instance ProxyService_IN_{} ({}:{}, {}) [from {}]",
                        t.instanceIndex(), t.host(), t.port(), t.transport(), source);
            }
            ChannelDialer d = newDialer.apply(t);
            dialers.put(t, d);
            d.start();
        }
        for (var it = dialers.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            ConnectionPointConfig.ChannelTarget t = e.getKey();
            if (want.contains(t)) {
                continue;
            }
            it.remove();
            if (keep.contains(t.instanceIndex())) {
                log.info("Maintaining connections... draining the old channel to instance ProxyService_IN_{} ({}:{})",
                        t.instanceIndex(), t.host(), t.port());
            } else {
                log.info("Maintaining connections... removing instance ProxyService_IN_{} ({}:{}): draining its channel"
                        + " [from {}]", t.instanceIndex(), t.host(), t.port(), source);
            }
            ChannelDialer replacement = dialers.entrySet().stream()
                    .filter(x -> x.getKey().instanceIndex() == t.instanceIndex() && want.contains(x.getKey()))
                    .map(Map.Entry::getValue).findFirst().orElse(null);
            drain(t, e.getValue(), replacement);
        }
        // keep instance order in the status page
        List<Map.Entry<ConnectionPointConfig.ChannelTarget, ChannelDialer>> sorted = new ArrayList<>(dialers.entrySet());
        sorted.sort(java.util.Comparator.comparingInt(x -> x.getKey().instanceIndex()));
        dialers.clear();
        sorted.forEach(x -> dialers.put(x.getKey(), x.getValue()));
        reconciledAt = java.time.Instant.now();
    }

    /**
     * Drains {@code d} on the drain executor; a replaced dialer is kept until its replacement is connected (or the
     * handshake timeout has passed), so the instance is never left without a channel while the new one comes up.
     */
    private void drain(ConnectionPointConfig.ChannelTarget t, ChannelDialer d, ChannelDialer replacement) {
        long lateMs = config.channel().toSettings().handshakeTimeout().toMillis() + 1_000;
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(lateMs);
        Runnable close = () -> {
            d.close();
            log.info("Channel to instance ProxyService_IN_{} ({}:{}) is drained", t.instanceIndex(), t.host(), t.port());
        };
        if (replacement == null) {
            drainer.execute(close);
        } else {
            whenConnected(replacement, until, close);
        }
        // a dial that was in flight when the dialer stopped may still complete: drain that channel too
        java.util.concurrent.CompletableFuture.delayedExecutor(lateMs, java.util.concurrent.TimeUnit.MILLISECONDS,
                drainer).execute(d::close);
    }

    private void whenConnected(ChannelDialer replacement, long untilNanos, Runnable then) {
        if (closed || replacement.connected() || System.nanoTime() >= untilNanos) {
            drainer.execute(then);
            return;
        }
        java.util.concurrent.CompletableFuture.delayedExecutor(50, java.util.concurrent.TimeUnit.MILLISECONDS, drainer)
                .execute(() -> whenConnected(replacement, untilNanos, then));
    }

    public synchronized List<ConnectionPointConfig.ChannelTarget> targets() {
        return List.copyOf(dialers.keySet());
    }

    public synchronized boolean anyConnected() {
        return dialers.values().stream().anyMatch(ChannelDialer::connected);
    }

    public synchronized Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", config.name());
        m.put("siteCode", config.siteCode());
        m.put("targets", List.copyOf(dialers.keySet()));
        m.put("reconciledAt", reconciledAt == null ? null : reconciledAt.toString());
        m.put("site", site == null ? null : site.status());
        m.put("channels", dialers.values().stream().map(ChannelDialer::status).toList());
        m.put("routes", routes.routes());
        return m;
    }

    @Override
    public void close() {
        List<ChannelDialer> all;
        synchronized (this) {
            closed = true;
            if (site != null) {
                site.close();
            }
            all = List.copyOf(dialers.values());
            dialers.clear();
        }
        all.forEach(ChannelDialer::close);
        drainer.shutdown();
    }
}
