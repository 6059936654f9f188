package org.cmglab.azure.lb;

import java.time.Instant;
import org.cmglab.proto.config.Endpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One VM instance behind the load balancer: its front door (what the 443 rule forwards to) and its admin endpoint
 * (probed for {@code /ready}). Health follows the Azure probe rule used here: 2 consecutive failures → unhealthy,
 * 1 success → healthy again. Thread-safe.
 *
 * <p>Besides health, the probe records whether the instance has a ready connection point channel
 * ({@link #channelReady()}, from the instance's {@code /status}): {@link BackendPool#pick()} prefers healthy backends
 * with a channel, so a relaunched or newly added instance gets no client until its channel is up (it would answer
 * {@code 503 CMGService_NoConnectionPoint}). Unknown until the first probe, and false after a restart.
 */
public final class Backend {
    private static final Logger log = LoggerFactory.getLogger(Backend.class);
    static final int UNHEALTHY_AFTER = 2;

    private final int index;
    private final String name;
    private final Endpoint frontDoor;
    private final Endpoint admin;
    private boolean healthy = true;
    private int failures;
    private String lastProbe = "not probed yet";
    private Instant since = Instant.now();
    private long transitions;
    private boolean channelReady;
    private String lastChannelProbe = "not probed yet";

    public Backend(int index, String name, Endpoint frontDoor, Endpoint adminOrNull) {
        this.index = index;
        this.name = name;
        this.frontDoor = frontDoor;
        this.admin = adminOrNull;
    }

    public int index() { return index; }
    public String name() { return name; }
    public Endpoint frontDoor() { return frontDoor; }
    public Endpoint admin() { return admin; }

    public synchronized boolean healthy() {
        return healthy;
    }

    /** Records one probe result; returns true when the health changed. */
    public synchronized boolean record(boolean ok, String detail) {
        lastProbe = (ok ? "ok" : "failed") + ": " + detail;
        if (ok) {
            failures = 0;
            if (!healthy) {
                healthy = true;
                since = Instant.now();
                transitions++;
                log.info("load balancer: backend {} ({}) is healthy again ({})", name, frontDoor, detail);
                return true;
            }
            return false;
        }
        failures++;
        if (healthy && failures >= UNHEALTHY_AFTER) {
            healthy = false;
            since = Instant.now();
            transitions++;
            log.warn("load balancer: backend {} ({}) is unhealthy after {} failed probes ({})", name, frontDoor,
                    failures, detail);
            return true;
        }
        return false;
    }

    /** Whether the last probe found a ready connection point channel on this instance. */
    public synchronized boolean channelReady() {
        return channelReady;
    }

    /** Records what the probe read of the instance's channels; returns true when it changed. */
    public synchronized boolean recordChannel(boolean ready, String detail) {
        lastChannelProbe = detail;
        if (ready == channelReady) {
            return false;
        }
        channelReady = ready;
        if (ready) {
            log.info("load balancer: backend {} ({}) has a ready connection point channel: preferred for new "
                    + "connections ({})", name, frontDoor, detail);
        } else {
            log.warn("load balancer: backend {} ({}) has no ready connection point channel: new connections go to "
                    + "instances with one while any has one ({})", name, frontDoor, detail);
        }
        return true;
    }

    /** Takes the backend out of rotation at once (the fabric saw the process exit or is restarting it). */
    public synchronized void markDown(String why) {
        failures = Math.max(failures, UNHEALTHY_AFTER);
        lastProbe = "marked down: " + why;
        channelReady = false; // a restarted instance has no channel until its connection point dials it
        lastChannelProbe = "marked down: " + why;
        if (healthy) {
            healthy = false;
            since = Instant.now();
            transitions++;
            log.warn("load balancer: backend {} ({}) taken out of rotation: {}", name, frontDoor, why);
        }
    }

    public synchronized java.util.Map<String, Object> status() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("index", index);
        m.put("name", name);
        m.put("frontDoor", frontDoor.toString());
        m.put("admin", admin == null ? null : admin.toString());
        m.put("healthy", healthy);
        m.put("since", since.toString());
        m.put("consecutiveFailures", failures);
        m.put("transitions", transitions);
        m.put("lastProbe", lastProbe);
        m.put("channelReady", channelReady);
        m.put("lastChannelProbe", lastChannelProbe);
        return m;
    }
}
