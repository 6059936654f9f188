package org.cmglab.cp;

import java.nio.file.Path;
import org.cmglab.proto.config.ConnectionPointConfig;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.Json;

/** {@code java -jar cmg-connection-point.jar --config cmg-connection-point.json}. */
public final class ConnectionPointMain {
    private ConnectionPointMain() {}

    public static void main(String[] args) throws Exception {
        Path file = ComponentRuntime.configArg(args, "cmg-connection-point");
        ConnectionPointConfig c = Json.readFile(file, ConnectionPointConfig.class);
        ComponentRuntime rt = new ComponentRuntime("cmg-connection-point", Path.of(c.logDir()),
                "SMS_Cloud_ProxyConnector.log", "SMS_CLOUD_PROXYCONNECTOR", 0);
        try {
            ConnectionPoint cp = rt.onClose(ConnectionPoint.start(c, rt));
            rt.startAdmin(c.admin(), cp::anyConnected, cp::status);
            rt.ready("connection point " + c.name() + " dialling " + c.targets().size() + " CMG instance(s)");
        } catch (Exception e) {
            org.slf4j.LoggerFactory.getLogger(ConnectionPointMain.class).error("cmg-connection-point failed to start: {}",
                    e.toString(), e);
            rt.close();
            System.exit(1);
        }
        rt.awaitShutdown();
    }
}
