package org.cmglab.webproxy;

import java.nio.file.Path;
import org.cmglab.proto.config.WebProxyConfig;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.Json;

/** {@code java -jar web-proxy.jar --config <web-proxy.json>}: the lab's corporate HTTP CONNECT proxy. */
public final class WebProxyMain {
    private WebProxyMain() {}

    public static void main(String[] args) throws Exception {
        Path file = ComponentRuntime.configArg(args, "java -jar web-proxy.jar");
        WebProxyConfig config = Json.readFile(file, WebProxyConfig.class);
        ComponentRuntime runtime = new ComponentRuntime(WebProxy.COMPONENT, Path.of(config.logDir()), "WebProxy.log",
                "WebProxy", 2);
        try {
            WebProxy.launch(config, runtime);
        } catch (Exception e) {
            System.err.println("web-proxy: cannot start " + config.name() + ": " + e);
            runtime.close();
            System.exit(1);
        }
        runtime.awaitShutdown();
    }
}
