package org.cmglab.cmg;

import java.nio.file.Path;
import org.cmglab.proto.config.CmgServiceConfig;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.Json;

/** {@code java -jar cmg-service.jar --config cmg-service-0.json}: one CMG VM instance. */
public final class CmgServiceMain {
    private CmgServiceMain() {}

    public static void main(String[] args) throws Exception {
        Path file = ComponentRuntime.configArg(args, "cmg-service");
        CmgServiceConfig c = Json.readFile(file, CmgServiceConfig.class);
        // the product's synced log names (CMG-<service>-<role instance>-CMGService.log): instances share the log folder
        ComponentRuntime rt = new ComponentRuntime("cmg-service-" + c.instanceIndex(), Path.of(c.logDir()),
                CmgProductLogs.fileName(c, "CMGService"), "CMGService", 0);
        try {
            rt.onClose(CmgProductLogs.attach(c, rt.logDir(), rt.events()));
            CmgProductLogs.setupStarting(c);
            CmgService s = rt.onClose(CmgService.start(c, rt));
            rt.startAdmin(c.admin(), () -> true, s::status);
            CmgProductLogs.setupReady(c);
            rt.ready("https://" + c.serviceName() + " on " + c.frontDoor());
        } catch (Exception e) {
            CmgProductLogs.setupFailed(c, e);
            org.slf4j.LoggerFactory.getLogger(CmgServiceMain.class).error("cmg-service failed to start: {}", e.toString(), e);
            rt.close();
            System.exit(1);
        }
        rt.awaitShutdown();
    }
}
