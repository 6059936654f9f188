package org.cmglab.azure.lb;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.runtime.EventLoops;
import org.cmglab.proto.runtime.Json;

/**
 * The load balancer's health probe: every {@code interval}, a TCP connect to each backend's front door, then (when the
 * backend has an admin endpoint) {@code GET /ready}; both must succeed. {@link Backend#record} applies the
 * 2-failures / 1-success rule. A healthy backend's {@code GET /status} then tells whether it has a ready connection
 * point channel ({@link Backend#recordChannel}), which the pool prefers. Never blocks an event loop (Netty connect,
 * asynchronous HTTP client).
 */
public final class HealthProbe implements AutoCloseable {
    private final EventLoopGroup group;
    private final BackendPool pool;
    private final Duration timeout;
    private final HttpClient http;
    private final Set<Integer> inFlight = ConcurrentHashMap.newKeySet();
    private final ScheduledFuture<?> task;
    private volatile boolean closed;

    public HealthProbe(EventLoopGroup group, BackendPool pool, Duration interval, Duration timeout) {
        this.group = group;
        this.pool = pool;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).connectTimeout(timeout).build();
        this.task = group.next().scheduleAtFixedRate(this::probeAll, interval.toMillis(), interval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Probes every backend once now (also called on the schedule). */
    public void probeAll() {
        if (closed) {
            return;
        }
        for (Backend b : pool.backends()) {
            if (inFlight.add(b.index())) {
                probe(b);
            }
        }
    }

    private void probe(Backend b) {
        new Bootstrap().group(group).channel(EventLoops.socketChannelClass())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeout.toMillis())
                .handler(new ChannelInboundHandlerAdapter())
                .connect(b.frontDoor().socketAddress())
                .addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        done(b, false, "TCP connect to " + b.frontDoor() + ": " + f.cause());
                        return;
                    }
                    f.channel().close();
                    if (b.admin() == null) {
                        done(b, true, "TCP connect to " + b.frontDoor());
                        return;
                    }
                    URI uri = URI.create("http://" + b.admin().address() + ":" + b.admin().port() + "/ready");
                    http.sendAsync(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .whenComplete((r, e) -> {
                                if (e != null) {
                                    done(b, false, "GET " + uri + ": " + e);
                                } else if (r.statusCode() != 200) {
                                    done(b, false, "GET " + uri + " answered " + r.statusCode());
                                } else {
                                    probeChannels(b, "GET " + uri + " answered 200");
                                }
                            });
                });
    }

    /**
     * The instance is healthy; reads its {@code /status} for a ready connection point channel ({@code "channels"}
     * entries with {@code "ready": true}), which decides whether the pool prefers it. A status that cannot be read
     * counts as "no channel", never as unhealthy.
     */
    private void probeChannels(Backend b, String healthDetail) {
        URI uri = URI.create("http://" + b.admin().address() + ":" + b.admin().port() + "/status");
        http.sendAsync(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
                        HttpResponse.BodyHandlers.ofString())
                .whenComplete((r, e) -> {
                    String detail;
                    boolean channel = false;
                    if (e != null) {
                        detail = "GET " + uri + ": " + e;
                    } else if (r.statusCode() != 200) {
                        detail = "GET " + uri + " answered " + r.statusCode();
                    } else {
                        int ready = readyChannels(r.body());
                        channel = ready > 0;
                        detail = ready < 0 ? "GET " + uri + ": no channel list" : ready + " ready channel(s)";
                    }
                    inFlight.remove(b.index());
                    if (!closed && pool.backend(b.index()) == b) {
                        b.record(true, healthDetail);
                        b.recordChannel(channel, detail);
                    }
                });
    }

    /** Ready channels in a CMG instance's {@code /status} JSON; -1 when it has no channel list. */
    static int readyChannels(String statusJson) {
        try {
            JsonNode channels = Json.MAPPER.readTree(statusJson).path("channels");
            if (!channels.isArray()) {
                return -1;
            }
            int n = 0;
            for (JsonNode c : channels) {
                if (c.path("ready").asBoolean(false)) {
                    n++;
                }
            }
            return n;
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    private void done(Backend b, boolean ok, String detail) {
        inFlight.remove(b.index());
        if (!closed && pool.backend(b.index()) == b) {
            b.record(ok, detail);
            if (!ok) {
                b.recordChannel(false, "unhealthy: " + detail);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        task.cancel(false);
    }
}
