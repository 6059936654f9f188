package org.cmglab.azure.instances;

import java.io.IOException;
import java.nio.file.Path;
import org.cmglab.proto.config.CmgServiceConfig;

/**
 * Starts one CMG VM instance. The default, {@link ProcessInstanceLauncher}, runs {@code java -jar <cmgServiceJar>
 * --config <file>} as a child process; tests plug in launchers that run in the JVM or run a small test main.
 * Called on the fabric's orchestration thread (may block briefly), never on an event loop.
 */
@FunctionalInterface
public interface InstanceLauncher {
    /**
     * @param config     what the instance must serve (already written to {@code configFile})
     * @param configFile the instance's config file
     * @param outFile    where the instance's stdout/stderr go
     */
    LaunchedInstance launch(CmgServiceConfig config, Path configFile, Path outFile) throws IOException;
}
