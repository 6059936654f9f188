package org.cmglab.site;

import java.nio.file.Path;
import org.cmglab.proto.config.SiteSimConfig;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.Json;

/**
 * {@code java -jar site-sim.jar --config <site-sim.json>}: the emulated site's management point;
 * {@code java -jar site-sim.jar bulk-token --config <site-sim.json> [--lifetime <min>]}: a bulk registration token.
 */
public final class SiteSimMain {
    private SiteSimMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("bulk-token")) {
            System.exit(BulkTokenCommand.execute(java.util.Arrays.copyOfRange(args, 1, args.length), System.out,
                    System.err));
        }
        Path file = ComponentRuntime.configArg(args, "java -jar site-sim.jar");
        SiteSimConfig config = Json.readFile(file, SiteSimConfig.class);
        ComponentRuntime runtime = new ComponentRuntime("site-sim", Path.of(config.logDir() == null ? "logs"
                : config.logDir()), "MP_GetAuth.log", "MP_GetAuth", 2);
        try {
            SiteSim.launch(config, runtime);
        } catch (Exception e) {
            System.err.println("site-sim: cannot start the management point on " + config.mp() + ": " + e);
            runtime.close();
            System.exit(1);
        }
        runtime.awaitShutdown();
    }
}
