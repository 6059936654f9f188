package org.cmglab.scp;

import io.netty.handler.ssl.SslContext;
import io.netty.resolver.AddressResolverGroup;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.cmglab.proto.config.AzureEnvironment;
import org.cmglab.proto.config.ScpConfig;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.Json;
import org.cmglab.proto.runtime.LabHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar service-connection-point.jar --config scp.json}: the service connection point's cloud service
 * manager (CloudMgr.log). It talks to Entra ID and Resource Manager over HTTPS 443 (flow F1) and to nothing else but
 * the CMG instances' loopback admin status (see {@link InstanceStatusReader}).
 */
public final class ScpMain {
    private static final Logger log = LoggerFactory.getLogger(ScpMain.class);

    private ScpMain() {}

    public static void main(String[] args) throws Exception {
        Path file = ComponentRuntime.configArg(args, "service-connection-point");
        ScpConfig c = Json.readFile(file, ScpConfig.class);
        ComponentRuntime rt = new ComponentRuntime("service-connection-point", Path.of(c.logDir()), "CloudMgr.log",
                "SMS_CLOUD_SERVICES_MANAGER", 2);
        try {
            CloudServiceManager mgr = rt.onClose(build(c, rt, ResolverFactory.create(c),
                    CloudServiceManager.Settings.defaults()));
            rt.startAdmin(c.admin(), () -> true, mgr::status, ScpAdminActions.of(mgr));
            mgr.startMonitoring();
            if (c.deployOnStart()) {
                mgr.deploy();
            }
            rt.ready("CloudMgr for " + c.serviceName() + " (" + c.env().name() + ")");
        } catch (Exception e) {
            log.error("service-connection-point failed to start: {}", e.toString(), e);
            rt.close();
            System.exit(1);
        }
        rt.awaitShutdown();
    }

    /** Wires CloudMgr: environments table, TLS trusting {@code azureTrustRoots}, Entra ID and Resource Manager clients. */
    public static CloudServiceManager build(ScpConfig c, ComponentRuntime rt,
                                            AddressResolverGroup<InetSocketAddress> resolver,
                                            CloudServiceManager.Settings settings) throws Exception {
        AzureEnvironments envs = AzureEnvironments.load(c);
        envs.logTable(LoggerFactory.getLogger("CloudMgr"));
        AzureEnvironment env = envs.selected();
        List<X509Certificate> roots = new ArrayList<>();
        for (String f : c.azureTrustRoots()) {
            roots.addAll(Pem.readCertificates(Path.of(f)));
        }
        SslContext tls = TlsContexts.client(roots, null);
        LabHttpClient azure = new LabHttpClient(rt.group(), tls, resolver);
        LabHttpClient instances = new LabHttpClient(rt.group(), null, resolver, Duration.ofSeconds(3),
                Duration.ofSeconds(3));
        int port = 443 + c.portOffset();
        EntraTokenClient tokens = new EntraTokenClient(azure, env, c.tenantId(), c.clientId(), c.clientSecret(), port,
                rt.events(), Clock.systemUTC());
        ResourceManagerClient arm = new ResourceManagerClient(azure, tokens, env, port, rt.events(),
                Duration.ofMillis(Math.min(500, settings.readyPoll().toMillis())), Duration.ofSeconds(10),
                settings.readyTimeout());
        return new CloudServiceManager(c, env, arm, new InstanceStatusReader(instances, 9090 + c.portOffset()), settings);
    }
}
