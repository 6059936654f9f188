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
        return new CmgTarget(config.cmgServiceName(), config.cmgPort(),
                new HostMap(config.hosts()).resolve(config.cmgServiceName(), config.cmgPort()),
                config.sourceAddress());
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
