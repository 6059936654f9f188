package org.cmglab.lab.analyze;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.List;
import org.cmglab.lab.ClientRun;
import org.cmglab.lab.LabPlan;
import org.cmglab.lab.LabProcesses;
import org.cmglab.proto.runtime.Json;

/**
 * What each connection analyzer result means: pure functions from what a probe saw (a status document, a resolved
 * address, a TLS handshake, a client-sim run) to a {@link Check} with its reason and, on failure, what to fix.
 */
public final class AnalyzerChecks {
    static final String SERVICE = "CMG service";
    static final String CP = "Connection point";
    static final String AUTH = "Authentication";
    static final String MP = "Management point";
    static final String SUP = "Software update point";
    static final String CONTENT = "Content";

    private AnalyzerChecks() {}

    /**
     * What a TLS handshake with the CMG front door showed.
     *
     * @param protocol the negotiated protocol (null if the handshake failed)
     * @param cipher   the negotiated cipher suite
     * @param chain    the certificates the CMG presented (leaf first; empty if none were seen)
     * @param error    why the handshake failed (null on success)
     */
    public record Handshake(String protocol, String cipher, List<X509Certificate> chain, String error) {
        public Handshake {
            chain = chain == null ? List.of() : List.copyOf(chain);
        }
    }

    /** The service connection point's view: deployment Ready with every instance. */
    public static Check deployment(LabPlan plan, String scpStatusJson, String error) {
        String name = "Deployment is Ready (service connection point)";
        String fix = "Check the service connection point (service-connection-point, CloudMgr.log) and Azure "
                + "(azure-sim, AzureSim.log): the deployment must be Ready with every VM instance ReadyRole; "
                + "restart the lab (cmglab down / up) if it stays in Error";
        if (scpStatusJson == null) {
            return Check.fail(SERVICE, name, "the service connection point's status (http://" + plan.scpAdmin()
                    + "/status) is not available: " + error, fix);
        }
        JsonNode st = read(scpStatusJson);
        String state = st.path("state").asText("?");
        int instances = st.path("instances").size();
        long readyRole = 0;
        for (JsonNode i : st.path("instances")) {
            if ("ReadyRole".equals(i.path("state").asText())) {
                readyRole++;
            }
        }
        String desc = state + ", " + st.path("deployment").path("deploymentMethod").asText(plan.deploymentMethod()) + " "
                + st.path("deployment").path("deploymentName").asText(plan.deploymentName()) + ", " + readyRole + " of "
                + instances + " instance(s) ReadyRole";
        if ("Ready".equals(state) && instances > 0 && readyRole == instances) {
            return Check.pass(SERVICE, name, desc);
        }
        return Check.fail(SERVICE, name, desc + (st.hasNonNull("reason") ? " (" + st.path("reason").asText() + ")" : ""),
                fix);
    }

    /** The service name resolves through the lab DNS to the load balancer VIP. */
    public static Check dns(LabPlan plan, String resolved, String error) {
        String name = "Service name resolves to the CMG (lab DNS)";
        if (resolved == null) {
            return Check.fail(SERVICE, name, LabPlan.SERVICE_NAME + " does not resolve through the lab DNS "
                            + plan.dns() + ": " + error,
                    "The customer DNS needs a CNAME " + LabPlan.SERVICE_NAME + " → " + plan.deploymentName()
                            + " and Azure DNS the deployment name → VIP: check that azure-sim (the lab DNS) runs and the "
                            + "deployment is Ready (AzureSim.log)");
        }
        if (!resolved.equals(plan.vipAddress())) {
            return Check.fail(SERVICE, name, LabPlan.SERVICE_NAME + " resolves to " + resolved + ", not the CMG VIP "
                            + plan.vipAddress(),
                    "Point the CNAME " + LabPlan.SERVICE_NAME + " at the deployment name " + plan.deploymentName()
                            + " (not at another host)");
        }
        return Check.pass(SERVICE, name, LabPlan.SERVICE_NAME + " → CNAME " + plan.deploymentName() + " → VIP "
                + resolved + " (lab DNS " + plan.dns() + ")");
    }

