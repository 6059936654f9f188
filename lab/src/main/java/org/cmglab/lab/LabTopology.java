package org.cmglab.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cmglab.proto.config.ConnectionPointConfig;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.config.NetworkDeviceConfig;
import org.cmglab.proto.config.NetworkDeviceConfig.Hop;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.config.WebProxyConfig;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.runtime.Json;

/**
 * What {@code cmglab up} adds to a {@link LabPlan}: the network device fw01 (always; traffic goes through it only
 * while a device fault needs it) and, with {@code --proxy}, the corporate web proxy the connection point's HTTPS
 * channels go through. Their addresses, configs and certificates.
 *
 * <table>
 *   <tr><td>network device fw01, hop {@code client-cmg}</td><td>127.N.7.10:443 → the CMG VIP :443</td></tr>
 *   <tr><td>network device fw01, hop {@code cp-mp}</td><td>127.N.7.20:443 → the MP :443</td></tr>
 *   <tr><td>network device admin</td><td>127.N.7.10:9090</td></tr>
 *   <tr><td>web proxy (proxy01)</td><td>127.N.2.20:8080, admin :9090</td></tr>
 * </table>
 * (every port plus the port offset).
 */
public final class LabTopology {
    public static final String NETWORK_DEVICE = "network-device";
    public static final String WEB_PROXY = "web-proxy";
    public static final String DEVICE_NAME = "fw01";
    public static final String PROXY_NAME = "proxy01.corp.contoso.com";
    public static final String HOP_CLIENT_CMG = "client-cmg";
    public static final String HOP_CP_MP = "cp-mp";

    private final LabPlan plan;
    private final boolean proxy;

    public LabTopology(LabPlan plan, boolean proxy) {
        this.plan = plan;
        this.proxy = proxy;
    }

    public LabPlan plan() { return plan; }
    public boolean proxy() { return proxy; }

    private String addr(int third, int fourth) {
        return "127." + plan.net() + "." + third + "." + fourth;
    }

    /** The device's outside address (hop client-cmg, admin). */
    public String deviceOutside() { return addr(7, 10); }

    /** The device's inside address (hop cp-mp): where the lab DNS points mp01 while a device fault is active. */
    public String deviceInside() { return addr(7, 20); }

    public Endpoint deviceAdmin() { return new Endpoint(deviceOutside(), plan.port(9090)); }

    public Endpoint deviceClientCmg() { return new Endpoint(deviceOutside(), plan.port(443)); }

    public Endpoint deviceCpMp() { return new Endpoint(deviceInside(), plan.port(443)); }

    public String proxyAddress() { return addr(2, 20); }

    /** The web proxy: 127.N.2.20:8080 (+ offset). */
    public Endpoint proxyListen() { return new Endpoint(proxyAddress(), plan.port(8080)); }

    public Endpoint proxyAdmin() { return new Endpoint(proxyAddress(), plan.port(9090)); }

    /** What the proxy lets through: the CMG's HTTPS ports 443 and 10124–10139 (plus the offset); not 10140+. */
    public List<Integer> proxyAllowedPorts() {
        List<Integer> ports = new ArrayList<>();
        ports.add(plan.port(443));
        for (int p = 10124; p <= 10139; p++) {
            ports.add(plan.port(p));
        }
        return ports;
    }

    /** The extra processes, in start order (before the plan's components: nothing depends on them at start). */
    public List<LabPlan.Component> components() {
        List<LabPlan.Component> out = new ArrayList<>();
        out.add(new LabPlan.Component(NETWORK_DEVICE, NETWORK_DEVICE, plan.configFile(NETWORK_DEVICE), deviceAdmin()));
        if (proxy) {
            out.add(new LabPlan.Component(WEB_PROXY, WEB_PROXY, plan.configFile(WEB_PROXY), proxyAdmin()));
        }
        return out;
    }

    private TlsFiles tls(String base) {
        Path pki = plan.pkiDir();
        return new TlsFiles(pki.resolve(base + ".crt.pem").toString(), pki.resolve(base + ".key.pem").toString());
    }

    public NetworkDeviceConfig networkDeviceConfig() {
        return new NetworkDeviceConfig(DEVICE_NAME, List.of(
                new Hop(HOP_CLIENT_CMG, "F3-device", LabPlan.CLIENT_SIM, LabPlan.CMG_SERVICE, deviceClientCmg(),
                        tls("fw01-as-cmg"), LabPlan.SERVICE_NAME, new Endpoint(plan.vipAddress(), plan.port(443)),
                        true, tls("fw01-client"), null),
                new Hop(HOP_CP_MP, "F5-device", LabPlan.CONNECTION_POINT, LabPlan.SITE_SIM + "/" + LabPlan.MP_NAME,
                        deviceCpMp(), tls("fw01-as-mp"), LabPlan.MP_FQDN, plan.mp(), true, null, null)),
                List.of(plan.rootCertFile().toString()), deviceAdmin(), plan.logDir().toString());
    }

    public WebProxyConfig webProxyConfig() {
        return new WebProxyConfig(PROXY_NAME, proxyListen(), proxyAllowedPorts(), proxyAdmin(), plan.logDir().toString());
    }

    /** The connection point's config, with the web proxy for its HTTPS channels when {@code --proxy}. */
    public ConnectionPointConfig connectionPointConfig() {
        ConnectionPointConfig c = plan.connectionPointConfig();
        if (!proxy) {
            return c;
        }
        return new ConnectionPointConfig(c.name(), c.siteCode(), c.sourceAddress(), c.targets(), c.clientTls(),
                c.trustRoots(), c.routes(), c.hosts(), c.admin(), c.channel(), c.logDir(), c.dnsServer(),
                c.siteControl(), c.sitePollMillis(),
                new ConnectionPointConfig.WebProxy(proxyAddress(), proxyListen().port(), null, null));
    }

    /**
     * {@link LabPlan#materialize()}, then the device's certificates (from the lab CA: for the CMG's and the MP's
     * names, and its own client certificate) and configs, and the connection point's config with the proxy.
     */
    public LabCa materialize() {
        LabCa ca = plan.materialize();
        try {
            LabPlan.ensureCert(ca, tls("fw01-as-cmg"),
                    CertSpec.server(LabPlan.SERVICE_NAME, List.of(LabPlan.SERVICE_NAME), List.of()));
            LabPlan.ensureCert(ca, tls("fw01-as-mp"), CertSpec.server(LabPlan.MP_FQDN, List.of(LabPlan.MP_FQDN), List.of()));
            LabPlan.ensureCert(ca, tls("fw01-client"), CertSpec.client(DEVICE_NAME + ".corp.contoso.com"));
            Json.writeFile(plan.configFile(NETWORK_DEVICE), networkDeviceConfig());
            if (proxy) {
                Json.writeFile(plan.configFile(WEB_PROXY), webProxyConfig());
            }
            Json.writeFile(plan.configFile(LabPlan.CONNECTION_POINT), connectionPointConfig());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the network device / web proxy in " + plan.stateDir() + ": "
                    + e.getMessage(), e);
        }
        return ca;
    }
}
