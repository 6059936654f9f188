package org.cmglab.proto.config;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A simulated ConfigMgr client ({@code client-sim}).
 *
 * @param name           client FQDN, e.g. client01.corp.contoso.com
 * @param sourceAddress  loopback address it connects from
 * @param cmgServiceName CMG service name it talks to
 * @param cmgPort        443 (or the offset port)
 * @param mpRoleId       role id in its internet MP list ({@code <CMG>/CCM_Proxy_MutualAuth/<roleId>})
 * @param clientTls      its PKI client-auth certificate
 * @param trustRoots     roots it trusts for the CMG's server certificate
 * @param hosts          static name → address map until the lab DNS serves these names
 * @param logDir         lab log folder
 * @param dnsServer      the DNS server names are resolved with (the lab DNS); null = only {@code hosts}
 * @param tokens         token acquisition ({@code --auth entra|token}); null = PKI only
 * @param mpUrl          the intranet MP, {@code http(s)://<fqdn>:<port>} ({@code --direct}); null = none
 * @param siteCode       the client's assigned site
 * @param stateDir       where the client keeps its "ConfigMgr Client" certificate and SMSID (null: {@code .cmglab/client-sim})
 */
public record ClientSimConfig(String name, String sourceAddress, String cmgServiceName, int cmgPort, String mpRoleId,
                              TlsFiles clientTls, List<String> trustRoots, Map<String, String> hosts, String logDir,
                              Endpoint dnsServer, ClientTokenConfig tokens, String mpUrl, String siteCode,
                              String stateDir) {

    /** Without the messaging fields. */
    public ClientSimConfig(String name, String sourceAddress, String cmgServiceName, int cmgPort, String mpRoleId,
                           TlsFiles clientTls, List<String> trustRoots, Map<String, String> hosts, String logDir,
                           Endpoint dnsServer, ClientTokenConfig tokens) {
        this(name, sourceAddress, cmgServiceName, cmgPort, mpRoleId, clientTls, trustRoots, hosts, logDir, dnsServer, tokens, null, null, null);
    }

    /** Without token acquisition (PKI only). */
    public ClientSimConfig(String name, String sourceAddress, String cmgServiceName, int cmgPort, String mpRoleId,
                           TlsFiles clientTls, List<String> trustRoots, Map<String, String> hosts, String logDir,
                           Endpoint dnsServer, String mpUrl, String siteCode, String stateDir) {
        this(name, sourceAddress, cmgServiceName, cmgPort, mpRoleId, clientTls, trustRoots, hosts, logDir, dnsServer, null, mpUrl, siteCode, stateDir);
    }

    public ClientSimConfig {
        Objects.requireNonNull(name, "name");
        Loopback.require(sourceAddress, "sourceAddress");
        Objects.requireNonNull(cmgServiceName, "cmgServiceName");
        trustRoots = List.copyOf(trustRoots);
        hosts = Map.copyOf(hosts);
    }

    /** mplist only: without token acquisition and the messaging fields. */
    public ClientSimConfig(String name, String sourceAddress, String cmgServiceName, int cmgPort, String mpRoleId,
                           TlsFiles clientTls, List<String> trustRoots, Map<String, String> hosts, String logDir,
                           Endpoint dnsServer) {
        this(name, sourceAddress, cmgServiceName, cmgPort, mpRoleId, clientTls, trustRoots, hosts, logDir, dnsServer,
                null, null, null, null);
    }
}
