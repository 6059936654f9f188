package org.cmglab.client;

import java.net.InetSocketAddress;
import java.util.Objects;
import org.cmglab.proto.config.ClientSimConfig;
import org.cmglab.proto.config.Loopback;
import org.cmglab.proto.runtime.HostMap;

/**
 * Where a client's CMG requests go.
 *
 * @param serviceName   CMG service name: SNI, host name verification and {@code Host} header
 * @param port          CMG port (443 or the lab's offset port)
 * @param remote        the service name resolved through the lab's {@link HostMap}, never the machine's DNS
 * @param sourceAddress loopback address the client connects from
 */
record CmgTarget(String serviceName, int port, InetSocketAddress remote, String sourceAddress) {
    CmgTarget {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(remote, "remote");
        Loopback.require(sourceAddress, "sourceAddress");
        if (remote.isUnresolved()) {
            throw new IllegalArgumentException("remote: " + remote + " (expected: a resolved loopback address)");
        }
    }

    static CmgTarget of(ClientSimConfig config) {
        InetSocketAddress remote;
        if (config.dnsServer() == null) {
            remote = new HostMap(config.hosts()).resolve(config.cmgServiceName(), config.cmgPort());
        } else {
            // the real path: the service name is a CNAME to the deployment name, which Azure DNS maps to the VIP
            io.netty.channel.EventLoopGroup g = org.cmglab.proto.runtime.EventLoops.newGroup(1, "client-dns");
            try {
                remote = new InetSocketAddress(org.cmglab.proto.runtime.LabDns.resolve(g,
                        config.dnsServer().socketAddress(), config.cmgServiceName(), java.time.Duration.ofSeconds(5)),
                        config.cmgPort());
            } catch (Exception e) {
                throw new IllegalStateException("cannot resolve " + config.cmgServiceName() + " through the lab DNS "
                        + config.dnsServer() + ": " + e.getMessage(), e);
            } finally {
                g.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
        return new CmgTarget(config.cmgServiceName(), config.cmgPort(), remote, config.sourceAddress());
    }

    /** {@code https://GraniteFalls.contoso.com} (with {@code :port} when it is not 443). */
    String origin() {
        return "https://" + serviceName + (port == 443 ? "" : ":" + port);
    }

    /** The {@code Host} header: the service name, with the port when it is not 443 (RFC 9110 §7.2). */
    String hostHeader() {
        return port == 443 ? serviceName : serviceName + ":" + port;
    }
}
