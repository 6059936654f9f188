package org.cmglab.scp;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.config.AzureEnvironment;
import org.cmglab.proto.config.PublishedRole;
import org.cmglab.proto.config.ScpConfig;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.pki.IssuedCert;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cloud service manager (CloudMgr, {@code SMS_CLOUD_SERVICES_MANAGER}) of the service connection point: deploys
 * the CMG through Resource Manager, waits until every role instance is {@code ReadyRole}, monitors it (provisioning
 * state, instance health, channel status and traffic reported by the instances), scales it, renews its server
 * certificate and deletes it, keeping a console-like state with its history.
 *
 * <p>Tasks run one at a time on CloudMgr's own worker thread (like the product's TaskManager); the monitor runs on the
 * same thread between tasks. Public operations validate locally, then return a future of the task's final state.
 */
public final class CloudServiceManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("CloudMgr");

    /** Console status of the CMG (Ready, Provisioning, Upgrading, Error are the product's words; see cmg-facts §5.2). */
    public enum State { Provisioning, Ready, Upgrading, Deleting, Deleted, Error }

    /** One entry of the state history. */
    public record StateChange(State state, String reason, String time) {}

    /**
     * @param monitorInterval time between two monitor rounds (5 s in the lab, 1 s in tests)
     * @param readyPoll       time between two GETs while waiting for the instances
     * @param readyTimeout    instances not all ReadyRole by then = Error
     */
    public record Settings(Duration monitorInterval, Duration readyPoll, Duration readyTimeout) {
        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofMinutes(15));
        }
    }

    public static final String VMSS = "VirtualMachineScaleSet";
    public static final String CLASSIC = "CloudServiceClassic";
    /** {@code SMS_AzureService.ServiceType} of a CMG. */
    public static final String TYPE_CMG = "CloudProxyService";
    /** {@code SMS_AzureService.ServiceType} of a cloud distribution point (refused). */
    public static final String TYPE_CLOUD_DP = "CloudDistributionPoint";
    /**
     * The product's deprecation notice for the cloud distribution point, as Microsoft Learn words it in
     * "Removed and deprecated features for Configuration Manager" (memdocs
     * {@code core/plan-design/changes/deprecated/removed-and-deprecated-cmfeatures.md}, deprecated-features table).
     */
    public static final String CLOUD_DP_DEPRECATED = "The implementation for sharing content from Azure has changed. "
            + "Use a content-enabled cloud management gateway. Starting in version 2107, you can't create a "
            + "traditional cloud distribution point.";
    /** VM sizes the wizard offers (cmg-facts §5.1). */
    public static final Map<String, String> VM_SIZES = Map.of(
            "Standard_B2s", "Lab", "Standard_A2_v2", "Standard", "Standard_A4_v2", "Large");
    public static final int MAX_INSTANCES = 16;

    private final ScpConfig config;
    private final AzureEnvironment env;
    private final ResourceManagerClient arm;
    private final InstanceStatusReader instanceReader;
    private final Settings settings;
    private final ScheduledExecutorService worker;

    // guarded by this
    private State state;
    private String reason;
    private final List<StateChange> history = new ArrayList<>();
    private String currentTask;
    private JsonNode resource;
    private final Map<String, Map<String, Object>> instances = new LinkedHashMap<>();
    private String lastMonitor;
    private String monitorError;
    private int upgradeMinReady = -1;
    private String method;

    public CloudServiceManager(ScpConfig config, AzureEnvironment env, ResourceManagerClient arm,
                               InstanceStatusReader instanceReader, Settings settings) {
        this.config = Objects.requireNonNull(config, "config");
        this.env = Objects.requireNonNull(env, "env");
        this.arm = Objects.requireNonNull(arm, "arm");
        this.instanceReader = Objects.requireNonNull(instanceReader, "instanceReader");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.method = config.deploymentMethod();
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "CloudMgr-worker");
            t.setDaemon(true);
            return t;
        });
    }

    // ---------------------------------------------------------------- operations

    /** Starts the monitor loop (every {@link Settings#monitorInterval()}). */
    public void startMonitoring() {
        long ms = settings.monitorInterval().toMillis();
        worker.scheduleWithFixedDelay(this::monitorOnce, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** Deploys the CMG of the configuration (or adopts the existing resource). */
    public CompletableFuture<State> deploy() {
        return deploy(TYPE_CMG);
    }

    /**
     * Deploys a cloud service of {@code serviceType} ({@link #TYPE_CMG}; {@link #TYPE_CLOUD_DP} is refused with the
     * product's deprecation message). Throws {@link IllegalArgumentException} when the request is invalid (nothing is
     * sent to Azure) and {@link IllegalStateException} when CloudMgr is busy.
     */
    public CompletableFuture<State> deploy(String serviceType) {
        validateDeployment(serviceType);
        Map<String, Object> body = createBody();
        return submit("CreateDeployment", () -> runDeploy(body));
    }

    /** Changes the number of VM instances (1..16) without taking the service down. */
    public CompletableFuture<State> scale(int count) {
        if (count < 1 || count > MAX_INSTANCES) {
            throw new IllegalArgumentException("The number of VM instances must be between 1 and " + MAX_INSTANCES
                    + " (requested " + count + ")");
        }
        requireDeployed("scale");
        return submit("UpdateDeployment", () -> runScale(count));
    }

    /** Uploads a renewed server-authentication certificate (same service name) to the CMG. */
    public CompletableFuture<State> renewCertificate(TlsFiles files) {
        Objects.requireNonNull(files, "files");
        IssuedCert cert;
        try {
            cert = IssuedCert.readPem(Path.of(files.certFile()), Path.of(files.keyFile()));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("Cannot read the server authentication certificate: " + e.getMessage(), e);
        }
        String cn = commonName(cert.certificate());
        if (cn == null || !cn.equalsIgnoreCase(config.serviceName())) {
            throw new IllegalArgumentException("The certificate's common name " + cn
                    + " doesn't match the service name " + config.serviceName());
        }
        if (cert.certificate().getNotAfter().toInstant().isBefore(Instant.now())) {
            throw new IllegalArgumentException("The certificate expired on " + cert.certificate().getNotAfter());
        }
        requireDeployed("renew the certificate of");
        Map<String, Object> cmg = new LinkedHashMap<>();
        cmg.put("certificatePem", read(files.certFile(), "certificate"));
        cmg.put("privateKeyPem", read(files.keyFile(), "private key"));
        return submit("UpdateDeployment", () -> runRenew(cmg, cert.thumbprintSha1Hex()));
    }

    /** Deletes the CMG in Azure. */
    public CompletableFuture<State> delete() {
        requireDeployed("delete");
        return submit("DeleteDeployment", this::runDelete);
    }

    // ---------------------------------------------------------------- validation

    private void validateDeployment(String serviceType) {
        if (TYPE_CLOUD_DP.equalsIgnoreCase(serviceType) || TYPE_CLOUD_DP.equalsIgnoreCase(config.deploymentMethod())) {
            log.error("Refusing to create a cloud distribution point: {}", CLOUD_DP_DEPRECATED);
            throw new IllegalArgumentException(CLOUD_DP_DEPRECATED);
        }
        if (serviceType != null && !TYPE_CMG.equalsIgnoreCase(serviceType)) {
            throw new IllegalArgumentException("Unknown service type " + serviceType + " (expected: " + TYPE_CMG + ")");
        }
        if (!VMSS.equals(config.deploymentMethod()) && !CLASSIC.equals(config.deploymentMethod())) {
            throw new IllegalArgumentException("Unknown deployment method " + config.deploymentMethod()
                    + " (expected: " + VMSS + " or " + CLASSIC + ")");
        }
        if (config.instances() < 1 || config.instances() > MAX_INSTANCES) {
            throw new IllegalArgumentException("The number of VM instances must be between 1 and " + MAX_INSTANCES
                    + " (requested " + config.instances() + ")");
        }
        if (config.vmSize() == null || !VM_SIZES.containsKey(config.vmSize())) {
            throw new IllegalArgumentException("Unknown VM size " + config.vmSize() + " (expected: Standard_B2s (Lab), "
                    + "Standard_A2_v2 (Standard) or Standard_A4_v2 (Large))");
        }
        if (config.serverCertificate() == null) {
            throw new IllegalArgumentException("No server authentication certificate");
        }
        if (CLASSIC.equals(config.deploymentMethod())) {
            log.warn("Deploying a CMG as a cloud service (classic): the product removed this option in version 2203; "
                    + "the lab keeps it to exercise TCP-TLS channels");
        }
        synchronized (this) {
            if (state != null && state != State.Deleted && state != State.Error) {
                throw new IllegalStateException("Service " + config.serviceName() + " is already deployed (state "
                        + state + ")");
            }
        }
    }

    private synchronized void requireDeployed(String what) {
        if (state == null || state == State.Deleted) {
            throw new IllegalStateException("Cannot " + what + " service " + config.serviceName()
                    + ": it is not deployed (state " + (state == null ? "NotDeployed" : state) + ")");
        }
    }

    private Map<String, Object> createBody() {
        Map<String, Object> cmg = new LinkedHashMap<>();
        cmg.put("serviceName", config.serviceName());
        cmg.put("siteCode", config.siteCode());
        cmg.put("certificatePem", read(config.serverCertificate().certFile(), "server certificate"));
        cmg.put("privateKeyPem", read(config.serverCertificate().keyFile(), "server certificate key"));
        cmg.put("trustedRootsPem", config.trustedRoots().stream().map(f -> read(f, "trusted root")).toList());
        cmg.put("connectorRootsPem", config.connectorRoots().stream().map(f -> read(f, "connector root")).toList());
        List<Map<String, String>> roles = new ArrayList<>();
        for (PublishedRole r : config.publishedRoles()) {
            roles.add(Map.of("roleId", r.roleId(), "kind", r.kind(), "siteCode", r.siteCode() == null ? "" : r.siteCode()));
        }
        cmg.put("publishedRoles", roles);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("location", config.region());
        body.put("sku", Map.of("name", config.vmSize(), "capacity", config.instances()));
        body.put("properties", Map.of("cmg", cmg));
        return body;
    }

    private static String read(String file, String what) {
        try {
            return Files.readString(Path.of(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read the " + what + " file " + file + ": " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- tasks

    @FunctionalInterface
    private interface Task {
        void run() throws Exception;
    }

    private CompletableFuture<State> submit(String name, Task task) {
        String full = name + " for service " + config.serviceName();
        synchronized (this) {
            if (currentTask != null) {
                throw new IllegalStateException("CloudMgr is busy: task [" + currentTask + "] is running");
            }
            currentTask = full;
        }
        CompletableFuture<State> done = new CompletableFuture<>();
        log.info("TaskManager: Task [{}] queued", full);
        worker.execute(() -> {
            log.info("TaskManager: Task [{}] is starting", full);
            String outcome = "Completed";
            try {
                task.run();
            } catch (AzureException e) {
                outcome = "Faulted";
                transition(State.Error, e.reason());
            } catch (DeploymentFailure e) {
                outcome = "Faulted";
                transition(State.Error, e.getMessage());
            } catch (Exception e) {
                outcome = "Faulted";
                transition(State.Error, "Task " + name + " failed: " + e.getMessage());
                log.error("Task [{}] failed", full, e);
            } finally {
                synchronized (this) {
                    currentTask = null;
                }
            }
            log.info("TaskManager: Task [{}] status is {}", full, outcome);
            done.complete(state());
        });
        return done;
    }

    private void runDeploy(Map<String, Object> body) throws Exception {
        method = config.deploymentMethod();
        transition(State.Provisioning, "Starting to Deploy Service");
        log.info("Starting to Deploy Service {} ({} deployment {} in {}, {} x {}, environment {})", config.serviceName(),
                VMSS.equals(method) ? "virtual machine scale set" : "cloud service (classic)", deploymentName(),
                config.region(), config.instances(), config.vmSize(), env.name());
        try {
            arm.authenticate();
        } catch (AzureException e) {
            throw new DeploymentFailure("Failed to get an Entra ID token for Resource Manager: " + e.reason());
        }
        JsonNode existing = arm.getOrNull(resourcePath(), apiVersion(), "CreateDeployment: look up " + config.prefix());
        int expected = config.instances();
        if (existing != null) {
            expected = existing.path("sku").path("capacity").asInt(expected);
            log.info("Resource Manager - {} {} already exists (provisioningState {}); adopting it", resourceType(),
                    config.prefix(), existing.path("properties").path("provisioningState").asText());
            absorb(existing);
        } else {
            log.info("Resource Manager - Creating {} {} in resource group {} with deployment CreateDeployment{}",
                    resourceType(), config.prefix(), config.resourceGroup(), config.prefix());
            ResourceManagerClient.ArmResponse r = arm.write(HttpMethod.PUT, resourcePath(), apiVersion(), body,
                    "CreateDeployment");
            arm.awaitOperation(r, "CreateDeployment", this::refreshQuietly);
        }
        waitForReady(expected, false);
        transition(State.Ready, "Deployment instance status for service " + config.serviceName() + " is ReadyRole");
    }

    private void runScale(int count) throws Exception {
        int from = currentCapacity();
        transition(State.Upgrading, "Scaling service " + config.serviceName() + " from " + from + " to " + count
                + " instance(s)");
        log.info("Resource Manager - Updating {} {}: instance count {} -> {}", resourceType(), config.prefix(), from, count);
        startUpgradeWatch();
        ResourceManagerClient.ArmResponse r = arm.write(HttpMethod.PATCH, resourcePath(), apiVersion(),
                Map.of("sku", Map.of("capacity", count)), "UpdateDeployment (instance count " + count + ")");
        arm.awaitOperation(r, "UpdateDeployment", this::refreshQuietly);
        waitForReady(count, true);
        transition(State.Ready, "Deployment instance status for service " + config.serviceName() + " is ReadyRole ("
                + count + " instance(s))");
    }

    private void runRenew(Map<String, Object> cmg, String thumbprint) throws Exception {
        transition(State.Upgrading, "Updating the server authentication certificate of service " + config.serviceName()
                + " (thumbprint " + thumbprint + ")");
        log.info("Resource Manager - Updating {} {}: server authentication certificate {}", resourceType(),
                config.prefix(), thumbprint);
        startUpgradeWatch();
        ResourceManagerClient.ArmResponse r = arm.write(HttpMethod.PATCH, resourcePath(), apiVersion(),
                Map.of("properties", Map.of("cmg", cmg)), "UpdateDeployment (certificate)");
        arm.awaitOperation(r, "UpdateDeployment", this::refreshQuietly);
        waitForReady(currentCapacity(), true);
        transition(State.Ready, "Deployment instance status for service " + config.serviceName()
                + " is ReadyRole (certificate " + thumbprint + ")");
    }

    private void runDelete() throws Exception {
        transition(State.Deleting, "Deleting service " + config.serviceName());
        log.info("Resource Manager - Deleting {} {} in resource group {}", resourceType(), config.prefix(),
                config.resourceGroup());
        ResourceManagerClient.ArmResponse r = arm.write(HttpMethod.DELETE, resourcePath(), apiVersion(), null,
                "DeleteDeployment");
        arm.awaitOperation(r, "DeleteDeployment", null);
        long deadline = System.nanoTime() + settings.readyTimeout().toNanos();
        while (arm.getOrNull(resourcePath(), apiVersion(), "DeleteDeployment: confirm") != null) {
            if (System.nanoTime() > deadline) {
                throw new DeploymentFailure("Service " + config.serviceName() + " still exists after the delete operation");
            }
            ResourceManagerClient.sleep(settings.readyPoll());
        }
        synchronized (this) {
            resource = null;
            instances.clear();
        }
        transition(State.Deleted, "Service " + config.serviceName() + " deleted");
    }

    /** GETs the resource until it is Succeeded with {@code expected} instances all ReadyRole. */
    private void waitForReady(int expected, boolean upgrading) throws Exception {
        long deadline = System.nanoTime() + settings.readyTimeout().toNanos();
        while (true) {
            JsonNode res = arm.getOrNull(resourcePath(), apiVersion(), "monitor");
            if (res == null) {
                throw new AzureException(404, "ResourceNotFound", "service " + config.serviceName()
                        + " is not in resource group " + config.resourceGroup());
            }
            Evaluation ev = absorb(res);
            if (ev.failedInstance() != null) {
                throw new DeploymentFailure(ev.failedInstance());
            }
            if ("Failed".equals(ev.provisioningState())) {
                throw new DeploymentFailure("Provisioning state of service " + config.serviceName() + " is Failed");
            }
            if ("Succeeded".equals(ev.provisioningState()) && ev.total() == expected && ev.ready() == expected) {
                if (upgrading) {
                    endUpgradeWatch();
                }
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new DeploymentFailure("Deployment instance status for service " + config.serviceName() + ": "
                        + ev.ready() + " of " + expected + " instance(s) ReadyRole after "
                        + settings.readyTimeout().toMinutes() + " min");
            }
            ResourceManagerClient.sleep(settings.readyPoll());
        }
    }

    private void refreshQuietly() {
        try {
            JsonNode res = arm.getOrNull(resourcePath(), apiVersion(), "monitor");
            if (res != null) {
                absorb(res);
            }
        } catch (AzureException | IOException e) {
            log.debug("refresh failed: {}", e.toString());
        }
    }

    // ---------------------------------------------------------------- monitoring

    /** What one GET of the resource says. */
    record Evaluation(String provisioningState, int total, int ready, String failedInstance) {}

    /** Takes in a GET of the resource: instance states (logged when they change), deployment summary. */
    private Evaluation absorb(JsonNode res) {
        String ps = res.path("properties").path("provisioningState").asText("");
        int total = 0;
        int ready = 0;
        String failed = null;
        List<String> seen = new ArrayList<>();
        synchronized (this) {
            resource = res;
            for (JsonNode i : res.path("properties").path("instances")) {
                String role = i.path("roleInstance").asText("ProxyService_IN_" + i.path("index").asInt());
                String st = i.path("state").asText("Unknown");
                seen.add(role);
                Map<String, Object> view = instances.computeIfAbsent(role, k -> new LinkedHashMap<>());
                Object before = view.get("state");
                view.put("index", i.path("index").asInt());
                view.put("roleInstance", role);
                view.put("address", i.path("address").asText(null));
                view.put("pid", i.path("pid").isNumber() ? i.path("pid").asLong() : null);
                view.put("state", st);
                view.put("healthy", "ReadyRole".equals(st));
                if (!st.equals(before)) {
                    log.info("Deployment instance status for service {} is {} (role instance {})",
                            config.serviceName(), st, role);
                }
                total++;
                if ("ReadyRole".equals(st)) {
                    ready++;
                } else if (("Crashed".equals(st) || "Stopped".equals(st)) && failed == null) {
                    failed = "Deployment instance status for service " + config.serviceName() + " is " + st
                            + " (role instance " + role + ")";
                }
            }
            instances.keySet().retainAll(seen);
            if (upgradeMinReady >= 0) {
                if (ready == 0 && upgradeMinReady > 0) {
                    log.warn("No role instance of service {} is ReadyRole during the upgrade", config.serviceName());
                }
                upgradeMinReady = Math.min(upgradeMinReady, ready);
            }
        }
        return new Evaluation(ps, total, ready, failed);
    }

    private void monitorOnce() {
        State s;
        synchronized (this) {
            if (currentTask != null || state == null || state == State.Deleted) {
                return;
            }
            s = state;
        }
        try {
            JsonNode res = arm.getOrNull(resourcePath(), apiVersion(), "monitor");
            synchronized (this) {
                lastMonitor = Instant.now().toString();
                monitorError = null;
            }
            if (res == null) {
                if (s != State.Deleted) {
                    transitionIfChanged(State.Error, "Service " + config.serviceName()
                            + " was not found in Azure (ResourceNotFound)");
                }
                return;
            }
            Evaluation ev = absorb(res);
            readChannels(res);
            State target = null;
            String why = null;
            switch (ev.provisioningState()) {
                case "Creating" -> { target = State.Provisioning; why = "Provisioning state is Creating"; }
                case "Updating" -> { target = State.Upgrading; why = "Provisioning state is Updating"; }
                case "Deleting" -> { target = State.Deleting; why = "Provisioning state is Deleting"; }
                case "Failed" -> { target = State.Error; why = "Provisioning state of service " + config.serviceName()
                        + " is Failed"; }
                case "Succeeded" -> {
                    if (ev.failedInstance() != null) {
                        target = State.Error;
                        why = ev.failedInstance();
                    } else if (ev.total() > 0 && ev.ready() == ev.total()) {
                        target = State.Ready;
                        why = "Deployment instance status for service " + config.serviceName() + " is ReadyRole";
                    }
                }
                default -> { }
            }
            if (target != null) {
                transitionIfChanged(target, why);
            }
        } catch (AzureException | IOException e) {
            synchronized (this) {
                monitorError = e.getMessage();
            }
            log.warn("Failed to get the status of service {}: {}", config.serviceName(), e.getMessage());
            transitionIfChanged(State.Error, "Failed to get the status of service " + config.serviceName() + ": "
                    + (e instanceof AzureException a ? a.reason() : e.getMessage()));
        } catch (RuntimeException e) {
            log.error("monitor round failed", e);
        }
    }

    /** Reads each instance's channel status (the lab stand-in for what the site learns from the CMG). */
    private void readChannels(JsonNode res) {
        for (JsonNode i : res.path("properties").path("instances")) {
            String role = i.path("roleInstance").asText("ProxyService_IN_" + i.path("index").asInt());
            InstanceStatusReader.InstanceReport r = "ReadyRole".equals(i.path("state").asText())
                    ? instanceReader.read(i) : null;
            synchronized (this) {
                Map<String, Object> view = instances.get(role);
                if (view == null) {
                    continue;
                }
                if (r == null) {
                    view.put("channels", List.of());
                    view.put("channelsReady", 0);
                    view.remove("statusError");
                    continue;
                }
                Object before = view.get("channelsReady");
                view.put("channels", r.channels());
                view.put("channelsReady", r.channelsReady());
                view.put("traffic", Map.of("requests", r.requests(), "failures", r.failures()));
                if (r.error() == null) {
                    view.remove("statusError");
                } else {
                    view.put("statusError", r.error());
                }
                if (!Integer.valueOf(r.channelsReady()).equals(before)) {
                    log.info("Role instance {} of service {} reports {} ready connection point channel(s)", role,
                            config.serviceName(), r.channelsReady());
                }
            }
        }
    }

    private void startUpgradeWatch() {
        synchronized (this) {
            upgradeMinReady = Integer.MAX_VALUE;
        }
    }

    private synchronized void endUpgradeWatch() {
        if (upgradeMinReady == 0) {
            log.warn("Service {} had no ReadyRole instance during the upgrade", config.serviceName());
        }
        lastUpgradeMinReady = upgradeMinReady == Integer.MAX_VALUE ? -1 : upgradeMinReady;
        upgradeMinReady = -1;
    }

    private int lastUpgradeMinReady = -1;

    // ---------------------------------------------------------------- state

    private void transitionIfChanged(State s, String why) {
        synchronized (this) {
            if (s == state && (s != State.Error || Objects.equals(why, reason))) {
                return;
            }
        }
        transition(s, why);
    }

    private void transition(State s, String why) {
        synchronized (this) {
            state = s;
            reason = why;
            history.add(new StateChange(s, why, Instant.now().toString()));
        }
        if (s == State.Error) {
            log.error("Service {} status is {}: {}", config.serviceName(), s, why);
        } else {
            log.info("Service {} status is {}: {}", config.serviceName(), s, why);
        }
    }

    public synchronized State state() {
        return state;
    }

    public synchronized String reason() {
        return reason;
    }

    public synchronized List<StateChange> history() {
        return List.copyOf(history);
    }

    /** True while a task (deploy, scale, renew, delete) runs. */
    public synchronized boolean busy() {
        return currentTask != null;
    }

    private synchronized int currentCapacity() {
        return resource == null ? config.instances() : resource.path("sku").path("capacity").asInt(config.instances());
    }

    /** The status JSON of the SCP's admin endpoint. */
    public synchronized Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("serviceName", config.serviceName());
        m.put("serviceType", TYPE_CMG);
        m.put("environment", env.name());
        m.put("state", state == null ? "NotDeployed" : state.name());
        m.put("reason", reason);
        m.put("task", currentTask);
        m.put("history", List.copyOf(history));
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("deploymentMethod", method);
        d.put("resourceId", resource == null ? null : resource.path("id").asText(null));
        d.put("deploymentName", resource == null ? deploymentName()
                : resource.path("properties").path("deploymentName").asText(deploymentName()));
        d.put("region", config.region());
        d.put("resourceGroup", config.resourceGroup());
        d.put("vmSize", resource == null ? config.vmSize() : resource.path("sku").path("name").asText(config.vmSize()));
        d.put("capacity", currentCapacity());
        d.put("provisioningState", resource == null ? null
                : resource.path("properties").path("provisioningState").asText(null));
        d.put("vip", resource == null ? null : resource.path("properties").path("vip").asText(null));
        m.put("deployment", d);
        List<Map<String, Object>> inst = new ArrayList<>();
        long requests = 0;
        long failures = 0;
        int channelsReady = 0;
        for (Map<String, Object> v : instances.values()) {
            inst.add(Map.copyOf(v.entrySet().stream().filter(e -> e.getValue() != null)
                    .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue))));
            if (v.get("traffic") instanceof Map<?, ?> t) {
                requests += ((Number) t.get("requests")).longValue();
                failures += ((Number) t.get("failures")).longValue();
            }
            if (v.get("channelsReady") instanceof Integer c) {
                channelsReady += c;
            }
        }
        inst.sort(java.util.Comparator.comparingInt(v -> (Integer) v.getOrDefault("index", 0)));
        m.put("instances", inst);
        m.put("connectionPointChannelsReady", channelsReady);
        m.put("traffic", Map.of("requests", requests, "failures", failures));
        m.put("lastUpgradeMinReadyInstances", lastUpgradeMinReady);
        m.put("lastMonitor", lastMonitor);
        m.put("monitorError", monitorError);
        return m;
    }

    // ---------------------------------------------------------------- names

    private boolean classic() {
        return CLASSIC.equals(method);
    }

    String resourcePath() {
        return "/subscriptions/" + config.subscriptionId() + "/resourceGroups/" + config.resourceGroup()
                + "/providers/" + resourceType() + "/" + config.prefix();
    }

    private String resourceType() {
        return classic() ? "Microsoft.ClassicCompute/domainNames" : "Microsoft.Compute/virtualMachineScaleSets";
    }

    private String apiVersion() {
        return classic() ? "2016-11-01" : "2024-07-01";
    }

    private String deploymentName() {
        return classic() ? env.classicDeploymentName(config.prefix())
                : env.vmssDeploymentName(config.prefix(), config.region().toLowerCase(Locale.ROOT));
    }

    private static String commonName(X509Certificate c) {
        for (String part : c.getSubjectX500Principal().getName().split(",")) {
            String p = part.trim();
            if (p.regionMatches(true, 0, "CN=", 0, 3)) {
                return p.substring(3);
            }
        }
        return null;
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }

    /** A failure CloudMgr detects itself (instance crashed, timeout), reported as the Error reason. */
    static final class DeploymentFailure extends Exception {
        private static final long serialVersionUID = 1L;

        DeploymentFailure(String message) {
            super(message);
        }
    }
}
