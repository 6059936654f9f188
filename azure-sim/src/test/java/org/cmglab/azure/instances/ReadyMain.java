package org.cmglab.azure.instances;

import com.sun.net.httpserver.HttpServer;
import java.nio.file.Path;
import org.cmglab.proto.config.CmgServiceConfig;
import org.cmglab.proto.runtime.Json;

/** A stand-in cmg-service run as a real child process: admin {@code /ready} answers 200, {@code /crash} exits 3. */
public final class ReadyMain {
    private ReadyMain() {}

    public static void main(String[] args) throws Exception {
        CmgServiceConfig c = Json.readFile(Path.of(args[1]), CmgServiceConfig.class);
        HttpServer admin = HttpServer.create(c.admin().socketAddress(), 0);
        admin.createContext("/ready", ex -> {
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        admin.createContext("/crash", ex -> {
            ex.sendResponseHeaders(200, -1);
            ex.close();
            Runtime.getRuntime().halt(3);
        });
        admin.start();
        System.out.println("ReadyMain " + c.instanceName() + " serving " + c.admin());
    }
}