    /** The TLS handshake itself (the certificate checks are {@link CertChecks#serverCertificate}). */
    public static Check tls(LabPlan plan, Handshake h) {
        String name = "TLS handshake with the CMG (HTTPS " + plan.port(443) + ")";
        if (h.error() == null) {
            return Check.pass(SERVICE, name, h.protocol() + ", " + h.cipher() + " at " + plan.vipAddress() + ":"
                    + plan.port(443) + " (SNI " + LabPlan.SERVICE_NAME + ")");
        }
        return Check.fail(SERVICE, name, "at " + plan.vipAddress() + ":" + plan.port(443) + ": " + h.error(),
                h.chain().isEmpty()
                        ? "The CMG front door does not answer TLS: check that the VM instances run (cmglab status, "
                                + "CMG-*-CMGSetup.log) and that port " + plan.port(443) + " is open on the load balancer"
                        : "The CMG's server certificate is not accepted (see the certificate checks below): clients "
                                + "must trust its root and it must name the service name");
    }

    /** One instance's channels as the CMG instance lists them: at least one ready. */
    public static Check channel(LabPlan plan, int instance, String cmgStatusJson, String error) {
        String name = "Channel to VM instance " + instance + " is connected";
        String fix = "The CMG connection point (cmg-connection-point, " + plan.connectionPointAddress() + ") has no "
                + "channel to instance " + instance + ": check that it runs, that it resolves " + LabPlan.SERVICE_NAME
                + " and reaches HTTPS " + plan.cmgChannel(Math.min(instance, plan.instances() - 1)).port()
                + (plan.classic() ? " / TCP-TLS " + (plan.port(10140) + instance) : "") + " outbound, and its client "
                + "certificate; see SMS_Cloud_ProxyConnector.log";
        if (cmgStatusJson == null) {
            return Check.fail(CP, name, "instance " + instance + " does not answer its status: " + error,
                    "The VM instance is not running: check the deployment (CloudMgr.log, CMG-*-CMGSetup.log); " + fix);
        }
        List<JsonNode> ready = LabProcesses.readyChannels(cmgStatusJson);
        if (ready.isEmpty()) {
            return Check.fail(CP, name, "instance " + instance + " lists no ready channel from a connection point", fix);
        }
        JsonNode ch = ready.get(0);
        return Check.pass(CP, name, ready.size() + " ready: " + ch.path("transport").asText("?") + " :"
                + ch.path("port").asInt() + ", connection " + ch.path("connectionId").asText("?")
                + (ch.hasNonNull("fallbackFrom") ? " (fallback from " + ch.path("fallbackFrom").asText() + ")" : ""));
    }

    /**
     * A client-sim request through the CMG: PASS on exit 0, else FAIL with a fix chosen by what went wrong (connect,
     * TLS, 401/403/404/5xx with the CMG's status texts).
     */
    public static Check throughCmg(LabPlan plan, String area, String name, ClientRun run, String okReason,
                                   String target) {
        if (run.exitCode() == 0) {
            return Check.pass(area, name, okReason);
        }
        return Check.fail(area, name, run.summary() + " (client-sim exit " + run.exitCode() + ")",
                fixFor(plan, run, target));
    }

    /** What to fix for a failed client request through the CMG to {@code target} (e.g. {@code MP01 (…)}). */
    static String fixFor(LabPlan plan, ClientRun run, String target) {
        String text = (run.summary() + " " + run.output()).toLowerCase(java.util.Locale.ROOT);
        int status = run.status();
        if (run.exitCode() == 4 || text.contains("connection refused") || text.contains("connect failure")) {
            return "The client cannot connect to the CMG at " + plan.vipAddress() + ":" + plan.port(443)
                    + ": check that the CMG VM instances run and the deployment is Ready (cmglab status, CloudMgr.log)";
        }
        if (run.exitCode() == 3 && status == 0) {
            return "The TLS handshake with the CMG failed: the client must trust the CMG's server certificate (lab "
                    + "root) and, on CCM_Proxy_MutualAuth paths, present a client authentication certificate";
        }
        if (status == 503 || text.contains("noconnectionpoint")) {
            return "No CMG connection point channel serves this role: start the CMG connection point "
                    + "(cmg-connection-point) and check SMS_Cloud_ProxyConnector.log for its channels to every VM "
                    + "instance";
        }
        if (status == 500 || status == 502 || status == 504 || text.contains("cmgconnector_internalservererror")) {
            return "The connection point cannot reach " + target + ": check that the site system runs (site-sim) "
                    + "and its certificate is trusted; see SMS_Cloud_ProxyConnector.log and MP_GetAuth.log";
        }
        if (status == 403) {
            return "The client certificate was refused (CMGConnector_Clientcertificaterequired / Forbidden): issue "
                    + "the client a client authentication certificate that chains to a root the CMG trusts";
        }
        if (status == 401) {
            return "The token was refused (CMGService_Invalid_Token): get a new token (expired, other tenant or "
                    + "audience, clock skew); see CCM_STS.log and the CMG's CMGService log";
        }
        if (status == 404) {
            return "The CMG does not publish this endpoint (CMGService_UnknownEndpoint): enable CMG traffic on the "
                    + "role in the site and let the site publish it to the CMG";
        }
        return "See client-sim.out and the CMG logs (CMG-*-CMGHttpHandler.log, SMS_Cloud_ProxyConnector.log) for "
                + "this request";
    }

