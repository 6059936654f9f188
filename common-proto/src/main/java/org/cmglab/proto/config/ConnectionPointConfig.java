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
 * @param siteControl   where the connection point learns the CMG's instances from the site (the service connection
 *                      point's admin endpoint, {@code GET /status}); null = only the static {@code targets}
 * @param sitePollMillis how often the site configuration is read (0 or less = 10 s)
 * @param proxy         web proxy for the HTTPS channels (site-system proxy settings); null = direct. TCP-TLS
 *                      channels never use it.
 */
public record ConnectionPointConfig(String name, String siteCode, String sourceAddress, List<ChannelTarget> targets,
                                    TlsFiles clientTls, List<String> trustRoots, List<RoleRoute> routes,
                                    Map<String, String> hosts, Endpoint admin, ChannelTimings channel, String logDir,
                                    Endpoint dnsServer, Endpoint siteControl, long sitePollMillis,
                                    WebProxy proxy) {
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
        if (sitePollMillis <= 0) {
            sitePollMillis = DEFAULT_SITE_POLL_MILLIS;
        }
    }

    /** Default interval between two reads of the site configuration. */
    public static final long DEFAULT_SITE_POLL_MILLIS = 10_000;

    /** The same configuration with the static targets only (no site configuration source). */
    public ConnectionPointConfig(String name, String siteCode, String sourceAddress, List<ChannelTarget> targets,
                                 TlsFiles clientTls, List<String> trustRoots, List<RoleRoute> routes,
                                 Map<String, String> hosts, Endpoint admin, ChannelTimings channel, String logDir,
                                 Endpoint dnsServer) {
        this(name, siteCode, sourceAddress, targets, clientTls, trustRoots, routes, hosts, admin, channel, logDir,
                dnsServer, null, 0, null);
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

        /** A target without an HTTPS fallback port. */
        public ChannelTarget(int instanceIndex, String host, int port, String transport) {
            this(instanceIndex, host, port, transport, null);
        }

        /** An HTTPS target (scale sets, and any target without TCP-TLS). */
        public static ChannelTarget https(int instanceIndex, String host, int port) {
            return new ChannelTarget(instanceIndex, host, port, HTTPS, null);
        }

        public boolean tcpTls() {
            return TCP_TLS.equals(transport);
        }
    }

    /**
     * The site-system web proxy the HTTPS channels go through (HTTP CONNECT), like the product's "proxy server" and
     * optional "site system proxy server account".
     *
     * @param address  the proxy's loopback address
     * @param port     its port (0 = 80, the product's default)
     * @param username proxy account (Basic authentication), or null for none
     * @param password its password; never logged nor shown (see {@link #toString()} and {@link #describe()})
     */
    public record WebProxy(String address, int port, String username, String password) {
        public WebProxy {
            Loopback.require(address, "proxy.address");
            if (port == 0) {
                port = 80;
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("proxy.port: " + port + " (expected 1-65535)");
            }
            if (username != null && username.isBlank()) {
                username = null;
            }
            if ((username == null) != (password == null)) {
                throw new IllegalArgumentException("proxy: username and password go together");
            }
        }

        public boolean authenticated() {
            return username != null;
        }

        /** What status pages and logs show: {@code 127.0.0.1:3128 (authenticated as proxyuser)}, never the password. */
        public String describe() {
            return address + ":" + port + (authenticated() ? " (authenticated as " + username + ")" : "");
        }

        @Override
        public String toString() {
            return "WebProxy[" + describe() + "]";
        }
    }
}
