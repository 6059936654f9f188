package org.cmglab.cp.site;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.EventLoopGroup;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.cmglab.proto.config.ConnectionPointConfig.ChannelTarget;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.runtime.HostMap;
import org.cmglab.proto.runtime.LabHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learns the CMG's VM instances from the site (cmg-facts §4.3: the connection point builds connections to all VM
 * instances and maintains them; it learns the configuration from the site). In the lab the site's view is the
 * service connection point's admin {@code GET /status}: {@code deployment.deploymentMethod} and
 * {@code deployment.capacity}.
 *
 * <p>Wanted targets for capacity {@code n}:
 * <ul>
 * <li>scale set: HTTPS, port 443 when {@code n = 1}, else 10124+i;</li>
 * <li>classic: the transport of the static targets' first entry; HTTPS ports as above, {@code TCP-TLS} 10140+i.</li>
 * </ul>
 * The host name is the static first entry's, and every port is moved by the offset the static first entry has
 * against the rule for the static target count (the lab's port offset), so the poller never needs to know it.
 * A failed or unreadable poll changes nothing (the channels already open stay).
 */
public final class SiteConfigPoller implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SiteConfigPoller.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String VMSS = "VirtualMachineScaleSet";
    public static final String CLASSIC = "CloudServiceClassic";

    private final Endpoint site;
    private final Duration every;
    private final EventLoopGroup group;
    private final List<ChannelTarget> staticTargets;
    private final Consumer<List<ChannelTarget>> onWanted;
    private final LabHttpClient http;
    private volatile boolean closed;
    private volatile String lastError;
    private volatile Instant lastPoll;
    private volatile List<ChannelTarget> lastWanted;

    public SiteConfigPoller(Endpoint site, Duration every, EventLoopGroup group, List<ChannelTarget> staticTargets,
                            Consumer<List<ChannelTarget>> onWanted) {
        this.site = Objects.requireNonNull(site, "site");
        this.every = every;
        this.group = group;
        this.staticTargets = List.copyOf(staticTargets);
        this.onWanted = onWanted;
        this.http = new LabHttpClient(group, null, LabHttpClient.staticResolver(new HostMap(Map.of())),
                Duration.ofSeconds(5), Duration.ofSeconds(10));
    }

    public void start() {
        if (staticTargets.isEmpty()) {
            log.warn("No static channel target to copy the host name and port scheme from; the site configuration"
                    + " at {} is not followed", site);
            return;
        }
        log.info("Reading the CMG configuration from the site ({}) every {} ms", site, every.toMillis());
        poll();
    }

    private void poll() {
        if (closed) {
            return;
        }
        http.get(URI.create("http://" + site.address() + ":" + site.port() + "/status"), null)
                .whenComplete((r, e) -> {
                    try {
                        if (e != null) {
                            failed(e.getMessage() == null ? e.toString() : e.getMessage());
                        } else if (!r.isSuccess()) {
                            failed("HTTP " + r.status() + " " + r.reason());
                        } else {
                            List<ChannelTarget> wanted = wanted(JSON.readTree(r.body()), staticTargets);
                            lastPoll = Instant.now();
                            if (lastError != null) {
                                log.info("The site configuration at {} is readable again", site);
                            }
                            lastError = null;
                            if (wanted != null) {
                                lastWanted = wanted;
                                onWanted.accept(wanted);
                            }
                        }
                    } catch (Exception ex) {
                        failed(ex.toString());
                    } finally {
                        if (!closed) {
                            group.schedule(this::poll, every.toMillis(), TimeUnit.MILLISECONDS);
                        }
                    }
                });
    }

    private void failed(String why) {
        if (!why.equals(lastError)) {
            log.warn("Failed to read the CMG configuration from the site ({}): {}; keeping the current connections",
                    site, why);
        }
        lastError = why;
    }

    /**
     * The targets the site's status asks for, or null when it names no usable deployment (then nothing changes).
     */
    public static List<ChannelTarget> wanted(JsonNode status, List<ChannelTarget> staticTargets) {
        JsonNode d = status.path("deployment");
        int n = d.path("capacity").asInt(0);
        String method = d.path("deploymentMethod").asText("");
        String state = status.path("state").asText("");
        if (n < 1 || staticTargets.isEmpty() || "Deleted".equals(state) || "Deleting".equals(state)) {
            return null;
        }
        ChannelTarget first = staticTargets.get(0);
        String transport = CLASSIC.equals(method) ? first.transport() : "HTTPS";
        int offset = first.port() - realPort(first.transport(), staticTargets.size(), first.instanceIndex());
        List<ChannelTarget> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            // a TCP-TLS target falls back to HTTPS on 443 (one instance) or 10124+i (several)
            Integer fallback = ChannelTarget.TCP_TLS.equals(transport) ? realPort(ChannelTarget.HTTPS, n, i) + offset : null;
            out.add(new ChannelTarget(i, first.host(), realPort(transport, n, i) + offset, transport, fallback));
        }
        return List.copyOf(out);
    }

    /** The channel port of instance {@code i} out of {@code n} (cmg-facts: 443 / 10124+i HTTPS, 10140+i TCP-TLS). */
    public static int realPort(String transport, int n, int i) {
        if ("TCP-TLS".equalsIgnoreCase(transport) || "TCPTLS".equalsIgnoreCase(transport)) {
            return 10140 + i;
        }
        return n == 1 ? 443 : 10124 + i;
    }

    public Map<String, Object> status() {
        java.util.LinkedHashMap<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("siteControl", site.toString());
        m.put("pollMillis", every.toMillis());
        m.put("lastPoll", lastPoll == null ? null : lastPoll.toString());
        m.put("lastError", lastError);
        m.put("wanted", lastWanted);
        return m;
    }

    @Override
    public void close() {
        closed = true;
    }
}
