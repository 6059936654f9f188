package org.cmglab.lab;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.runtime.AdminAction;
import org.cmglab.proto.runtime.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The faults {@code cmglab fault} injects into a running lab, each with its undo, and the record of the active
 * ones (shown in the lab status). Every change goes through the components' admin endpoints
 * ({@link LabProcesses#adminPost}) or the lab's own process control:
 *
 * <table>
 *   <tr><th>fault</th><th>how</th><th>undo</th></tr>
 *   <tr><td>{@code block-tcp-tls}</td><td>azure-sim {@code POST /nsg?port=10140+i&access=Deny} for every instance:
 *       the connection point's TCP-TLS channels fall back to HTTPS</td><td>{@code access=Allow}</td></tr>
 *   <tr><td>{@code kill-instance [i]}</td><td>SIGKILL of VM instance i (default 0): it shows Crashed</td>
 *       <td>azure-sim {@code POST /restart-instance?index=i}</td></tr>
 *   <tr><td>{@code cut-channel}</td><td>the connection point is stopped: every channel closes</td><td>started again
 *       (it reopens the channels)</td></tr>
 *   <tr><td>{@code stop-proxy} (needs {@code --proxy})</td><td>the web proxy's process is stopped</td><td>started
 *       again</td></tr>
 *   <tr><td>{@code blackhole-proxy} (needs {@code --proxy})</td><td>web proxy {@code POST /blackhole}: tunnels stay
 *       open but silent (no FIN, no RST)</td><td>{@code POST /resume}</td></tr>
 *   <tr><td>{@code skew-clock <component> <seconds>}</td><td>{@code POST /clock?skew=} on the component (every CMG
 *       instance for {@code cmg-service})</td><td>{@code skew=0}</td></tr>
 *   <tr><td>{@code expire-tokens}</td><td>the clocks of site-sim and every CMG instance jump ahead by the CCM access
 *       token lifetime (8 h) + 10 min: every token issued so far is expired (401), new ones are issued and accepted
 *       </td><td>{@code skew=0}</td></tr>
 *   <tr><td>{@code strip-header <name>}, {@code block-verb <VERB>}</td><td>the rule on both hops of fw01, and the lab
 *       DNS points mp01 at fw01's inside address, so connection point → MP goes through it</td><td>rule removed; mp01
 *       points at the MP again when no device fault is left</td></tr>
 * </table>
 */
public final class LabFaults {
    private static final Logger log = LoggerFactory.getLogger(LabFaults.class);
    /** The CCM access token lifetime (8 h) plus 10 minutes, past the verifiers' allowed skew. */
    static final long EXPIRE_TOKENS_SKEW_SECONDS = Duration.ofHours(8).plusMinutes(10).toSeconds();
    static final Duration RESTART_TIMEOUT = Duration.ofSeconds(60);

    /** The fault names, in the order {@code --help} lists them. */
    public static final List<String> NAMES = List.of("block-tcp-tls", "kill-instance", "cut-channel", "stop-proxy",
            "blackhole-proxy", "skew-clock", "expire-tokens", "strip-header", "block-verb");

    /** Fault states in the status: being applied, active, failed (detail: why), being undone, undo failed. */
    public static final String APPLYING = "applying";
    public static final String ACTIVE = "active";
    public static final String FAILED = "failed";
    public static final String UNDOING = "undoing";
    public static final String UNDO_FAILED = "undo-failed";

    /** A fault as the status shows it. */
    public record Active(String name, String since, String detail, String state) {}

    private final LabProcesses lab;
    private final LabTopology topo;
    private final Map<String, ComponentProcess> extras;
    private final Map<String, Active> active = new LinkedHashMap<>();
    /** Faults are applied and undone one at a time, off the admin event loop (some take a minute: a restart). */
    private final java.util.concurrent.ExecutorService worker = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "cmglab-faults");
        t.setDaemon(true);
        return t;
    });

    LabFaults(LabProcesses lab, LabTopology topo, Map<String, ComponentProcess> extras) {
        this.lab = lab;
        this.topo = topo;
        this.extras = extras;
    }

    public synchronized List<Active> active() {
        return List.copyOf(active.values());
    }

    /** Stops the worker (the supervisor is stopping the lab). */
    void close() {
        worker.shutdownNow();
    }

    /** {@code fault/<name>}, {@code undo/<name>} and {@code undo/all} for the supervisor's admin endpoint. */
    Map<String, AdminAction> actions() {
        Map<String, AdminAction> m = new LinkedHashMap<>();
        for (String n : NAMES) {
            m.put("fault/" + n, (q, body) -> apply(n, first(q, "arg")));
            m.put("undo/" + n, (q, body) -> undo(n, first(q, "arg")));
        }
        m.put("undo/all", (q, body) -> undoAll());
        return m;
    }

    static String first(Map<String, List<String>> q, String key) {
        List<String> v = q.get(key);
        return v == null || v.isEmpty() || v.get(0).isBlank() ? null : v.get(0).strip();
    }

    /** The key a fault is recorded under: its name, plus the argument where several can be active at once. */
    static String key(String name, String arg) {
        return switch (name) {
            case "strip-header", "block-verb", "kill-instance" -> name + (arg == null ? "" : " " + arg);
            case "skew-clock" -> name + (arg == null ? "" : " " + arg.strip().split("[ ,]+")[0]);
            default -> name;
        };
    }

    /**
     * Checks fault {@code name} and its argument (IllegalArgumentException: 400; IllegalStateException: 409, e.g.
     * already active or no web proxy), records it as {@value #APPLYING} and applies it in the background; the status
     * then shows it {@value #ACTIVE} or {@value #FAILED} with the reason.
     */
    public synchronized Map<String, Object> apply(String name, String arg) {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("fault: " + name + " (expected one of " + NAMES + ")");
        }
        switch (name) {
            case "kill-instance" -> arg = String.valueOf(instance(arg));
            case "stop-proxy", "blackhole-proxy" -> requireProxy(name);
            case "strip-header" -> requireArg(name, arg, "<header name>");
            case "block-verb" -> requireArg(name, arg, "<VERB>");
            case "skew-clock" -> {
                skewArgs(arg);
                clockTargets(arg.strip().split("[ ,]+")[0]);
            }
            default -> arg = null;
        }
        String key = key(name, arg);
        Active now = active.get(key);
        if (now != null && !now.state().equals(FAILED)) {
            throw new IllegalStateException("fault " + key + " is already " + now.state() + " (undo it first)");
        }
        String since = Instant.now().toString();
        active.put(key, new Active(key, since, "being applied", APPLYING));
        String a = arg;
        worker.submit(() -> {
            try {
                String detail = doApply(name, a);
                record(key, new Active(key, since, detail, ACTIVE));
                log.warn("fault {}: {}", key, detail);
            } catch (Exception e) {
                record(key, new Active(key, since, String.valueOf(e.getMessage()), FAILED));
                log.warn("fault {} could not be applied: {}", key, e.toString());
            }
        });
        return Map.of("accepted", "fault", "fault", key);
    }

    private synchronized void record(String key, Active a) {
        if (a == null) {
            active.remove(key);
        } else {
            active.put(key, a);
        }
    }

    private String doApply(String name, String arg) throws IOException, InterruptedException {
        return switch (name) {
            case "block-tcp-tls" -> blockTcpTls(true);
            case "kill-instance" -> killInstance(instance(arg));
            case "cut-channel" -> stopProcess(LabPlan.CONNECTION_POINT, "the connection point is stopped: every channel "
                    + "to the CMG is closed");
            case "stop-proxy" -> stopProcess(LabTopology.WEB_PROXY, "the web proxy is stopped: HTTPS channels through "
                    + "it fail");
            case "blackhole-proxy" -> {
                post(topo.proxyAdmin(), "/blackhole");
                yield "the web proxy forwards nothing and closes nothing (half-open tunnels)";
            }
            case "skew-clock" -> skewClock(arg, false);
            case "expire-tokens" -> expireTokens(true);
            case "strip-header" -> device("/strip?header=", arg, "strips request header");
            case "block-verb" -> device("/block?verb=", arg, "blocks verb");
            default -> throw new IllegalArgumentException("fault: " + name);
        };
    }

    /**
     * Undoes fault {@code name} (with its argument where several can be active) in the background; the fault leaves
     * the status when done, or shows {@value #UNDO_FAILED} with the reason.
     */
    public synchronized Map<String, Object> undo(String name, String arg) {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("undo: " + name + " (expected one of " + NAMES + " or all)");
        }
        String key = resolve(name, arg);
        Active a = active.get(key);
        if (a.state().equals(APPLYING) || a.state().equals(UNDOING)) {
            throw new IllegalStateException("undo: fault " + key + " is " + a.state() + "; try again in a moment");
        }
        submitUndo(key, a);
        return Map.of("accepted", "undo", "fault", key);
    }

    /** The recorded key for {@code undo name [arg]}: 409 when no such fault is recorded. */
    private String resolve(String name, String arg) {
        String key = key(name, name.equals("kill-instance") && arg == null ? "0" : arg);
        if (arg == null && !active.containsKey(key)) {
            // e.g. "undo skew-clock" while "skew-clock site-sim" is active: the only one of that name
            List<String> same = active.keySet().stream().filter(k -> k.startsWith(name + " ")).toList();
            if (same.size() == 1) {
                key = same.get(0);
            }
        }
        if (!active.containsKey(key)) {
            throw new IllegalStateException("undo: fault '" + key + "' is not active (active: " + active.keySet() + ")");
        }
        return key;
    }

    private void submitUndo(String key, Active a) {
        active.put(key, new Active(key, a.since(), "being undone", UNDOING));
        int sp = key.indexOf(' ');
        String name = sp < 0 ? key : key.substring(0, sp);
        String arg = sp < 0 ? null : key.substring(sp + 1);
        worker.submit(() -> {
            try {
                String done = doUndo(name, arg);
                record(key, null);
                log.warn("fault {} undone: {}", key, done);
            } catch (Exception e) {
                record(key, new Active(key, a.since(), "undo failed: " + e.getMessage(), UNDO_FAILED));
                log.warn("undo of fault {} failed: {}", key, e.toString());
            }
        });
    }

    private String doUndo(String name, String arg) throws IOException, InterruptedException {
        return switch (name) {
            case "block-tcp-tls" -> blockTcpTls(false);
            case "kill-instance" -> restartInstance(instance(arg));
            case "cut-channel" -> startProcess(LabPlan.CONNECTION_POINT);
            case "stop-proxy" -> startProcess(LabTopology.WEB_PROXY);
            case "blackhole-proxy" -> {
                post(topo.proxyAdmin(), "/resume");
                yield "the web proxy forwards again";
            }
            case "skew-clock" -> skewClock(arg, true);
            case "expire-tokens" -> expireTokens(false);
            case "strip-header" -> deviceUndo("/allow-header?header=", arg, "strip-header " + arg);
            case "block-verb" -> deviceUndo("/allow-verb?verb=", arg, "block-verb " + arg);
            default -> throw new IllegalArgumentException("undo: " + name);
        };
    }

    /** Undoes every recorded fault, newest first, in the background. */
    public synchronized Map<String, Object> undoAll() {
        List<String> keys = new ArrayList<>(active.keySet());
        List<String> accepted = new ArrayList<>();
        for (int i = keys.size() - 1; i >= 0; i--) {
            Active a = active.get(keys.get(i));
            if (!a.state().equals(APPLYING) && !a.state().equals(UNDOING)) {
                submitUndo(keys.get(i), a);
                accepted.add(keys.get(i));
            }
        }
        return Map.of("accepted", "undo", "faults", accepted);
    }

    // ------------------------------------------------------------------ the faults

    private String blockTcpTls(boolean deny) throws IOException, InterruptedException {
        LabPlan plan = topo.plan();
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < plan.instances(); i++) {
            post(plan.azureAdmin(), "/nsg?port=" + (10140 + i) + "&access=" + (deny ? "Deny" : "Allow"));
            ports.add(10140 + i);
        }
        String what = (deny ? "NSG denies" : "NSG allows again") + " TCP-TLS ports " + ports + " (+" + plan.portOffset()
                + ") on the VIP";
        if (!plan.classic()) {
            return what + " (a scale set uses HTTPS channels only: nothing changes)";
        }
        if (!deny) {
            return what + ": the connection point returns to TCP-TLS at its next retry (every few seconds)";
        }
        // like an NSG, the rule applies to new connections: restart the connection point so its channels reconnect
        ComponentProcess cp = lab.component(LabPlan.CONNECTION_POINT);
        if (cp.isAlive()) {
            cp.stop();
            cp.start();
            cp.awaitReady(LabProcesses.READY_TIMEOUT);
        }
        return what + "; the connection point was restarted (pid " + cp.pid() + "): its channels fall back to HTTPS";
    }

    private int instance(String arg) {
        int n = topo.plan().instances();
        if (arg == null) {
            return 0;
        }
        if (!arg.matches("\\d{1,2}") || Integer.parseInt(arg) >= n) {
            throw new IllegalArgumentException("kill-instance: " + arg + " (expected: an instance index 0.." + (n - 1) + ")");
        }
        return Integer.parseInt(arg);
    }

    private String killInstance(int i) throws InterruptedException {
        Optional<Long> found;
        try {
            found = instancePid(i);
        } catch (IOException e) {
            throw new IllegalStateException("kill-instance: the service connection point's status is not available: "
                    + e.getMessage(), e);
        }
        long pid = found.orElseThrow(() -> new IllegalStateException("kill-instance: no process id for "
                + LabPlan.cmgServiceName(i) + " in the service connection point's status"));
        ProcessHandle h = ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("kill-instance: "
                + LabPlan.cmgServiceName(i) + " (pid " + pid + ") is not running"));
        h.destroyForcibly();
        try {
            h.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("kill-instance: pid " + pid + " still alive after SIGKILL");
        }
        return LabPlan.cmgServiceName(i) + " (pid " + pid + ") killed (SIGKILL): azure-sim shows it Crashed";
    }

    /** The pid of VM instance {@code i} from the SCP's status. */
    Optional<Long> instancePid(int i) throws IOException, InterruptedException {
        JsonNode st = Json.MAPPER.readTree(lab.component(LabPlan.SCP).adminGet("/status"));
        for (JsonNode in : st.path("instances")) {
            if (in.path("index").asInt(-1) == i && in.path("pid").canConvertToLong() && in.path("pid").asLong() > 0) {
                return Optional.of(in.path("pid").asLong());
            }
        }
        return Optional.empty();
    }

    private String restartInstance(int i) throws IOException, InterruptedException {
        post(topo.plan().azureAdmin(), "/restart-instance?index=" + i);
        Endpoint admin = topo.plan().cmgAdmin(i);
        long deadline = System.nanoTime() + RESTART_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                lab.adminGet(admin, "/ready");
                return LabPlan.cmgServiceName(i) + " restarted by azure-sim and ready";
            } catch (IOException e) {
                Thread.sleep(ComponentProcess.POLL.toMillis() * 3);
            }
        }
        throw new IllegalStateException("undo kill-instance: " + LabPlan.cmgServiceName(i) + " not ready within "
                + RESTART_TIMEOUT.toSeconds() + " s after azure-sim restarted it; see its .out in " + topo.plan().logDir());
    }

    private ComponentProcess process(String name) {
        ComponentProcess c = extras.get(name);
        return c != null ? c : lab.component(name);
    }

    private String stopProcess(String name, String what) {
        ComponentProcess c = process(name);
        if (!c.isAlive()) {
            throw new IllegalStateException(name + " is not running");
        }
        long pid = c.pid();
        c.stop();
        return what + " (pid " + pid + " stopped)";
    }

    private String startProcess(String name) throws InterruptedException {
        ComponentProcess c = process(name);
        if (!c.isAlive()) {
            c.start();
            c.awaitReady(LabProcesses.READY_TIMEOUT);
        }
        return name + " running again (pid " + c.pid() + ")";
    }

    private void requireProxy(String fault) {
        if (!topo.proxy()) {
            throw new IllegalStateException(fault + ": this lab has no web proxy (start it with cmglab up --proxy)");
        }
    }

    private static String requireArg(String fault, String arg, String what) {
        if (arg == null || !arg.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}")) {
            throw new IllegalArgumentException(fault + ": " + arg + " (expected: " + what + ", an HTTP token)");
        }
        return arg;
    }

    /** The admin endpoints a clock fault acts on: a lab component, one CMG instance, or every instance. */
    List<Endpoint> clockTargets(String component) {
        LabPlan plan = topo.plan();
        List<Endpoint> out = new ArrayList<>();
        if (component.equals(LabPlan.CMG_SERVICE)) {
            for (int i = 0; i < plan.instances(); i++) {
                out.add(plan.cmgAdmin(i));
            }
            return out;
        }
        for (int i = 0; i < plan.instances(); i++) {
            if (component.equals(LabPlan.cmgServiceName(i))) {
                return List.of(plan.cmgAdmin(i));
            }
        }
        ComponentProcess c = extras.get(component);
        if (c == null) {
            c = lab.components().stream().filter(p -> p.name().equals(component)).findFirst().orElse(null);
        }
        if (c == null) {
            throw new IllegalArgumentException("skew-clock: component " + component + " (expected: cmg-service, "
                    + "cmg-service-<i>, " + lab.components().stream().map(ComponentProcess::name).toList() + ")");
        }
        return List.of(c.admin());
    }

    /** {@code <component> <seconds>} → the seconds; IllegalArgumentException otherwise. */
    static long skewArgs(String arg) {
        String[] parts = arg == null ? new String[0] : arg.strip().split("[ ,]+");
        if (parts.length != 2 || !parts[1].matches("-?\\d{1,10}")) {
            throw new IllegalArgumentException("skew-clock: " + arg + " (expected: <component> <seconds>, e.g. "
                    + "cmg-service 3600 or site-sim -900)");
        }
        return Long.parseLong(parts[1]);
    }

    private String skewClock(String arg, boolean undo) throws IOException, InterruptedException {
        String component = arg.strip().split("[ ,]+")[0];
        long seconds = undo ? 0 : skewArgs(arg);
        for (Endpoint e : clockTargets(component)) {
            post(e, "/clock?skew=" + seconds);
        }
        return component + " clock " + (undo ? "back to the system clock" : (seconds >= 0 ? "+" : "") + seconds + " s");
    }

    private String expireTokens(boolean on) throws IOException, InterruptedException {
        long s = on ? EXPIRE_TOKENS_SKEW_SECONDS : 0;
        post(topo.plan().siteSimAdmin(), "/clock?skew=" + s);
        for (Endpoint e : clockTargets(LabPlan.CMG_SERVICE)) {
            post(e, "/clock?skew=" + s);
        }
        return on ? "site-sim and the CMG instances run " + s + " s ahead: every CCM token issued so far is expired "
                + "(401); clients get new ones" : "site-sim and the CMG instances back on the system clock";
    }

    private String device(String action, String arg, String what) throws IOException, InterruptedException {
        post(topo.deviceAdmin(), action + arg);
        routeMpThroughDevice(true);
        return LabTopology.DEVICE_NAME + " " + what + " " + arg + " on hops " + LabTopology.HOP_CLIENT_CMG + " and "
                + LabTopology.HOP_CP_MP + "; the lab DNS points " + LabPlan.MP_FQDN + " at " + topo.deviceInside()
                + " (connection point → MP through the device)";
    }

    private String deviceUndo(String action, String arg, String key) throws IOException, InterruptedException {
        post(topo.deviceAdmin(), action + arg);
        boolean otherDeviceFault = active().stream().map(Active::name)
                .anyMatch(k -> !k.equals(key) && (k.startsWith("strip-header") || k.startsWith("block-verb")));
        if (!otherDeviceFault) {
            routeMpThroughDevice(false);
        }
        return LabTopology.DEVICE_NAME + " rule for " + arg + " removed" + (otherDeviceFault ? ""
                : "; " + LabPlan.MP_FQDN + " points at the MP " + topo.plan().mpAddress() + " again");
    }

    private void routeMpThroughDevice(boolean on) throws IOException, InterruptedException {
        String to = on ? topo.deviceInside() : topo.plan().mpAddress();
        post(topo.plan().azureAdmin(), "/dns?name=" + LabPlan.MP_FQDN + "&type=A&value=" + to);
    }

    private void post(Endpoint at, String pathAndQuery) throws IOException, InterruptedException {
        try {
            lab.adminPost(at, pathAndQuery);
        } catch (IOException e) {
            // adminPost names the call for a non-200; a refused or timed-out connection has no such message
            String m = e.getMessage() != null && e.getMessage().startsWith("POST ") ? e.getMessage()
                    : "POST http://" + at + pathAndQuery + ": " + e;
            throw new IllegalStateException(m, e);
        }
    }
}
