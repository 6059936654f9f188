package org.cmglab.scp;

import com.fasterxml.jackson.core.type.TypeReference;
import io.netty.resolver.AddressResolverGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.cmglab.proto.config.ScpConfig;
import org.cmglab.proto.runtime.HostMap;
import org.cmglab.proto.runtime.Json;
import org.cmglab.proto.runtime.LabHttpClient;

/**
 * How the SCP resolves Azure host names. The target is the lab DNS ({@code config.dnsServer()}); until that resolver
 * is wired in, the names come from a host map file {@value #HOSTS_FILE} in the state folder
 * ({@code {"login.microsoftonline.com":"127.0.10.1", ...}}). The choice is made here and nowhere else.
 */
public final class ResolverFactory {
    public static final String HOSTS_FILE = "scp-hosts.json";

    private ResolverFactory() {}

    public static AddressResolverGroup<InetSocketAddress> create(ScpConfig config) {
        Path file = Path.of(config.stateDir()).resolve(HOSTS_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("no name resolution for the SCP: " + file + " does not exist (expected: "
                    + "a JSON map of host name to loopback address, until the lab DNS at " + config.dnsServer()
                    + " is used)");
        }
        try {
            Map<String, String> hosts = Json.MAPPER.readValue(Files.readAllBytes(file), new TypeReference<>() {});
            return LabHttpClient.staticResolver(new HostMap(hosts));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
