package org.cmglab.scp;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.cmglab.proto.config.Loopback;
import org.cmglab.proto.runtime.Json;
import org.cmglab.proto.runtime.LabHttpClient;

/**
 * Reads the channel status a CMG VM instance reports. The real SCP learns connection point status through the site
 * (the CMG reports it and the site stores it); the lab has no such relay, so CloudMgr reads each instance's admin
 * {@code GET http://<instance address>:<admin port>/status} on loopback. This is the SCP's only call that is not to
 * Azure, and it never leaves 127.0.0.0/8 (the address must be a loopback literal).
 */
public final class InstanceStatusReader {
    /** What one instance reports: its channels and the traffic counted on them. */
    public record InstanceReport(List<Map<String, Object>> channels, int channelsReady, long requests, long failures,
                                 String error) {}

    private final LabHttpClient http;
    private final int defaultAdminPort;

    /** @param defaultAdminPort 9090 + port offset; used when the resource does not name the instance's admin port */
    public InstanceStatusReader(LabHttpClient http, int defaultAdminPort) {
        this.http = Objects.requireNonNull(http, "http");
        this.defaultAdminPort = defaultAdminPort;
    }

    /** @param instance one entry of the resource's {@code properties.instances} */
    public InstanceReport read(JsonNode instance) {
        String address = instance.path("address").asText("");
        int port = instance.path("ports").path("admin").asInt(defaultAdminPort);
        try {
            Loopback.require(address, "instance address");
            LabHttpClient.Response res = Calls.await(http.get(URI.create("http://" + address + ":" + port + "/status"),
                    null), "instance status " + address + ":" + port);
            if (!res.isSuccess()) {
                return new InstanceReport(List.of(), 0, 0, 0, "admin status answered " + res.status());
            }
            JsonNode body = Json.MAPPER.readTree(res.body());
            List<Map<String, Object>> channels = new ArrayList<>();
            int ready = 0;
            long requests = 0;
            long failures = 0;
            for (JsonNode c : body.path("channels")) {
                Map<String, Object> m = new LinkedHashMap<>();
                for (String f : List.of("connector", "connectionId", "siteCode", "transport", "port", "since", "remote")) {
                    if (c.hasNonNull(f)) {
                        m.put(f, c.get(f).isNumber() ? c.get(f).numberValue() : c.get(f).asText());
                    }
                }
                boolean r = c.path("ready").asBoolean(false);
                m.put("ready", r);
                m.put("draining", c.path("draining").asBoolean(false));
                m.put("activeStreams", c.path("activeStreams").asInt(0));
                m.put("requests", c.path("requests").asLong(0));
                m.put("failures", c.path("failures").asLong(0));
                channels.add(m);
                ready += r ? 1 : 0;
                requests += c.path("requests").asLong(0);
                failures += c.path("failures").asLong(0);
            }
            return new InstanceReport(channels, ready, requests, failures, null);
        } catch (IOException | IllegalArgumentException e) {
            return new InstanceReport(List.of(), 0, 0, 0, e.getMessage());
        }
    }
}
