package org.cmglab.proto.runtime;

import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.cmglab.proto.config.Loopback;

/**
 * Name resolution of the lab until its DNS serves the names: a fixed map of host names to loopback addresses.
 * Unknown names are an error, never a lookup in the machine's DNS, so nothing leaves the loopback network.
 */
public final class HostMap {
    private final Map<String, String> hosts = new TreeMap<>();

    public HostMap(Map<String, String> nameToAddress) {
        nameToAddress.forEach((n, a) -> hosts.put(n.toLowerCase(Locale.ROOT), Loopback.require(a, "address of " + n)));
    }

    /** An unresolved-free socket address for {@code host}: a literal loopback address or a mapped name. */
    public InetSocketAddress resolve(String host, int port) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) {
            return new InetSocketAddress(h, port);
        }
        String a = hosts.get(h);
        if (a == null) {
            throw new IllegalArgumentException("unknown host " + host + " (the lab knows: " + hosts.keySet() + ")");
        }
        return new InetSocketAddress(a, port);
    }
}
