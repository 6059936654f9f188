package org.cmglab.netdev;

import java.nio.file.Path;
import org.cmglab.proto.config.NetworkDeviceConfig;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.Json;

/** {@code java -jar network-device.jar --config <network-device.json>}: the lab's inspecting firewall. */
public final class NetworkDeviceMain {
    private NetworkDeviceMain() {}

    public static void main(String[] args) throws Exception {
        Path file = ComponentRuntime.configArg(args, "java -jar network-device.jar");
        NetworkDeviceConfig config = Json.readFile(file, NetworkDeviceConfig.class);
        ComponentRuntime runtime = new ComponentRuntime("network-device", Path.of(config.logDir() == null ? "logs"
                : config.logDir()), "NetworkDevice.log", "NetworkDevice", 2);
        try {
            NetworkDevice.launch(config, runtime);
        } catch (Exception e) {
            System.err.println("network-device: cannot start " + config.name() + ": " + e);
            runtime.close();
            System.exit(1);
        }
        runtime.awaitShutdown();
    }
}
