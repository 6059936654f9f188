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
    private final List<ChannelDialer> dialers = new ArrayList<>();
    private final RouteTable routes;

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
        for (ConnectionPointConfig.ChannelTarget t : c.targets()) {
            ChannelDialer d = new ChannelDialer(c.name(), c.siteCode(), c.sourceAddress(), t, channelTls,
                    tcpTlsContext, hosts, rt.group(), c.channel().toSettings(), c.channel().tcpTlsRetry(), factory,
                    rt.events());
            cp.dialers.add(d);
            d.start();
        }
        return cp;
    }

    public boolean anyConnected() {
        return dialers.stream().anyMatch(ChannelDialer::connected);
    }

    public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", config.name());
        m.put("siteCode", config.siteCode());
        m.put("channels", dialers.stream().map(ChannelDialer::status).toList());
        m.put("routes", routes.routes());
        return m;
    }

    @Override
    public void close() {
        dialers.forEach(ChannelDialer::close);
    }
}
