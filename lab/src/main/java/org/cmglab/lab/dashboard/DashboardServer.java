package org.cmglab.lab.dashboard;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.cmglab.lab.LabPlan;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.runtime.EventLoops;
import org.cmglab.proto.runtime.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live data-flow page: an HTTP/1.1 server on a loopback endpoint (by default {@link LabPlan#dashboard()},
 * 127.N.0.1:8080) serving the article's two diagrams (basic flow F1–F5, content flow C1–C6) as SVG whose arrows
 * light up as the lab's flow events arrive, and panels for instances, channels, recent requests and the port table.
 *
 * <p>Flow events come from the lab's log folder: one background thread follows every {@code flow-*.jsonl}
 * ({@link FlowFileTailer}) and fans the events out to the browsers over server-sent events ({@code GET /events});
 * each browser gets the last {@value #REPLAY} events first. {@code GET /api/status} answers the whole-lab status
 * JSON from the supplier (the supervisor's, or {@link LabStatusProbe}'s), called off the event loop.
 *
 * <pre>{@code
 * try (DashboardServer d = new DashboardServer(plan, plan.dashboard(), () -> statusJson)) {
 *     d.start();
 *     System.out.println("open " + d.url());
 * }
 * }</pre>
 */
public final class DashboardServer implements AutoCloseable {
    /** Events a new browser gets before the live ones. */
    public static final int REPLAY = 200;
    static final int KEPT_EVENTS = 2000;
    static final int MAX_STREAMS = 64;
    private static final Logger log = LoggerFactory.getLogger(DashboardServer.class);

    private final LabPlan plan;
    private final Endpoint listen;
    private final Supplier<String> labStatusJson;
    private final Path flowDir;
    private final Duration poll;
    private final long heartbeatSeconds;
    private final int writeHighWaterMark;
    private FlowEventHub hub;
    private FlowFileTailer tailer;
    private StatusSource status;
    private EventLoopGroup group;
    private Channel server;

    /**
     * A dashboard for {@code plan} (flow events from {@code plan.logDir()}, the port table of this plan) on
     * {@code listen}, its status panels from {@code labStatusJson} (a JSON object; every field optional).
     */
    public DashboardServer(LabPlan plan, Endpoint listen, Supplier<String> labStatusJson) {
        this(plan, listen, labStatusJson, plan.logDir(), Duration.ofMillis(100), 15, 256 * 1024);
    }

    DashboardServer(LabPlan plan, Endpoint listen, Supplier<String> labStatusJson, Path flowDir, Duration poll,
                    long heartbeatSeconds, int writeHighWaterMark) {
        this.plan = Objects.requireNonNull(plan, "plan");
        this.listen = Objects.requireNonNull(listen, "listen");
        this.labStatusJson = Objects.requireNonNull(labStatusJson, "labStatusJson");
        this.flowDir = Objects.requireNonNull(flowDir, "flowDir");
        this.poll = poll;
        this.heartbeatSeconds = heartbeatSeconds;
        this.writeHighWaterMark = writeHighWaterMark;
    }

    /** Binds the endpoint and starts following the flow files; throws when the address cannot be bound. */
    public synchronized void start() {
        if (server != null) {
            throw new IllegalStateException("already started");
        }
        hub = new FlowEventHub(KEPT_EVENTS, MAX_STREAMS);
        status = new StatusSource(labStatusJson, 500, 5_000);
        DashboardHandler handler = new DashboardHandler(hub, status, resources(),
                Json.writeCompact(PortTable.rows(plan)), REPLAY, heartbeatSeconds);
        group = EventLoops.newGroup(1, "dashboard");
        try {
            server = new ServerBootstrap()
                    .group(group)
                    .channel(EventLoops.serverChannelClass())
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                            new WriteBufferWaterMark(writeHighWaterMark / 2, writeHighWaterMark))
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel c) {
                            c.pipeline().addLast("idle", new IdleStateHandler(60, 0, 0, TimeUnit.SECONDS))
                                    .addLast("http", new HttpServerCodec(4096, 8192, 8192))
                                    .addLast("aggregate", new HttpObjectAggregator(16 * 1024))
                                    .addLast("dashboard", handler);
                        }
                    })
                    .bind(listen.socketAddress()).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            close();
            throw new IllegalStateException("cannot serve the data-flow page on " + listen + ": " + e.getMessage(), e);
        }
        tailer = new FlowFileTailer(flowDir, hub::publish, poll);
        tailer.start();
        log.info("live data-flow page on {} (flow events from {})", url(), flowDir);
    }

    /** {@code http://<address>:<port>/} of the bound server (the actual port when {@code listen} had port 0). */
    public synchronized String url() {
        if (server == null) {
            return "http://" + listen + "/";
        }
        InetSocketAddress a = (InetSocketAddress) server.localAddress();
        return "http://" + a.getAddress().getHostAddress() + ":" + a.getPort() + "/";
    }

    @Override
    public synchronized void close() {
        if (tailer != null) {
            tailer.close();
            tailer = null;
        }
        // bounded waits: close() also runs from shutdown hooks (Ctrl-C), where a wait without end would keep the
        // JVM from exiting
        if (server != null) {
            if (!server.close().awaitUninterruptibly(5, TimeUnit.SECONDS)) {
                log.warn("the data-flow page's listener did not close within 5 s");
            }
            server = null;
        }
        if (group != null) {
            if (!group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS)) {
                log.warn("the data-flow page's event loop did not stop within 5 s");
            }
            group = null;
        }
        if (status != null) {
            status.close();
            status = null;
        }
    }

    private static Map<String, DashboardHandler.StaticResource> resources() {
        return Map.of(
                "/index.html", resource("index.html", "text/html; charset=utf-8"),
                "/dashboard.js", resource("dashboard.js", "text/javascript; charset=utf-8"),
                "/dashboard.css", resource("dashboard.css", "text/css; charset=utf-8"));
    }

    private static DashboardHandler.StaticResource resource(String name, String type) {
        try (InputStream in = DashboardServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing page resource " + name);
            }
            return new DashboardHandler.StaticResource(type, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
