package org.cmglab.proto.config;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The CMG connection point ({@code cmg-connection-point} process).
 *
 * @param name          connection point FQDN, e.g. cmgcp01.corp.contoso.com
 * @param siteCode      its site
 * @param sourceAddress loopback address it dials from (its "host")
 * @param targets       one channel per CMG VM instance
 * @param clientTls     its client-auth certificate (presented to the CMG and to HTTPS MPs)
 * @param trustRoots    roots it trusts for the CMG's and the MP's server certificates (PEM files)
 * @param routes        external role id → internal URL of the MP/SUP
 * @param hosts         static name → address map until the lab DNS serves these names
 * @param admin         admin endpoint
 * @param channel       channel keep-alive timings
 * @param logDir        lab log folder
 * @param dnsServer     the DNS server names are resolved with (the lab DNS); null = only {@code hosts}
 */
public record ConnectionPointConfig(String name, String siteCode, String sourceAddress, List<ChannelTarget> targets,
                                    TlsFiles clientTls, List<String> trustRoots, List<RoleRoute> routes,
                                    Map<String, String> hosts, Endpoint admin, ChannelTimings channel, String logDir,
                                    Endpoint dnsServer) {
    public ConnectionPointConfig {
        Objects.requireNonNull(name, "name");
        Loopback.require(sourceAddress, "sourceAddress");
        targets = List.copyOf(targets);
        trustRoots = List.copyOf(trustRoots);
        routes = List.copyOf(routes);
        hosts = Map.copyOf(hosts);
        if (channel == null) {
            channel = ChannelTimings.defaults();
        }
    }

    /**
     * One CMG VM instance to keep a channel to.
     *
     * @param instanceIndex VM instance index
     * @param host          name dialled and verified in the certificate (the CMG service name)
     * @param port              443 for one instance, 10124+i for several (HTTPS); 10140+i for TCP-TLS
     * @param transport         {@code HTTPS} or {@code TCP-TLS} (classic deployments)
     * @param httpsFallbackPort for a TCP-TLS target: the HTTPS port used while TCP-TLS cannot connect (443 for one
     *                          instance, 10124+i for several); null = no fallback
     */
    public record ChannelTarget(int instanceIndex, String host, int port, String transport, Integer httpsFallbackPort) {
        public static final String HTTPS = "HTTPS";
        public static final String TCP_TLS = "TCP-TLS";

        public ChannelTarget {
            Objects.requireNonNull(host, "host");
            if (transport == null) {
                transport = HTTPS;
            }
            if (!HTTPS.equals(transport) && !TCP_TLS.equals(transport)) {
                throw new IllegalArgumentException("transport: " + transport + " (expected: HTTPS or TCP-TLS)");
            }
        }

        /** An HTTPS target (scale sets, and any target without TCP-TLS). */
        public static ChannelTarget https(int instanceIndex, String host, int port) {
            return new ChannelTarget(instanceIndex, host, port, HTTPS, null);
        }

        public boolean tcpTls() {
            return TCP_TLS.equals(transport);
        }
    }
}
