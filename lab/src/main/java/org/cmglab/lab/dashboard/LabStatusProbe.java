package org.cmglab.lab.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import org.cmglab.lab.LabPlan;
import org.cmglab.lab.RunningLab;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.runtime.Json;

/**
 * A whole-lab status JSON for the page when no {@code cmglab up} supervisor provides one: the components of the plan
 * (address, admin endpoint, whether {@code /ready} answers 200) and each CMG instance with the channels its
 * {@code /status} reports. Every request is a short GET to a loopback admin endpoint ({@value #TIMEOUT_MS} ms); a
 * component that does not answer is shown not ready.
 */
public final class LabStatusProbe {
    static final int TIMEOUT_MS = 1000;
    private static final HttpClient HTTP = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY)
            .connectTimeout(Duration.ofMillis(TIMEOUT_MS)).build();

    private LabStatusProbe() {}

    /**
     * The status of the lab in {@code plan}'s state folder: the supervisor's {@code /status} when {@code cmglab up}
     * runs it ({@link RunningLab}), else {@link #probe(LabPlan)}.
     */
    public static Supplier<String> forPlan(LabPlan plan) {
        return () -> {
            Optional<RunningLab> running = RunningLab.find(plan.stateDir());
            if (running.isPresent()) {
                String admin = running.get().admin();
                try {
                    return get(URI.create((admin.startsWith("http") ? admin : "http://" + admin) + "/status"));
                } catch (IOException e) {
                    // the supervisor is starting or stopping: fall back to asking the components
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return probe(plan);
        };
    }

    /** Asks each component of {@code plan} directly. */
    public static String probe(LabPlan plan) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode lab = root.putObject("lab");
        lab.put("net", plan.net()).put("portOffset", plan.portOffset()).put("logDir", plan.logDir().toString())
                .put("dashboard", "http://" + plan.dashboard() + "/").put("source", "probe");
        ArrayNode components = root.putArray("components");
        boolean allReady = true;
        for (LabPlan.Component c : plan.components()) {
            boolean ready = ready(c.admin());
            allReady &= ready;
            components.addObject().put("name", c.name()).put("address", c.admin().address())
                    .put("admin", "http://" + c.admin()).put("ready", ready);
        }
        ArrayNode instances = root.putArray("instances");
        for (int i = 0; i < plan.instances(); i++) {
            ObjectNode inst = instances.addObject().put("index", i).put("name", LabPlan.cmgServiceName(i))
                    .put("address", plan.cmgAddress(i));
            JsonNode st = null;
            try {
                st = Json.MAPPER.readTree(get(URI.create("http://" + plan.cmgAdmin(i) + "/status")));
            } catch (IOException e) {
                // not deployed yet or gone: shown without channels
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            inst.put("ready", st != null);
            ArrayNode channels = inst.putArray("channels");
            if (st != null && st.path("channels").isArray()) {
                for (JsonNode ch : st.path("channels")) {
                    channels.add(ch);
                }
            }
        }
        lab.put("state", allReady ? "ready" : "starting");
        root.putArray("faults");
        return Json.writeCompact(root);
    }

    private static boolean ready(Endpoint admin) {
        try {
            get(URI.create("http://" + admin + "/ready"));
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String get(URI uri) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofMillis(TIMEOUT_MS)).GET()
                .build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + uri + " → " + r.statusCode());
        }
        return r.body();
    }
}
