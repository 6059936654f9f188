package org.cmglab.scp;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.runtime.AdminAction;
import org.cmglab.proto.runtime.Json;

/**
 * The SCP's admin {@code POST} operations: {@code /deploy[?serviceType=CloudProxyService]}, {@code /scale?count=N},
 * {@code /renew-certificate} (body {@code {"certFile","keyFile"}}) and {@code /delete}. Each validates, queues the
 * CloudMgr task and answers at once with {@code {"accepted","state"}}; follow the task on {@code GET /status}.
 */
public final class ScpAdminActions {
    private ScpAdminActions() {}

    public static Map<String, AdminAction> of(CloudServiceManager mgr) {
        return Map.of(
                "deploy", (q, body) -> {
                    mgr.deploy(first(q, "serviceType", CloudServiceManager.TYPE_CMG));
                    return accepted("deploy", mgr);
                },
                "scale", (q, body) -> {
                    String n = first(q, "count", null);
                    if (n == null || !n.matches("\\d{1,3}")) {
                        throw new IllegalArgumentException("scale: count=" + n + " (expected: a number 1..16)");
                    }
                    mgr.scale(Integer.parseInt(n));
                    return accepted("scale", mgr);
                },
                "renew-certificate", (q, body) -> {
                    JsonNode n;
                    try {
                        n = Json.MAPPER.readTree(body == null || body.isBlank() ? "{}" : body);
                    } catch (Exception e) {
                        throw new IllegalArgumentException("renew-certificate: body is not JSON: " + e.getMessage());
                    }
                    if (!n.hasNonNull("certFile") || !n.hasNonNull("keyFile")) {
                        throw new IllegalArgumentException("renew-certificate: expected a body {\"certFile\":…,\"keyFile\":…}");
                    }
                    mgr.renewCertificate(new TlsFiles(n.get("certFile").asText(), n.get("keyFile").asText()));
                    return accepted("renew-certificate", mgr);
                },
                "delete", (q, body) -> {
                    mgr.delete();
                    return accepted("delete", mgr);
                });
    }

    private static Map<String, Object> accepted(String op, CloudServiceManager mgr) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accepted", op);
        m.put("state", mgr.state() == null ? "NotDeployed" : mgr.state().name());
        return m;
    }

    private static String first(Map<String, List<String>> q, String name, String dflt) {
        List<String> v = q.get(name);
        return v == null || v.isEmpty() ? dflt : v.get(0);
    }
}
