package org.cmglab.cmg;

import io.netty.handler.ssl.SslContext;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.cmglab.cmg.channel.ChannelRegistry;
import org.cmglab.cmg.frontdoor.FrontDoorContext;
import org.cmglab.cmg.frontdoor.FrontDoorServer;
import org.cmglab.cmg.frontdoor.TcpTlsChannelServer;
import org.cmglab.proto.config.CmgServiceConfig;
import org.cmglab.proto.config.PublishedRole;
import org.cmglab.proto.pki.ClientAuthMode;
import org.cmglab.proto.pki.ClientCertValidator;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One CMG VM instance: the HTTPS front door (server-auth certificate, CN = service name) that authenticates clients
 * and forwards their requests over the channels connection points opened, and the channel listener.
 */
public final class CmgService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CmgService.class);

    private final CmgServiceConfig config;
    private final ChannelRegistry registry;
    private final List<FrontDoorServer> servers = new ArrayList<>();
    private TcpTlsChannelServer tcpTls;
    private org.cmglab.cmg.content.ContentService content;

    private CmgService(CmgServiceConfig config) {
        this.config = config;
        // a hello that serves none of these roles is not from a connection point of this CMG
        this.registry = new ChannelRegistry(config.publishedRoles().stream().map(PublishedRole::roleId)
                .collect(Collectors.toSet()));
    }

    public static CmgService start(CmgServiceConfig c, ComponentRuntime rt) throws Exception {
        CmgService s = new CmgService(c);
        IssuedCert identity = IssuedCert.readPem(Path.of(c.serverTls().certFile()), Path.of(c.serverTls().keyFile()));
        List<X509Certificate> clientRoots = readAll(c.clientTrustRoots());
        List<X509Certificate> connectorRoots = readAll(c.connectorTrustRoots());
        List<X509Certificate> requested = new ArrayList<>(clientRoots);
        connectorRoots.stream().filter(r -> !requested.contains(r)).forEach(requested::add);
        SslContext ssl = TlsContexts.server(identity, ClientAuthMode.DEFERRED, requested, "http/1.1");
        String instance = "cmg-service/" + c.instanceIndex();
        Set<String> published = c.publishedRoles().stream().map(PublishedRole::roleId).collect(Collectors.toSet());
        FrontDoorContext fd = new FrontDoorContext(instance, c.siteCode(), published, s.registry,
                new ClientCertValidator(clientRoots), new ClientCertValidator(connectorRoots), rt.events(),
                c.channel().toSettings(), c.frontDoor().port(), 120_000, Clock.systemUTC(),
                c.tokenAuth() == null ? null : org.cmglab.cmg.auth.ServerAuthGate.fromConfig(c.tokenAuth(),
                        org.cmglab.proto.runtime.LabClock.clock()), // skewed by POST /clock (cmglab fault)
                new org.cmglab.cmg.frontdoor.CmgOwnEndpoints(c.serviceName(), c.instanceName(),
                        identity.thumbprintSha1Hex(), c.publishedRoles()),
                s.content = org.cmglab.cmg.content.ContentService.fromConfig(c, Clock.systemUTC()));
        if (s.content != null) {
            rt.onClose(s.content);
        }
        log.info("CCM_Proxy_ServerAuth: {}", c.tokenAuth() == null ? "no token authentication (every bearer refused)"
                : "site tokens of hierarchy " + c.tokenAuth().hierarchyId() + ", Entra tenant "
                + c.tokenAuth().entraTenantId() + " (audience " + c.tokenAuth().entraAudience() + ", "
                + (c.tokenAuth().entraJwks() == null ? "no keys" : "keys from the deployment") + ")");
        s.servers.add(FrontDoorServer.start(c.frontDoor().socketAddress(), rt.group(), rt.group(), ssl, fd,
                c.maxRequestBodyBytes(), false));
        log.info("CMG service {} instance {} ({}): HTTPS front door on {} with certificate {} (thumbprint {})",
                c.serviceName(), c.instanceIndex(), c.instanceName(), c.frontDoor(),
                identity.certificate().getSubjectX500Principal().getName(), identity.thumbprintSha1Hex());
        if (c.channelHttps() != null) {
            s.servers.add(FrontDoorServer.start(c.channelHttps().socketAddress(), rt.group(), rt.group(), ssl, fd,
                    64 * 1024, true));
            log.info("Channel listener (HTTPS) on {}", c.channelHttps());
        } else {
            log.info("Channel listener (HTTPS) shares the front door {} (one VM instance)", c.frontDoor());
        }
        if (c.channelTcpTls() != null) {
            SslContext tcpTls = TlsContexts.server(identity, ClientAuthMode.DEFERRED, connectorRoots);
            s.tcpTls = TcpTlsChannelServer.start(c.channelTcpTls().socketAddress(), rt.group(), rt.group(), tcpTls, fd);
            log.info("Channel listener (TCP-TLS) on {}", c.channelTcpTls());
        }
        log.info("Published roles: {}", c.publishedRoles());
        return s;
    }

    private static List<X509Certificate> readAll(List<String> files) throws java.io.IOException {
        List<X509Certificate> out = new ArrayList<>();
        for (String f : files) {
            out.addAll(Pem.readCertificates(Path.of(f)));
        }
        return out;
    }

    public ChannelRegistry registry() {
        return registry;
    }

    /** The admin endpoint's {@code /status}. */
    public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("serviceName", config.serviceName());
        m.put("deploymentName", config.deploymentName());
        m.put("instance", config.instanceName());
        m.put("frontDoor", config.frontDoor().toString());
        m.put("channelListener", config.channelHttps() == null ? config.frontDoor().toString() : config.channelHttps().toString());
        m.put("channelTcpTls", config.channelTcpTls() == null ? null : config.channelTcpTls().toString());
        m.put("publishedRoles", config.publishedRoles());
        m.put("channels", registry.status());
        return m;
    }

    public List<java.net.InetSocketAddress> boundAddresses() {
        return servers.stream().map(FrontDoorServer::boundAddress).toList();
    }

    /** The TCP-TLS channel listener's address, or null when this instance has none (scale sets). */
    public java.net.InetSocketAddress tcpTlsAddress() {
        return tcpTls == null ? null : tcpTls.boundAddress();
    }

    /**
     * How long an instance that is stopping (scale-in, delete) lets the streams in flight finish after its GOAWAY;
     * azure-sim's stop grace is longer. The drain ends as soon as no stream is open.
     */
    static final java.time.Duration DRAIN_GRACE = java.time.Duration.ofSeconds(25);

    @Override
    public void close() {
        servers.forEach(FrontDoorServer::close);
        if (tcpTls != null) {
            tcpTls.close();
        }
        List<io.netty.util.concurrent.Future<Void>> drains = new ArrayList<>();
        for (var c : registry.all()) {
            c.markDraining();
            drains.add(org.cmglab.proto.channel.ChannelDrain.drain(c.parent(), DRAIN_GRACE));
        }
        drains.forEach(f -> f.awaitUninterruptibly(DRAIN_GRACE.toMillis() + 1_000));
        log.info("Drained {} channel(s)", drains.size());
    }
}
