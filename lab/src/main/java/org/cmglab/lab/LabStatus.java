package org.cmglab.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.runtime.Json;

/**
 * Builds the whole-lab status JSON the supervisor serves at {@code GET /status} (docs: README "cmglab status"):
 * {@code lab} (state, net, port offset, options, dashboard, log folder, deployment), {@code components} (pid, alive,
 * ready, address, admin, ports), {@code instances} (each CMG VM instance and the connection point's channels to it:
 * transport, port, proxy, fallback) and {@code faults}. It asks every process's admin endpoint, so it blocks for
 * up to a few seconds: the supervisor calls it from its status thread, never from an event loop.
 */
final class LabStatus {
    private LabStatus() {}

    /** What the supervisor knows about itself. */
    record Lab(String state, String error, List<String> options, String auth, String dashboard, String admin) {}

    static ObjectNode build(Lab self, LabTopology topo, LabProcesses lab, Map<String, ComponentProcess> extras,
                            List<LabFaults.Active> faults) {
        LabPlan plan = topo.plan();
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode l = root.putObject("lab");
        l.put("state", self.state());
        if (self.error() != null) {
            l.put("error", self.error());
        }
        l.put("net", plan.net());
        l.put("portOffset", plan.portOffset());
        ArrayNode opts = l.putArray("options");
        self.options().forEach(opts::add);
        l.put("cloud", plan.cloud());
        l.put("deploymentMethod", plan.deploymentMethod());
        l.put("instances", plan.instances());
        l.put("auth", self.auth());
        l.put("proxy", topo.proxy() ? topo.proxyListen().toString() : null);
        l.put("dashboard", self.dashboard());
        l.put("admin", self.admin());
        l.put("logDir", plan.logDir().toString());
        l.put("stateDir", plan.stateDir().toString());
        l.put("pid", ProcessHandle.current().pid());

        ArrayNode comps = root.putArray("components");
        List<ComponentProcess> all = new ArrayList<>(extras.values());
        all.addAll(lab.components());
        for (ComponentProcess c : all) {
            ObjectNode n = comps.addObject();
            n.put("name", c.name());
            n.put("pid", c.pid() > 0 ? c.pid() : null);
            n.put("alive", c.isAlive());
            n.put("ready", c.isAlive() && answers(c, "/ready"));
            n.put("address", c.admin().address());
            n.put("admin", "http://" + c.admin());
            ArrayNode ports = n.putArray("ports");
            ports(topo, c.name()).forEach(ports::add);
        }
        lab.azurite().ifPresent(a -> {
            ObjectNode n = comps.addObject();
            n.put("name", LabProcesses.AZURITE);
            n.put("pid", a.process().map(ProcessHandle::pid).orElse(null));
            n.put("alive", a.process().map(ProcessHandle::isAlive).orElse(true));
            n.put("ready", a.process().map(ProcessHandle::isAlive).orElse(true));
            n.put("address", plan.azuriteAddress());
            n.putNull("admin");
            ArrayNode ports = n.putArray("ports");
            ports.add(plan.azuriteBlobPort()).add(plan.azuriteQueuePort()).add(plan.azuriteTablePort());
        });

        JsonNode scp = statusOf(lab, LabPlan.SCP);
        JsonNode cp = statusOf(lab, LabPlan.CONNECTION_POINT);
        if (scp != null) {
            ObjectNode d = l.putObject("deployment");
            d.put("state", scp.path("state").asText(null));
            d.put("name", scp.path("deployment").path("deploymentName").asText(plan.deploymentName()));
            d.put("reason", scp.path("reason").asText(null));
        }
        ArrayNode inst = root.putArray("instances");
        for (int i = 0; i < plan.instances(); i++) {
            ObjectNode n = inst.addObject();
            n.put("index", i);
            n.put("name", LabPlan.cmgServiceName(i));
            n.put("address", plan.cmgAddress(i));
            JsonNode si = instance(scp, i);
            n.put("pid", si != null && si.path("pid").canConvertToLong() ? si.path("pid").asLong() : null);
            n.put("state", si == null ? null : si.path("state").asText(null));
            n.put("ready", si != null && si.path("healthy").asBoolean(false));
            ArrayNode chans = n.putArray("channels");
            if (cp != null) {
                for (JsonNode ch : cp.path("channels")) {
                    if (ch.path("instanceIndex").asInt(-1) != i) {
                        continue;
                    }
                    ObjectNode c = chans.addObject();
                    c.put("transport", ch.path("transport").asText(null));
                    c.put("port", ch.path("port").asInt());
                    c.put("proxy", ch.path("proxy").isNull() ? null : ch.path("proxy").asText(null));
                    c.put("connectionId", ch.path("connectionId").isNull() ? null : ch.path("connectionId").asText(null));
                    c.put("state", ch.path("state").asText(null));
                    c.put("ready", "Connected".equals(ch.path("state").asText()));
                    c.put("streams", ch.path("activeStreams").asInt());
                    c.put("fallbackFrom", ch.path("fallbackFrom").isNull() ? null : ch.path("fallbackFrom").asText(null));
                    c.put("fallbackReason", ch.path("fallbackReason").isNull() ? null
                            : ch.path("fallbackReason").asText(null));
                    if (!ch.path("lastError").isNull() && !ch.path("lastError").isMissingNode()) {
                        c.put("lastError", ch.path("lastError").asText());
                    }
                }
            }
        }
        putFaults(root, faults);
        return root;
    }

    /** Sets {@code "faults"} of {@code root} to {@code faults}. */
    static void putFaults(ObjectNode root, List<LabFaults.Active> faults) {
        ArrayNode f = root.putArray("faults");
        for (LabFaults.Active a : faults) {
            f.addObject().put("name", a.name()).put("since", a.since()).put("detail", a.detail())
                    .put("state", a.state());
        }
    }

    /** The listening ports of a lab process (with the offset), for the status. */
    static List<Integer> ports(LabTopology topo, String name) {
        LabPlan plan = topo.plan();
        return switch (name) {
            case LabPlan.AZURE_SIM -> List.of(plan.azureFront().port(), plan.dns().port());
            case LabPlan.SITE_SIM -> List.of(plan.mp().port(), plan.supHttp().port(), plan.supHttps().port());
            case LabTopology.NETWORK_DEVICE -> List.of(topo.deviceClientCmg().port());
            case LabTopology.WEB_PROXY -> List.of(topo.proxyListen().port());
            default -> List.of(); // the SCP and the connection point only dial out
        };
    }

    private static boolean answers(ComponentProcess c, String path) {
        try {
            c.adminGet(path);
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static JsonNode statusOf(LabProcesses lab, String name) {
        ComponentProcess c = lab.component(name);
        if (!c.isAlive()) {
            return null;
        }
        try {
            return Json.MAPPER.readTree(c.adminGet("/status"));
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static JsonNode instance(JsonNode scp, int i) {
        if (scp == null) {
            return null;
        }
        for (JsonNode n : scp.path("instances")) {
            if (n.path("index").asInt(-1) == i) {
                return n;
            }
        }
        return null;
    }

    /** {@code http://127.77.0.1:9090} → the endpoint; null if it is not such a URL. */
    static Endpoint endpoint(String url) {
        if (url == null) {
            return null;
        }
        java.net.URI u = java.net.URI.create(url);
        return u.getHost() == null || u.getPort() < 0 ? null : new Endpoint(u.getHost(), u.getPort());
    }
}
