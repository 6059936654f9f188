package org.cmglab.azure.lb;

import java.time.Instant;
import org.cmglab.proto.config.Endpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One VM instance behind the load balancer: its front door (what the 443 rule forwards to) and its admin endpoint
 * (probed for {@code /ready}). Health follows the Azure probe rule used here: 2 consecutive failures → unhealthy,
 * 1 success → healthy again. Thread-safe.
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

    /** Takes the backend out of rotation at once (the fabric saw the process exit or is restarting it). */
    public synchronized void markDown(String why) {
        failures = Math.max(failures, UNHEALTHY_AFTER);
        lastProbe = "marked down: " + why;
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
        return m;
    }
}
