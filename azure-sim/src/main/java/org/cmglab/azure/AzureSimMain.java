package org.cmglab.azure;

import java.nio.file.Path;
import org.cmglab.proto.config.AzureSimConfig;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.Json;

/** {@code java -jar azure-sim.jar --config azure-sim.json}: the emulated Azure of the lab. */
public final class AzureSimMain {
    private AzureSimMain() {}

    private static String first(java.util.Map<String, java.util.List<String>> q, String key) {
        var v = q.get(key);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    public static void main(String[] args) throws Exception {
        Path file = ComponentRuntime.configArg(args, "azure-sim");
        AzureSimConfig c = Json.readFile(file, AzureSimConfig.class);
        ComponentRuntime rt = new ComponentRuntime("azure-sim", Path.of(c.logDir()), "AzureSim.log", "AzureSim", 0);
        try {
            AzureSim sim = rt.onClose(AzureSim.start(c, rt));
            rt.startAdmin(c.admin(), () -> true, sim::status, java.util.Map.of("dns",
                    (q, body) -> sim.editCustomerDns(first(q, "name"), first(q, "type"), first(q, "value")),
                    "nsg", (q, body) -> sim.networkSecurityRule(first(q, "port"), first(q, "access"),
                            first(q, "existing")),
                    "restart-instance", (q, body) -> sim.restartInstance(first(q, "index")),
                    "restart-network", (q, body) -> sim.restartNetwork(first(q, "downMs"))));
            rt.ready(c.environment() + " on " + c.front() + ", DNS " + c.dns());
        } catch (Exception e) {
            org.slf4j.LoggerFactory.getLogger(AzureSimMain.class).error("azure-sim failed to start: {}", e.toString(), e);
            rt.close();
            System.exit(1);
        }
        rt.awaitShutdown();
    }
}
