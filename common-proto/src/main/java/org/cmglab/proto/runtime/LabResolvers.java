package org.cmglab.proto.runtime;

import io.netty.resolver.AddressResolverGroup;
import java.net.InetSocketAddress;
import java.util.Map;
import org.cmglab.proto.config.Endpoint;

/**
 * How a component resolves host names: through the lab DNS when its config names one (the real path: CNAME service
 * name → deployment name → VIP), else through a fixed {@link HostMap}. Never the machine's DNS.
 */
public final class LabResolvers {
    private LabResolvers() {}

    public static AddressResolverGroup<InetSocketAddress> forConfig(Map<String, String> hosts, Endpoint dnsServerOrNull) {
        return dnsServerOrNull == null ? LabHttpClient.staticResolver(new HostMap(hosts))
                : LabDns.resolverGroup(dnsServerOrNull.socketAddress());
    }

    /** "lab DNS 127.77.10.53:53" or "static hosts", for logs. */
    public static String describe(Endpoint dnsServerOrNull) {
        return dnsServerOrNull == null ? "static hosts" : "lab DNS " + dnsServerOrNull;
    }
}
