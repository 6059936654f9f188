package org.cmglab.azure.instances;

import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.cmglab.azure.lb.Backend;
import org.cmglab.azure.lb.BackendPool;
import org.cmglab.azure.lb.HealthProbe;
import org.cmglab.azure.lb.LoadBalancer;
import org.cmglab.proto.config.AzureSimConfig;
import org.cmglab.proto.config.CmgServiceConfig;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.config.Loopback;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.runtime.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The emulated Azure compute and network fabric under the Resource Manager: runs the VM instances of a CMG deployment
 * (one {@code cmg-service} process each, via the {@link InstanceLauncher}), and the load balancer in front of them
 * (VIP:443 load-balancing rule with a health probe; inbound NAT rules 10124+i for the HTTPS channel when there are
 * several instances, 10140+i for TCP-TLS on classic deployments).
 *
 * <p>Addresses: the VIP is {@link AzureSimConfig#vipAddress()}; instance i listens on
 * {@code instanceAddressPrefix + (10 + i)}; every port is the real one plus {@code portOffset}.
 *
 * <p>All mutating methods block (they start and stop processes and wait for readiness): call them from a worker
 * thread, never from an event loop. They are serialised on the fabric. The lab has one VIP, so the fabric hosts one
 * CMG deployment at a time. A failed {@link #deploy} leaves nothing behind.
 */
public final class CloudFabric implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CloudFabric.class);
    /** CloudMgr-style lines ("Deployment instance status for service X is ReadyRole"). */
    private static final Logger cloudMgr = LoggerFactory.getLogger("CloudMgr");
    public static final int FRONT_PORT = 443;
    public static final int CHANNEL_HTTPS_BASE = 10124;
    public static final int CHANNEL_TCPTLS_BASE = 10140;
    public static final int ADMIN_PORT = 9090;
    public static final int MAX_REQUEST_BODY = 16 * 1024 * 1024;

    private final AzureSimConfig config;
    private final EventLoopGroup group;
    private final InstanceLauncher launcher;
    private final String storageAddress;
    private final LoadBalancer lb;
    private final HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, FabricDeployment> deployments = new ConcurrentHashMap<>();
    private final Thread shutdownHook;
    private volatile Duration readyTimeout = Duration.ofSeconds(60);
    /** Longer than the CMG's own drain grace (25 s), so a stopping instance finishes its streams. */
    private volatile Duration stopGrace = Duration.ofSeconds(30);
    private volatile Duration probeInterval = Duration.ofSeconds(1);
    private volatile InstanceListener listener = InstanceListener.NONE;
    private volatile org.cmglab.proto.config.TokenAuthConfig tokenAuth;
    private volatile java.util.function.Function<String, org.cmglab.proto.config.ContentStorageConfig> contentStorage =
            prefix -> null;

    /**
     * @param launcher       how instances are started; null = {@code java -jar config.cmgServiceJar()}
     * @param storageAddress the Azurite address the storage account name resolves to
     */
    public CloudFabric(AzureSimConfig config, EventLoopGroup group, InstanceLauncher launcher, String storageAddress) {
        this.config = config;
        this.group = group;
        this.launcher = launcher != null ? launcher : ProcessInstanceLauncher.forJar(Path.of(config.cmgServiceJar()));
        this.storageAddress = Loopback.require(storageAddress, "storageAddress");
        Loopback.require(config.instanceAddressPrefix() + "10", "instanceAddressPrefix");
        this.lb = new LoadBalancer(group);
        this.shutdownHook = new Thread(this::killAll, "cloud-fabric-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    public AzureSimConfig config() { return config; }
    public String vipAddress() { return config.vipAddress(); }
    public String storageAddress() { return storageAddress; }
    public LoadBalancer loadBalancer() { return lb; }
    public int port(int real) { return real + config.portOffset(); }

    /** Told about every instance state change (e.g. the storage account's {@code CMGInstances} table). */
    public CloudFabric listener(InstanceListener l) {
        this.listener = l == null ? InstanceListener.NONE : l;
        return this;
    }

    private void state(FabricDeployment d, VmInstance v, InstanceState s, String why) {
        v.state(s, why);
        try {
            listener.changed(new InstanceListener.Change(d.plan.prefix(), d.plan.serviceName(), v.roleInstance(), s,
                    v.address, why, v.since));
        } catch (RuntimeException e) {
            log.warn("instance listener failed for {} of {}: {}", v.roleInstance(), d.plan.serviceName(), e.toString());
        }
    }

    /**
     * What every instance gets for {@code CCM_Proxy_ServerAuth} (the site's token-signing certificate, the tenant and
     * its JWKS); null = none. Applies to instances started afterwards.
     */
    public CloudFabric tokenAuth(org.cmglab.proto.config.TokenAuthConfig t) {
        this.tokenAuth = t;
        return this;
    }

    /**
     * The content storage each instance of deployment {@code prefix} gets (its storage account for cloud content;
     * null = not content-enabled). Applies to instances started afterwards.
     */
    public CloudFabric contentStorage(
            java.util.function.Function<String, org.cmglab.proto.config.ContentStorageConfig> byPrefix) {
        this.contentStorage = byPrefix == null ? prefix -> null : byPrefix;
        return this;
    }

    /** For tests: shorter waits. */
    public CloudFabric timings(Duration readyTimeout, Duration stopGrace, Duration probeInterval) {
        this.readyTimeout = readyTimeout;
        this.stopGrace = stopGrace;
        this.probeInterval = probeInterval;
        return this;
    }

    public String instanceAddress(int index) {
        return config.instanceAddressPrefix() + (10 + index);
    }

    public Optional<FabricDeployment> deployment(String prefix) {
        return Optional.ofNullable(deployments.get(prefix));
    }

    /** Starts every instance, waits until each is ready, then opens the load balancer rules. */
    public synchronized FabricDeployment deploy(DeploymentPlan plan) throws DeploymentException {
        if (!deployments.isEmpty()) {
            throw new DeploymentException("Conflict", "the lab fabric hosts one CMG deployment at a time (VIP "
                    + vipAddress() + " is used by " + deployments.keySet() + ")");
        }
        Path dir = Path.of(config.stateDir(), "deployments", plan.prefix());
        FabricDeployment d = new FabricDeployment(plan, dir);
        cloudMgr.info("Starting to Deploy Service {} ({} instances, {})", plan.serviceName(), plan.capacity(),
                plan.classic() ? "cloud service (classic)" : "virtual machine scale set");
        try {
            d.tls = writeTls(d, plan);
            d.clientRoots = writeRoots(dir, "client-root", plan.trustedRootsPem());
            d.connectorRoots = writeRoots(dir, "connector-root", plan.connectorRootsPem());
            List<VmInstance> started = new ArrayList<>();
            for (int i = 0; i < plan.capacity(); i++) {
                started.add(start(d, i));
            }
            for (VmInstance v : started) {
                awaitReady(d, v);
            }
            d.probe = new HealthProbe(group, d.pool, probeInterval, Duration.ofSeconds(1));
            d.lbRule = lb.addPoolRule(ruleName(plan, "lb-https"), new Endpoint(vipAddress(), port(FRONT_PORT)),
                    d.pool).name();
            syncNatRules(d);
            deployments.put(plan.prefix(), d);
            return d;
        } catch (DeploymentException e) {
            cloudMgr.error("Deployment of service {} failed: {}; stopping everything it started", plan.serviceName(),
                    e.getMessage());
            teardown(d);
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            teardown(d);
            throw new DeploymentException("Interrupted", "deployment of " + plan.serviceName() + " interrupted", e);
        } catch (RuntimeException | IOException e) {
            cloudMgr.error("Deployment of service {} failed: {}; stopping everything it started", plan.serviceName(),
                    e.toString());
            teardown(d);
            throw new DeploymentException("DeploymentFailed", "deployment of " + plan.serviceName() + " failed: "
                    + e.getMessage(), e);
        }
    }

    /** Scale out (start the new instances) or in (stop the highest indexes); NAT rules follow. */
    public synchronized void scale(String prefix, int capacity) throws DeploymentException {
        FabricDeployment d = require(prefix);
        int old = d.plan.capacity();
        if (capacity == old) {
            return;
        }
        DeploymentPlan newPlan = d.plan.withCapacity(capacity);
        if (capacity > old) {
            d.plan = newPlan;
            List<VmInstance> added = new ArrayList<>();
            try {
                for (int i = old; i < capacity; i++) {
                    added.add(start(d, i));
                }
                for (VmInstance v : added) {
                    awaitReady(d, v);
                }
            } catch (DeploymentException | IOException | RuntimeException e) {
                for (VmInstance v : added) {
                    stop(d, v, "scale out failed");
                }
                d.plan = d.plan.withCapacity(old);
                throw e instanceof DeploymentException de ? de
                        : new DeploymentException("ScaleOutFailed", "scale out to " + capacity + ": " + e, e);
            }
        } else {
            for (int i = old - 1; i >= capacity; i--) {
                VmInstance v = d.instances.get(i);
                stop(d, v, "scale in to " + capacity);
            }
            d.plan = newPlan;
        }
        syncNatRules(d);
        // the channel moves between the front door (1 instance) and 10124+i (several): restart whose config changed
        for (VmInstance v : List.copyOf(d.instances.values())) {
            if (!configFor(d, v.index).equals(v.config)) {
                restart(d, v, "channel listener changes with the instance count");
            }
        }
        cloudMgr.info("Deployment {} scaled from {} to {} instances", d.plan.serviceName(), old, capacity);
    }

    /** Writes the new certificate and restarts the instances one at a time, so the service stays up. */
    public synchronized void updateCertificate(String prefix, String certPem, String keyPem) throws DeploymentException {
        FabricDeployment d = require(prefix);
        d.plan = d.plan.withCertificate(certPem, keyPem);
        try {
            d.tls = writeTls(d, d.plan);
        } catch (IOException e) {
            throw new DeploymentException("CertificateUpdateFailed", "cannot write the new certificate: " + e, e);
        }
        for (VmInstance v : List.copyOf(d.instances.values())) {
            restart(d, v, "certificate update");
        }
    }

    /**
     * Restarts VM instance {@code index} of every deployment that has it (e.g. after it crashed: the lab's
     * {@code cmglab fault undo kill-instance}); returns the role instances restarted. Blocks until each is ready.
     */
    public synchronized List<String> restartInstance(int index, String why) throws DeploymentException {
        List<String> done = new ArrayList<>();
        for (FabricDeployment d : deployments.values()) {
            VmInstance v = d.instances.get(index);
            if (v != null) {
                restart(d, v, why);
                done.add(v.roleInstance());
            }
        }
        return done;
    }

    /** Stops and unregisters everything of the deployment; true if there was one. */
    public synchronized boolean remove(String prefix) {
        FabricDeployment d = deployments.remove(prefix);
        if (d == null) {
            return false;
        }
        teardown(d);
        cloudMgr.info("Deployment of service {} deleted", d.plan.serviceName());
        return true;
    }

    private FabricDeployment require(String prefix) throws DeploymentException {
        FabricDeployment d = deployments.get(prefix);
        if (d == null) {
            throw new DeploymentException("ResourceNotFound", "no running deployment " + prefix);
        }
        return d;
    }

    private static String ruleName(DeploymentPlan p, String what) {
        return p.prefix() + "/" + what;
    }

    private void syncNatRules(FabricDeployment d) throws DeploymentException {
        Map<String, Endpoint[]> want = new LinkedHashMap<>();
        int n = d.plan.capacity();
        for (int i = 0; i < n; i++) {
            String addr = instanceAddress(i);
            if (n > 1) {
                want.put(ruleName(d.plan, "nat-https-" + i), new Endpoint[] {
                        new Endpoint(vipAddress(), port(CHANNEL_HTTPS_BASE + i)),
                        new Endpoint(addr, port(CHANNEL_HTTPS_BASE + i))});
            }
            if (d.plan.classic()) {
                want.put(ruleName(d.plan, "nat-tcptls-" + i), new Endpoint[] {
                        new Endpoint(vipAddress(), port(CHANNEL_TCPTLS_BASE + i)),
                        new Endpoint(addr, port(CHANNEL_TCPTLS_BASE + i))});
            }
        }
        for (String r : List.copyOf(d.natRules)) {
            if (!want.containsKey(r)) {
                lb.removeRule(r);
                d.natRules.remove(r);
            }
        }
        for (Map.Entry<String, Endpoint[]> e : want.entrySet()) {
            if (!d.natRules.contains(e.getKey())) {
                try {
                    lb.addNatRule(e.getKey(), e.getValue()[0], e.getValue()[1]);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new DeploymentException("Interrupted", "interrupted while adding " + e.getKey());
                } catch (RuntimeException re) {
                    throw new DeploymentException("LoadBalancerRuleFailed", re.getMessage(), re);
                }
                d.natRules.add(e.getKey());
            }
        }
    }

    CmgServiceConfig configFor(FabricDeployment d, int i) {
        String addr = instanceAddress(i);
        DeploymentPlan p = d.plan;
        return new CmgServiceConfig(p.serviceName(), p.deploymentName(), p.siteCode(), i,
                new Endpoint(addr, port(FRONT_PORT)),
                p.capacity() == 1 ? null : new Endpoint(addr, port(CHANNEL_HTTPS_BASE + i)),
                new Endpoint(addr, port(ADMIN_PORT)), d.tls, d.clientRoots, d.connectorRoots, p.publishedRoles(),
                MAX_REQUEST_BODY, config.cmgChannel(), config.logDir(),
                p.classic() ? new Endpoint(addr, port(CHANNEL_TCPTLS_BASE + i)) : null, tokenAuth,
                contentStorage.apply(p.prefix()));
    }

    private VmInstance start(FabricDeployment d, int i) throws IOException {
        VmInstance v = d.instances.computeIfAbsent(i, k -> new VmInstance(k, instanceAddress(k),
                d.dir.resolve("instance-" + k + ".json"), Path.of(config.logDir()).resolve("cmg-service-" + k + ".out")));
        launch(d, v);
        return v;
    }

    private void launch(FabricDeployment d, VmInstance v) throws IOException {
        CmgServiceConfig c = configFor(d, v.index);
        Json.writeFile(v.configFile, c);
        v.config = c;
        v.exitCode = null;
        v.stopping = false;
        state(d, v, InstanceState.BusyRole, "starting");
        LaunchedInstance l = launcher.launch(c, v.configFile, v.outFile);
        v.launched = l;
        log.info("{} of {} started (pid {}) on {}", v.roleInstance(), d.plan.serviceName(), l.pid(), v.address);
        l.onExit().whenComplete((code, err) -> onExit(d, v, l, code));
    }

    private void onExit(FabricDeployment d, VmInstance v, LaunchedInstance l, Integer code) {
        if (v.launched != l) {
            return;
        }
        v.exitCode = code;
        if (v.stopping) {
            state(d, v, InstanceState.Stopped, "stopped (exit code " + code + ")");
            return;
        }
        state(d, v, InstanceState.Crashed, "exited unexpectedly with code " + code);
        Backend b = d.pool.backend(v.index);
        if (b != null) {
            b.markDown("process exited with code " + code);
        }
        cloudMgr.warn("Deployment instance status for service {} is Crashed ({} exited with code {}, see {})",
                d.plan.serviceName(), v.roleInstance(), code, v.outFile);
    }

    private void awaitReady(FabricDeployment d, VmInstance v) throws DeploymentException {
        LaunchedInstance l = v.launched;
        URI uri = URI.create("http://" + v.config.admin().address() + ":" + v.config.admin().port() + "/ready");
        long deadline = System.nanoTime() + readyTimeout.toNanos();
        String last = "no answer yet";
        while (true) {
            if (!l.isAlive() || l.onExit().isDone()) {
                Integer code = l.onExit().getNow(null);
                throw new DeploymentException("VMExitedBeforeReady", v.roleInstance() + " of " + d.plan.serviceName()
                        + " exited with code " + code + " before it was ready; last lines of " + v.outFile + ":\n"
                        + tail(v.outFile, 20));
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).GET()
                        .build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    break;
                }
                last = "/ready answered " + r.statusCode();
            } catch (IOException e) {
                last = "/ready: " + e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DeploymentException("Interrupted", "interrupted waiting for " + v.roleInstance());
            }
            if (System.nanoTime() > deadline) {
                throw new DeploymentException("VMStartTimedOut", v.roleInstance() + " of " + d.plan.serviceName()
                        + " not ready within " + readyTimeout.toSeconds() + " s (" + last + " at " + uri
                        + "); last lines of " + v.outFile + ":\n" + tail(v.outFile, 20));
            }
            try { // wait for the next poll, but wake at once if the process exits
                l.onExit().get(100, TimeUnit.MILLISECONDS);
            } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
                // poll again
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DeploymentException("Interrupted", "interrupted waiting for " + v.roleInstance());
            }
        }
        state(d, v, InstanceState.ReadyRole, "ready");
        Backend b = d.pool.backend(v.index);
        if (b == null) {
            d.pool.add(new Backend(v.index, v.roleInstance(), v.config.frontDoor(), v.config.admin()));
        } else {
            b.record(true, "instance restarted and ready");
        }
        cloudMgr.info("Deployment instance status for service {} is ReadyRole ({} on {}, pid {})",
                d.plan.serviceName(), v.roleInstance(), v.address, l.pid());
    }

    private void restart(FabricDeployment d, VmInstance v, String why) throws DeploymentException {
        cloudMgr.info("Deployment instance status for service {} is RestartingRole ({}: {})", d.plan.serviceName(),
                v.roleInstance(), why);
        Backend b = d.pool.backend(v.index);
        if (b != null) {
            b.markDown("restarting: " + why);
        }
        v.stopping = true;
        LaunchedInstance l = v.launched;
        if (l != null) {
            l.stop(stopGrace);
        }
        v.restarts++;
        try {
            launch(d, v);
        } catch (IOException e) {
            state(d, v, InstanceState.Crashed, "restart failed: " + e);
            throw new DeploymentException("RestartFailed", v.roleInstance() + ": " + e, e);
        }
        state(d, v, InstanceState.RestartingRole, why);
        awaitReady(d, v);
    }

    private void stop(FabricDeployment d, VmInstance v, String why) {
        d.pool.remove(v.index);
        v.stopping = true;
        LaunchedInstance l = v.launched;
        if (l != null) {
            l.stop(stopGrace);
        }
        state(d, v, InstanceState.Stopped, why);
        d.instances.remove(v.index);
        log.info("{} of {} stopped ({})", v.roleInstance(), d.plan.serviceName(), why);
    }

    private void teardown(FabricDeployment d) {
        if (d.probe != null) {
            d.probe.close();
        }
        if (d.lbRule != null) {
            lb.removeRule(d.lbRule);
        }
        for (String r : List.copyOf(d.natRules)) {
            lb.removeRule(r);
        }
        d.natRules.clear();
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (VmInstance v : List.copyOf(d.instances.values())) {
            stops.add(CompletableFuture.runAsync(() -> stop(d, v, "deployment removed")));
        }
        stops.forEach(CompletableFuture::join);
    }

    private TlsFiles writeTls(FabricDeployment d, DeploymentPlan p) throws IOException {
        int gen = ++d.certGeneration;
        Files.createDirectories(d.dir);
        Path cert = d.dir.resolve("server-" + gen + ".crt.pem");
        Path key = d.dir.resolve("server-" + gen + ".key.pem");
        writeSecret(key, p.privateKeyPem());
        Files.writeString(cert, p.certificatePem(), StandardCharsets.US_ASCII);
        return new TlsFiles(cert.toString(), key.toString());
    }

    private static List<String> writeRoots(Path dir, String name, List<String> pems) throws IOException {
        Files.createDirectories(dir);
        List<String> files = new ArrayList<>();
        for (int i = 0; i < pems.size(); i++) {
            Path f = dir.resolve(name + "-" + i + ".pem");
            Files.writeString(f, pems.get(i), StandardCharsets.US_ASCII);
            files.add(f.toString());
        }
        return files;
    }

    /** Writes a key file created with mode 0600 from the start (temp file, then atomic move). */
    static void writeSecret(Path file, String content) throws IOException {
        Path tmp;
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            tmp = Files.createTempFile(file.getParent(), ".key", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
            tmp = Files.createTempFile(file.getParent(), ".key", ".tmp");
        }
        Files.writeString(tmp, content, StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static String tail(Path file, int lines) {
        return org.cmglab.proto.runtime.ChildProcesses.tail(file, lines);
    }

    /** Instances of a deployment as the resource JSON shows them. */
    public List<Map<String, Object>> instanceView(String prefix) {
        FabricDeployment d = deployments.get(prefix);
        if (d == null) {
            return List.of();
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (VmInstance v : List.copyOf(d.instances.values())) {
            Map<String, Object> m = v.view(d.plan.classic() ? port(CHANNEL_TCPTLS_BASE + v.index) : -1);
            Backend b = d.pool.backend(v.index);
            m.put("healthy", b != null && b.healthy());
            out.add(m);
        }
        return out;
    }

    /** For the admin page: deployments, instances, load balancer rules and backend health. */
    public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vip", vipAddress());
        m.put("portOffset", config.portOffset());
        List<Map<String, Object>> ds = new ArrayList<>();
        for (FabricDeployment d : deployments.values()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("prefix", d.plan.prefix());
            x.put("serviceName", d.plan.serviceName());
            x.put("deploymentName", d.plan.deploymentName());
            x.put("classic", d.plan.classic());
            x.put("capacity", d.plan.capacity());
            x.put("instances", instanceView(d.plan.prefix()));
            x.put("backends", d.pool.backends().stream().map(Backend::status).toList());
            ds.add(x);
        }
        m.put("deployments", ds);
        m.put("loadBalancerRules", lb.status());
        return m;
    }

    private void killAll() {
        for (FabricDeployment d : deployments.values()) {
            for (VmInstance v : d.instances.values()) {
                v.stopping = true;
                LaunchedInstance l = v.launched;
                if (l != null && l.isAlive()) {
                    l.stop(Duration.ofSeconds(2));
                }
            }
        }
    }

    @Override
    public synchronized void close() {
        for (String p : List.copyOf(deployments.keySet())) {
            remove(p);
        }
        lb.close();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down: the hook runs
        }
    }

    /** One running deployment. */
    public static final class FabricDeployment {
        volatile DeploymentPlan plan;
        final Path dir;
        final Map<Integer, VmInstance> instances = new java.util.concurrent.ConcurrentSkipListMap<>();
        final BackendPool pool = new BackendPool();
        final List<String> natRules = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile String lbRule;
        volatile HealthProbe probe;
        volatile TlsFiles tls;
        volatile List<String> clientRoots = List.of();
        volatile List<String> connectorRoots = List.of();
        int certGeneration;

        FabricDeployment(DeploymentPlan plan, Path dir) {
            this.plan = plan;
            this.dir = dir;
        }

        public DeploymentPlan plan() { return plan; }
        public BackendPool pool() { return pool; }
        public List<VmInstance> instances() { return List.copyOf(instances.values()); }
        public List<String> natRules() { return List.copyOf(natRules); }
    }
}
