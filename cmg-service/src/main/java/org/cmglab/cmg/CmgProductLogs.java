package org.cmglab.cmg;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.cmglab.proto.config.CmgServiceConfig;
import org.cmglab.proto.flow.FlowEvent;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.log.ProductLogs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CMTrace logs of one CMG VM instance under the product's synced names (cmg-facts §4.5), so several instances
 * share the one lab log folder without colliding: {@code CMG-<service>-<role instance>-<log>}, e.g.
 * {@code CMG-GraniteFalls-ProxyService_IN_0-CMGService.log} (the main log, {@link CmgServiceMain}),
 * {@code …-CMGSetup.log} (instance start), {@code …-CMGHttpHandler.log} (one line per request the front door
 * handled, written from the instance's own flow events) and {@code …-CMGContentService.log} (content requests).
 *
 * <pre>{@code
 * ComponentRuntime rt = new ComponentRuntime(name, logDir, CmgProductLogs.fileName(c, "CMGService"), "CMGService", 0);
 * CmgProductLogs logs = CmgProductLogs.attach(c, rt.logDir(), rt.events());
 * rt.onClose(logs);
 * }</pre>
 */
public final class CmgProductLogs implements AutoCloseable {
    static final String SETUP = "CMGSetup";
    static final String HTTP_HANDLER = "CMGHttpHandler";
    static final String CONTENT = "CMGContentService";
    private static final Logger setup = LoggerFactory.getLogger(SETUP);
    private static final Logger http = LoggerFactory.getLogger(HTTP_HANDLER);

    private final List<AutoCloseable> handles;
    private final FlowEventLog events;
    private final java.util.function.Consumer<FlowEvent> listener = CmgProductLogs::httpLine;

    private CmgProductLogs(List<AutoCloseable> handles, FlowEventLog events) {
        this.handles = handles;
        this.events = events;
    }

    /** {@code CMG-<first label of the service name>-<role instance>-<log>.log}. */
    public static String fileName(CmgServiceConfig c, String log) {
        String service = c.serviceName().split("\\.", 2)[0];
        return "CMG-" + service + "-" + c.instanceName() + "-" + log + ".log";
    }

    /** Attaches CMGSetup, CMGHttpHandler and CMGContentService of instance {@code c} and starts the request lines. */
    public static CmgProductLogs attach(CmgServiceConfig c, Path logDir, FlowEventLog events) {
        List<AutoCloseable> handles = new ArrayList<>();
        for (String log : List.of(SETUP, HTTP_HANDLER, CONTENT)) {
            handles.add(ProductLogs.attach(logDir, log, fileName(c, log)));
        }
        CmgProductLogs logs = new CmgProductLogs(handles, events);
        events.addListener(logs.listener);
        return logs;
    }

    /** CMGSetup.log: the instance starts (the second phase of the deployment, local in Azure). */
    public static void setupStarting(CmgServiceConfig c) {
        setup.info("Starting CMG setup for role instance {} of deployment {} (service {}, site {})", c.instanceName(),
                c.deploymentName(), c.serviceName(), c.siteCode());
    }

    /** CMGSetup.log: the instance serves (front door, channel listeners). */
    public static void setupReady(CmgServiceConfig c) {
        setup.info("HTTPS front door on {}; channel listener {}{}", c.frontDoor(),
                c.channelHttps() == null ? c.frontDoor() : c.channelHttps(),
                c.channelTcpTls() == null ? "" : ", TCP-TLS " + c.channelTcpTls());
        setup.info("Role instance {} is ReadyRole", c.instanceName());
    }

    /** CMGSetup.log: the instance could not start. */
    public static void setupFailed(CmgServiceConfig c, Exception e) {
        setup.error("CMG setup failed for role instance {}: {}", c.instanceName(), e.toString());
    }

    /**
     * CMGHttpHandler.log from the instance's flow events: each request the front door received (F3, C4), with its
     * outcome, and each answer that came back over the channel (F4 response) with its status and elapsed time.
     */
    static void httpLine(FlowEvent e) {
        String step = e.step();
        if (("F3".equals(step) || "C4".equals(step)) && "request".equals(e.phase())) {
            String line = String.format(Locale.ROOT, "Request %s (trace %s) from %s, auth: %s, port %d: %s%s",
                    e.detail(), e.traceId(), e.from(), e.auth(), e.port(), e.outcome(),
                    e.status() != 0 ? " " + e.status() : "");
            if (e.ok()) {
                http.info(line);
            } else {
                http.warn(line);
            }
        } else if ("F4".equals(step) && "response".equals(e.phase())) {
            http.info(String.format(Locale.ROOT, "Response %s (trace %s) from the connection point over %s, "
                    + "ElapsedTime: %.1f ms", e.detail(), e.traceId(), e.protocol(), e.latencyMs()));
        } else if ("F4".equals(step) && "request".equals(e.phase()) && !e.ok()) {
            http.warn("Request (trace {}) not forwarded: {} {}", e.traceId(), e.status(), e.detail());
        }
    }

    @Override
    public void close() throws Exception {
        events.removeListener(listener);
        for (AutoCloseable h : handles) {
            h.close();
        }
    }
}
