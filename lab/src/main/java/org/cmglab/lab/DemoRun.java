package org.cmglab.lab;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.cmglab.proto.flow.FlowEvent;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.runtime.Json;

/**
 * {@code cmglab demo}: the article's two flows narrated step by step on a lab — F1 (deployment), F2 (channels),
 * F3–F5 with the chosen client authentication (hop trace and verdict), the client lifecycle through the CMG (MP and
 * SUP), C1–C6 (content), then the article's port list marked with what the flow events show.
 */
public final class DemoRun {
    /** Exit codes besides {@link CmgLabMain}'s (documented in {@code cmglab demo --help}). */
    public static final int EXIT_CONTENT_FAILED = 6;
    public static final int EXIT_LIFECYCLE_FAILED = 7;
    /** The package the demo distributes to the CMG (3 files, 600 kB). */
    public static final String PACKAGE = "P0100D01";
    static final Duration DISTRIBUTE_TIMEOUT = Duration.ofSeconds(60);

    private final LabSession session;
    private final LabPlan plan;
    private final LabProcesses lab;
    private final PrintStream out;
    private final boolean killConnectionPoint;
    private Path bulkToken;

    public DemoRun(LabSession session, PrintStream out, boolean killConnectionPoint) {
        this.session = session;
        this.plan = session.plan();
        this.lab = session.processes();
        this.out = out;
        this.killConnectionPoint = killConnectionPoint;
    }

    /** F1 and F2 narrated from the lab's status (the lab is already started or attached). */
    int deploymentAndChannels() throws InterruptedException {
        out.println();
        out.println("== F1  service connection point deploys the CMG");
        out.printf("    who:      service-connection-point (%s) → Azure: Entra ID + Resource Manager (azure-sim %s)%n",
                plan.scpAddress(), plan.azureFront());
        out.printf("    protocol: HTTPS :%d   auth: Entra ID app token (client credentials, app %s)%n", plan.port(443),
                LabPlan.SCP_APP_ID);
        try {
            JsonNode st = Json.MAPPER.readTree(lab.adminGet(plan.scpAdmin(), "/status"));
            out.printf("    result:   %s %s, %d instance(s), state %s%n",
                    st.path("deployment").path("deploymentMethod").asText("?"),
                    st.path("deployment").path("deploymentName").asText(plan.deploymentName()),
                    st.path("instances").size(), st.path("state").asText("?"));
        } catch (IOException e) {
            out.println("    result:   the service connection point's status is not available: " + e.getMessage());
        }
        out.println();
        out.println("== F2  CMG connection point opens a channel to every VM instance");
        out.printf("    who:      cmg-connection-point (%s) → %s (lab DNS %s: CNAME → %s → VIP %s)%n",
                plan.connectionPointAddress(), LabPlan.SERVICE_NAME, plan.dns(), plan.deploymentName(),
                plan.vipAddress());
        out.println("    auth:     the connection point's client certificate (mutual TLS); the CMG answers on it only");
        try {
            List<JsonNode> channels = session.attached() ? readyChannels(Duration.ofSeconds(10))
                    : lab.awaitChannel(LabProcesses.READY_TIMEOUT);
            for (int i = 0; i < channels.size(); i++) {
                JsonNode ch = channels.get(i);
                out.printf("    channel:  → cmg-service/%d   %s :%d, connection %s%n", i, ch.path("transport").asText(),
                        ch.path("port").asInt(), ch.path("connectionId").asText());
            }
            return CmgLabMain.EXIT_OK;
        } catch (RuntimeException e) {
            out.println("FAILED at " + e.getMessage());
            return CmgLabMain.EXIT_NO_CHANNEL;
        }
    }

