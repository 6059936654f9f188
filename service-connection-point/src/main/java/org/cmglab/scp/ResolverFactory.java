package org.cmglab.scp;

import io.netty.resolver.AddressResolverGroup;
import java.net.InetSocketAddress;
import java.util.Map;
import org.cmglab.proto.config.ScpConfig;
import org.cmglab.proto.runtime.LabResolvers;

/**
 * How the SCP resolves Azure host names: through the lab DNS ({@code config.dnsServer()}), as the real site server
 * resolves {@code login.microsoftonline.com} and {@code management.azure.com} through its DNS. The choice is made here
 * and nowhere else.
 */
public final class ResolverFactory {
    private ResolverFactory() {}

    public static AddressResolverGroup<InetSocketAddress> create(ScpConfig config) {
        if (config.dnsServer() == null) {
            throw new IllegalStateException("no name resolution for the SCP: dnsServer is not set (expected: the lab DNS)");
        }
        return LabResolvers.forConfig(Map.of(), config.dnsServer());
    }
}