    /** A CCM token from CCM_STS through the CMG ({@code client-sim token --auth entra|token}). */
    public static Check token(LabPlan plan, String auth, ClientRun run) {
        String name = ("entra".equals(auth) ? "Entra ID device token" : "Bulk registration token")
                + " → CCM token from CCM_STS";
        if (run.exitCode() == 0) {
            JsonNode r = run.result();
            return Check.pass(AUTH, name, "token type " + (r == null ? "?" : r.path("tokenType").asText("?"))
                    + ", valid " + (r == null ? "?" : r.path("expiresIn").asLong()) + " s");
        }
        String step = run.result() == null ? "" : run.result().path("step").asText("");
        String fix = switch (step) {
            case "AADAuthInfo" -> "The CMG does not know the client's tenant: onboard the Entra tenant for the CMG "
                    + "(Azure services, Cloud Management) and check the server app";
            case "Entra" -> "The client cannot get an Entra ID device token: check the client app, the "
                    + "device's Entra registration and Entra ID (azure-sim) reachability";
            case "ServiceMetadata" -> "The CMG refused the bulk registration token (expired or from another "
                    + "hierarchy): create a new one with BulkRegistrationTokenTool (site-sim bulk-token)";
            default -> fixFor(plan, run, "CCM_STS on MP01 (" + LabPlan.MP_FQDN + ")");
        };
        return Check.fail(AUTH, name, run.summary() + (step.isEmpty() ? "" : " at " + step), fix);
    }

    /** The content flow C1–C6 ({@code client-sim content}). */
    public static Check content(LabPlan plan, ClientRun run) {
        String name = "Content location, manifest and blob download (C1-C6)";
        JsonNode r = run.result();
        if (run.exitCode() == 0 && r != null && "complete".equals(r.path("state").asText())) {
            return Check.pass(CONTENT, name, r.path("files").size() + " file(s) from " + plan.blobHost() + ", "
                    + r.path("rangeRequests").asLong() + " ranged GETs, SHA-256 verified");
        }
        String step = r == null ? "" : r.path("step").asText("");
        String failure = r == null ? run.summary() : r.path("failure").asText(run.summary());
        String fix;
        if (step.startsWith("C1") || step.startsWith("C2")) {
            fix = failure.contains("no cloud distribution point")
                    ? "Distribute the content to the CMG (content-enabled CMG) and check the MP offers it (MP_Location.log)"
                    : fixFor(plan, run, "MP01 (" + LabPlan.MP_FQDN + ")");
        } else if (step.startsWith("C3")) {
            fix = "The client cannot resolve the CMG service name through DNS: add the CNAME to the deployment name";
        } else if (step.startsWith("C4") || step.startsWith("C5")) {
            fix = "The CMG refused the content token or cannot read its storage: check the token's validity and client "
                    + "id, and the CMG's storage account (CMG-*-CMGContentService.log)";
        } else if (step.startsWith("C6")) {
            fix = "The client cannot download from the storage account " + plan.blobHost() + ": check HTTPS 443 "
                    + "outbound to blob storage, the storage certificate's trust and the SAS expiry "
                    + "(DataTransferService.log)";
        } else {
            fix = "See client-sim.out and DataTransferService.log";
        }
        return Check.fail(CONTENT, name, (step.isEmpty() ? "" : step + ": ") + failure, fix);
    }

    private static JsonNode read(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            return Json.MAPPER.createObjectNode();
        }
    }
}
