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
 *
 * <p><b>Before the first dial</b> ({@link #startAwaitingDeployment}): a connection point that starts while the CMG is
 * still being deployed has nothing to dial yet (the service name does not resolve, no instance listens), so it waits
 * for the site instead of failing dials into a growing backoff: it reads the site every {@link #FIRST_POLL} until
 * the site names a deployment to connect to (state {@code Ready} or {@code Upgrading}); then it dials at once. While
 * the site says {@code NotDeployed} or {@code Provisioning} it keeps waiting (at most {@link #DEPLOYMENT_WAIT});
 * when the site says anything else (e.g. {@code Error}), cannot be read for {@link #UNREADABLE_WAIT}, or that bound
 * passes, it dials its configured targets as it would without a site.
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

    /** Poll interval while waiting for the first deployment to connect to. */
    public static final Duration FIRST_POLL = Duration.ofMillis(200);
    /** How long an unreadable site may keep the first dial waiting. */
    public static final Duration UNREADABLE_WAIT = Duration.ofSeconds(10);
    /** How long a deployment in progress ({@code NotDeployed}, {@code Provisioning}) may keep the first dial waiting. */
    public static final Duration DEPLOYMENT_WAIT = Duration.ofMinutes(5);

    /** Set while the first dial waits for the site; run once (the configured targets) when waiting ends without one. */
    private volatile Runnable dialConfigured;
    private volatile long waitStartedNanos;
    private volatile long lastReadNanos;
    private volatile String waitingFor;

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

    /**
     * As {@link #start()}, but nothing is dialled until the site names a deployment to connect to (see the class
     * comment); {@code dialConfigured} runs (once) when waiting ends without one. With no static target it runs at
     * once and the site is not followed, as with {@link #start()}.
     */
    public void startAwaitingDeployment(Runnable dialConfigured) {
        if (staticTargets.isEmpty()) {
            dialConfigured.run();
            start();
            return;
        }
        waitStartedNanos = System.nanoTime();
        lastReadNanos = waitStartedNanos;
        this.dialConfigured = Objects.requireNonNull(dialConfigured, "dialConfigured");
        log.info("Waiting for the site ({}) to report the CMG deployed before dialling (read every {} ms until then)",
                site, FIRST_POLL.toMillis());
        start();
    }

    /** True while the first dial waits for the site to name a deployment. */
    public boolean awaitingDeployment() {
        return dialConfigured != null;
    }

    /** Ends the wait for the first deployment with the configured targets (once). */
    private void stopWaiting(String why) {
        Runnable r = dialConfigured;
        dialConfigured = null;
        if (r != null) {
            log.info("Dialling the configured CMG instances: {}", why);
            r.run();
        }
    }

    /**
     * While waiting for the first deployment: true when {@code status} (null: unreadable) says to keep waiting;
     * otherwise the wait ends here (with the site's targets when {@code wanted} is not null).
     */
    private boolean keepWaiting(JsonNode status, List<ChannelTarget> wanted) {
        long now = System.nanoTime();
        if (status == null) {
            if (now - lastReadNanos > UNREADABLE_WAIT.toNanos()) {
                stopWaiting("the site could not be read for " + UNREADABLE_WAIT.toSeconds() + " s (" + lastError + ")");
            }
            return dialConfigured != null;
        }
        lastReadNanos = now;
        String state = status.path("state").asText("");
        if (wanted != null && ("Ready".equals(state) || "Upgrading".equals(state))) {
            dialConfigured = null;
            log.info("The site reports the CMG {} after {} ms of waiting; dialling its {} instance(s)", state,
                    (now - waitStartedNanos) / 1_000_000, wanted.size());
            return false;
        }
        if (("NotDeployed".equals(state) || "Provisioning".equals(state) || state.isEmpty())
                && now - waitStartedNanos < DEPLOYMENT_WAIT.toNanos()) {
            if (!state.equals(waitingFor)) {
                waitingFor = state;
                log.info("The site reports the CMG {}; waiting before dialling", state.isEmpty() ? "(no state)" : state);
            }
            return true;
        }
        stopWaiting("the site reports the CMG " + (state.isEmpty() ? "without a state" : state)
                + ("Error".equals(state) ? " (" + status.path("reason").asText("") + ")" : ""));
        return false;
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
                            JsonNode status = JSON.readTree(r.body());
                            List<ChannelTarget> wanted = wanted(status, staticTargets);
                            lastPoll = Instant.now();
                            if (lastError != null) {
                                log.info("The site configuration at {} is readable again", site);
                            }
                            lastError = null;
                            boolean wait = dialConfigured != null && keepWaiting(status, wanted);
                            if (wanted != null && !wait) {
                                lastWanted = wanted;
                                onWanted.accept(wanted);
                            }
                        }
                    } catch (Exception ex) {
                        failed(ex.toString());
                    } finally {
                        if (dialConfigured != null && lastError != null) { // this read failed
                            keepWaiting(null, null);
                        }
                        if (!closed) {
                            long next = dialConfigured != null ? Math.min(every.toMillis(), FIRST_POLL.toMillis())
                                    : every.toMillis();
                            group.schedule(this::poll, next, TimeUnit.MILLISECONDS);
                        }
                    }
                });
    }

    private void failed(String why) {
        if (dialConfigured != null) { // nothing dialled yet: the site (e.g. a service connection point still starting)
            if (!why.equals(lastError)) {
                log.info("The site configuration at {} cannot be read yet ({}); waiting before dialling", site, why);
            }
            lastError = why;
            return;
        }
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
        m.put("awaitingDeployment", awaitingDeployment());
        return m;
    }

    @Override
    public void close() {
        closed = true;
        dialConfigured = null;
    }
}