    /**
     * The ready channels of every instance of a lab this JVM did not start (so it cannot watch the connection point's
     * process): polls each instance's admin {@code /status} until it lists one, for at most {@code timeout}.
     */
    List<JsonNode> readyChannels(Duration timeout) throws InterruptedException {
        List<JsonNode> found = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int i = 0; i < plan.instances(); i++) {
            String last = "no status yet";
            while (true) {
                try {
                    List<JsonNode> ready = LabProcesses.readyChannels(lab.adminGet(plan.cmgAdmin(i), "/status"));
                    if (!ready.isEmpty()) {
                        found.addAll(ready);
                        break;
                    }
                    last = "no ready channel in /status";
                } catch (IOException e) {
                    last = e.toString();
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("F2 (cmg-connection-point → " + LabPlan.cmgServiceName(i)
                            + "): no channel ready within " + timeout.toSeconds() + " s (" + last + "); see "
                            + plan.logDir().resolve("SMS_Cloud_ProxyConnector.log"));
                }
                Thread.sleep(200);
            }
        }
        return found;
    }

    /** F3–F5 with the chosen auth: one request (and its token acquisition), its hop trace and verdict. */
    int basicFlow() throws InterruptedException {
        String auth = session.auth();
        out.println();
        out.println("== F3 → F4 → F5  a client request through the CMG (--auth " + auth + ")");
        out.printf("    F3  client-sim (%s) → CMG %s (VIP %s:%d)   HTTPS :%d   %s%n", plan.clientAddress(),
                LabPlan.SERVICE_NAME, plan.vipAddress(), plan.port(443), plan.port(443), ClientAuthArgs.describe(auth));
        out.println("    F4  CMG VM instance → cmg-connection-point   one HTTP/2 stream on the channel the connection "
                + "point opened (no inbound port on-prem)");
        out.printf("    F5  cmg-connection-point → MP01 %s (%s)   %s :%d   server-auth TLS, URL rewritten to the internal "
                + "URL%n", LabPlan.MP_FQDN, plan.mpAddress(), plan.mpHttps() ? "HTTPS" : "HTTP", plan.mp().port());
        if (killConnectionPoint) {
            lab.kill(LabPlan.CONNECTION_POINT);
            out.println("    killed cmg-connection-point (--kill-connection-point); the request must now fail at F4");
            try {
                lab.awaitNoChannel(Duration.ofSeconds(10));
            } catch (RuntimeException e) {
                out.println("    (" + e.getMessage() + ")");
            }
        }
        ClientRun run;
        String what;
        if ("pki".equals(auth)) {
            what = "client-sim mplist";
            run = lab.runClient(TraceContext.newTraceId());
        } else {
            if ("token".equals(auth)) {
                bulkToken = ClientAuthArgs.bulkTokenFile(plan);
                out.println("    bulk registration token from site-sim bulk-token (BulkRegistrationTokenTool): " + bulkToken);
            }
            what = "client-sim token --auth " + auth + " (CCM token from CCM_STS through the CMG)";
            List<String> args = new ArrayList<>(ClientAuthArgs.args(auth, bulkToken));
            args.add("--renew");
            run = lab.runClientCommand(plan.configFile(LabPlan.CLIENT_SIM), "token", TraceContext.newTraceId(), args);
        }
        LabProcesses.TraceEvents te = lab.collectEvents(run.traceId());
        int code = report(what, run, te);
        if (killConnectionPoint) {
            code = code == CmgLabMain.EXIT_OK ? CmgLabMain.EXIT_INJECTED_FAULT_NOT_SEEN : CmgLabMain.EXIT_FLOW_FAILED;
            out.println(code == CmgLabMain.EXIT_FLOW_FAILED
                    ? "(expected: the connection point was killed, so the flow fails)"
                    : "UNEXPECTED: the connection point was killed but the request succeeded");
        }
        return code;
    }

    /** The client's lifecycle through the CMG with the chosen auth: registration, policy, location, SUP. */
    int lifecycle() throws InterruptedException {
        String auth = session.auth();
        out.println();
        out.println("== Client lifecycle through the CMG (--auth " + auth + "): registration, policy, location (MP), "
                + "GetConfig at the software update point");
        out.printf("    F3–F5 as above per request; the SUP: cmg-connection-point → SUP01 %s (%s) HTTPS :%d "
                + "(role id %s)%n", LabPlan.SUP_FQDN, plan.supAddress(), plan.supHttps().port(), LabPlan.SUP_ROLE_ID);
        ClientRun run = lab.runClientCommand(plan.configFile(LabPlan.CLIENT_SIM), "lifecycle",
                TraceContext.newTraceId(), ClientAuthArgs.args(auth, bulkToken));
        JsonNode r = run.result();
        if (r != null) {
            out.printf("    steps %s, SMSID %s, approved %s, %d policies, internet MP %s%n", r.path("steps"),
                    r.path("smsId").asText("-"), r.path("approved").asText("-"), r.path("policies").size(),
                    r.path("internetMp").asText("-"));
            out.printf("    WSUS URL %s, SUP GetConfig %s%n", r.path("wsusUrl").asText("-"),
                    r.path("supGetConfig").asText("-"));
        }
        if (run.exitCode() == 0) {
            out.println("OK: client lifecycle through the CMG (MP and SUP)");
            return CmgLabMain.EXIT_OK;
        }
        out.println("FAILED lifecycle at " + (r == null ? "?" : r.path("failedStep").asText("?")) + ": "
                + (r == null ? run.output().strip() : r.path("error").asText(run.summary())));
        return EXIT_LIFECYCLE_FAILED;
    }

    /** C1–C6: distribute a package to the CMG's storage, then client-sim content. */
    int content() throws InterruptedException {
        out.println();
        out.println("== C1 → C6  content from the content-enabled CMG (client-sim content, PKI client certificate)");
        out.printf("    C1  client-sim → CMG → connection point → MP01: ContentLocationRequest (CCM_POST) for %s%n",
                PACKAGE);
        out.println("    C2  MP → client: location https://" + LabPlan.SERVICE_NAME
                + "/downloadrestservice.svc/getcontentxmlsecure?… with a 24 h content token (site token-signing key)");
        out.printf("    C3  client-sim → lab DNS %s (DNS :%d): %s CNAME → %s → VIP%n", plan.dns().address(),
                plan.dns().port(), LabPlan.SERVICE_NAME, plan.deploymentName());
        out.printf("    C4  client-sim → CMG HTTPS :%d getcontentxmlsecure (content token + CCMClientID)%n", plan.port(443));
        out.println("    C5  CMG → client: the manifest with a read-only SAS URL per file (from the CMG's storage account)");
        out.printf("    C6  client-sim → blob storage %s (Azurite %s) HTTPS :%d, HEAD + ranged GETs, SHA-256 checked%n",
                plan.blobHost(), plan.azuriteAddress(), plan.azuriteBlobPort());
        try {
            distribute();
        } catch (IOException | RuntimeException e) {
            out.println("FAILED at C0 (site-sim → blob storage, distribution): " + e.getMessage());
            return EXIT_CONTENT_FAILED;
        }
        String trace = TraceContext.newTraceId();
        Path dest = plan.stateDir().resolve("demo").resolve("ccmcache").resolve(trace);
        ClientRun run = lab.runClientCommand(plan.configFile(LabPlan.CLIENT_SIM), "content", trace,
                List.of("--package", PACKAGE, "--dest", dest.toString()));
        List<FlowEvent> events = lab.collectEvents(trace).events().stream()
                .filter(e -> e.step() != null && e.step().startsWith("C"))
                .sorted(Comparator.comparing(FlowEvent::step).thenComparing(e -> e.time() == null ? "" : e.time()))
                .toList();
        out.println();
        out.println("Trace " + trace + " (client-sim content, " + events.size() + " content events)");
        HopTrace.format(events).forEach(out::println);
        JsonNode r = run.result();
        if (run.exitCode() == 0 && r != null && "complete".equals(r.path("state").asText())) {
            out.printf("OK: C1 → C6, %d files verified, %d bytes downloaded into %s%n", r.path("files").size(),
                    r.path("bytesThisRun").asLong(), dest);
            return CmgLabMain.EXIT_OK;
        }
        out.println("FAILED at " + (r == null ? "?" : r.path("step").asText("?")) + ": "
                + (r == null ? run.output().strip() : r.path("failure").asText(run.summary())));
        return EXIT_CONTENT_FAILED;
    }

    /** Distributes {@link #PACKAGE} unless the site already has it on the CMG; waits until it is Distributed. */
    void distribute() throws IOException, InterruptedException {
        String state = contentState();
        if (state.startsWith("Distributed")) {
            out.println("    " + PACKAGE + " is already on the CMG: " + state);
            return;
        }
        lab.adminPost(plan.siteSimAdmin(), "/distribute?package=" + PACKAGE + "&version=1&files=3&bytes=600000");
        long deadline = System.nanoTime() + DISTRIBUTE_TIMEOUT.toNanos();
        while (!(state = contentState()).startsWith("Distributed")) {
            if (state.startsWith("Failed")) {
                throw new IllegalStateException(state);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not distributed within " + DISTRIBUTE_TIMEOUT.toSeconds() + " s ("
                        + state + ")");
            }
            Thread.sleep(200);
        }
        out.println("    distributed by site-sim into the CMG's storage account: " + state);
    }

    private String contentState() throws IOException, InterruptedException {
        JsonNode c = Json.MAPPER.readTree(lab.adminPost(plan.siteSimAdmin(), "/content"));
        return c.path("states").path(PACKAGE).asText("");
    }

    /** The article's port list, each row marked from the flow events since the lab started. */
    void portTable() {
        out.println();
        out.println("== The article's port list, marked from the flow events of this lab (" + plan.logDir() + "/flow-*.jsonl)");
        PortTable.format(PortTable.mark(plan, PortTable.readAll(plan.logDir(), session.since()))).forEach(out::println);
    }

    /** Prints one trace (flow order for one request, time order for several) and its verdict. */
    int report(String what, ClientRun run, LabProcesses.TraceEvents te) {
        long requests = te.events().stream().filter(e -> "F3".equals(e.step()) && "request".equals(e.phase())).count();
        List<FlowEvent> ordered = requests > 1
                ? te.events().stream().sorted(Comparator.comparing(e -> e.time() == null ? "" : e.time())).toList()
                : HopTrace.order(te.events());
        out.println();
        out.println("Trace " + run.traceId() + " (" + what + ", " + ordered.size() + " hop events"
                + (requests > 1 ? ", " + requests + " requests in time order" : "") + ")");
        HopTrace.format(ordered).forEach(out::println);
        if (!te.unreachable().isEmpty() && !session.attached()) {
            out.println("  (admin endpoint not answering, read its flow-*.jsonl instead: "
                    + String.join(", ", te.unreachable()) + ")");
        }
        String mps = run.mps().stream().map(m -> m.name() + " (" + m.fqdn() + ")").collect(Collectors.joining(", "));
        out.printf("Reply: client-sim exit %d, %s, %d bytes%s%n", run.exitCode(), run.summary(), run.bodyBytes(),
                mps.isEmpty() ? "" : ", MPs: " + mps);
        HopTrace.Verdict v = HopTrace.analyze(te.events(), run.exitCode(), run.summary());
        if (v.ok()) {
            out.println("OK: F3 → F4 → F5 and back, every hop ok");
            return CmgLabMain.EXIT_OK;
        }
        out.println(v.message());
        if (run.result() == null) {
            out.println("client-sim output (see " + plan.logDir().resolve("client-sim.out") + "):");
            out.println(run.output().strip());
        }
        return CmgLabMain.EXIT_FLOW_FAILED;
    }

    /**
     * Every step on a lab that is up: F1/F2, F3–F5, then (unless the connection point was killed) the lifecycle and
     * C1–C6; the port table at the end. Returns the first failure's exit code, else 0.
     */
    public int run() throws InterruptedException {
        int code = deploymentAndChannels();
        if (code != CmgLabMain.EXIT_OK) {
            portTable();
            return code;
        }
        code = basicFlow();
        if (killConnectionPoint) {
            out.println();
            out.println("(lifecycle and content skipped: the connection point was killed)");
            portTable();
            return code;
        }
        int lifecycle = lifecycle();
        int content = content();
        portTable();
        return code != CmgLabMain.EXIT_OK ? code : lifecycle != CmgLabMain.EXIT_OK ? lifecycle : content;
    }
}
