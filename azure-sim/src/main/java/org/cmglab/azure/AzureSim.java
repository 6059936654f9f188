package org.cmglab.azure;

import io.netty.handler.ssl.SslContext;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cmglab.azure.arm.ResourceManagerService;
import org.cmglab.azure.arm.StorageProvisioner;
import org.cmglab.azure.dns.LabDnsServer;
import org.cmglab.azure.entra.EntraIdService;
import org.cmglab.azure.graph.GraphService;
import org.cmglab.azure.http.AzureFrontServer;
import org.cmglab.azure.http.HttpService;
import org.cmglab.azure.instances.CloudFabric;
import org.cmglab.azure.storage.AzuriteStorageProvisioner;
import org.cmglab.proto.config.AzureEnvironment;
import org.cmglab.proto.config.AzureSimConfig;
import org.cmglab.proto.jwt.JwtSigner;
import org.cmglab.proto.pki.ClientAuthMode;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The emulated Azure: the lab DNS (Azure names and the customer's zone), Entra ID, Resource Manager and Graph behind
 * one HTTPS 443 front, and the cloud fabric that runs the CMG VM instances behind a layer-4 load balancer.
 */
public final class AzureSim implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AzureSim.class);

    private final AzureSimConfig config;
    /** Replaced by {@link #restartNetwork}; the zone (records) is the same object throughout. */
    private volatile LabDnsServer dns;
    private final java.net.InetSocketAddress dnsAddress;
    private final io.netty.channel.EventLoopGroup group;
    /** "up", or what a network restart is doing now. */
    private volatile String network = "up";
    private final java.util.concurrent.atomic.AtomicBoolean restarting = new java.util.concurrent.atomic.AtomicBoolean();
    private final CloudFabric fabric;
    private final ResourceManagerService arm;
    private final AzureFrontServer front;
    private final AzuriteStorageProvisioner storage;

    private AzureSim(AzureSimConfig config, LabDnsServer dns, CloudFabric fabric, ResourceManagerService arm,
                     AzureFrontServer front, AzuriteStorageProvisioner storage, io.netty.channel.EventLoopGroup group) {
        this.dnsAddress = dns.boundAddress();
        this.group = group;
        this.storage = storage;
        this.config = config;
        this.dns = dns;
        this.fabric = fabric;
        this.arm = arm;
        this.front = front;
    }

    public static AzureSim start(AzureSimConfig c, ComponentRuntime rt) throws Exception {
        AzureEnvironment env = c.env();
        Clock clock = Clock.systemUTC();
        log.info("Azure environment {}: login {}, management {}, graph {}, VMSS *.{}, classic *.{}, storage *.{}",
                env.name(), env.loginHost(), env.managementHost(), env.graphHost(), env.vmssSuffix(),
                env.classicSuffix(), env.blobSuffix());
        LabDnsServer dns = LabDnsServer.start(c.dns().socketAddress(), rt.group());
        for (String host : env.frontHosts()) {
            dns.zone().putA(host, c.front().address());
        }
        for (AzureSimConfig.DnsRecord r : c.customerZone()) {
            dns.zone().put(r);
        }
        log.info("Lab DNS on {} (UDP and TCP): {}", dns.boundAddress(), dns.zone().describe());
        JwtSigner signer = entraSigner(c);
        CloudFabric fabric = new CloudFabric(c, rt.group(), null, c.storageAddress());
        if (c.cmgTokenAuth() != null) {
            // the CMG checks Entra tokens with this tenant's keys, handed over with the deployment (never fetched)
            fabric.tokenAuth(c.cmgTokenAuth().withoutSigningKey().withEntraJwks(signer.publicJwkSetJson()));
        }
        AzuriteStorageProvisioner storage = null;
        StorageProvisioner provisioner = StorageProvisioner.NONE;
        if (c.storage() != null) {
            storage = new AzuriteStorageProvisioner(c.storage());
            provisioner = storage;
            fabric.listener(storage);
            fabric.contentStorage(org.cmglab.azure.storage.ContentStorageHandover.forInstances(c, env));
            log.info("Storage accounts: Azurite blob {}, table {}, accounts {} (containers {}, table {})",
                    c.storage().blobEndpoint(), c.storage().tableEndpoint(), storage.accounts(),
                    AzuriteStorageProvisioner.CONTAINERS, AzuriteStorageProvisioner.INSTANCES_TABLE);
        } else {
            log.info("Storage accounts: none configured (config.storage is null): a deployment's storage account is "
                    + "only recorded, nothing is created in Azurite");
        }
        ResourceManagerService arm = new ResourceManagerService(env, c.subscriptionId(), c.tenantId(),
                EntraIdService.armVerifier(env, c.tenantId(), signer, clock), dns.zone(), fabric, provisioner);
        Map<String, HttpService> services = new LinkedHashMap<>();
        List<java.security.cert.X509Certificate> deviceCas = new java.util.ArrayList<>();
        for (String f : c.deviceCaFiles()) {
            deviceCas.addAll(org.cmglab.proto.pki.Pem.readCertificates(Path.of(f)));
        }
        services.put(env.loginHost(), new EntraIdService(env, c.tenantId(), c.apps(), c.users(), signer, clock,
                deviceCas));
        log.info("Entra ID: {} app registration(s), {} user(s), device tokens {}", c.apps().size(), c.users().size(),
                deviceCas.isEmpty() ? "disabled (no device CA)" : "for devices certified by " + deviceCas.stream()
                        .map(x -> x.getSubjectX500Principal().getName()).toList());
        services.put(env.managementHost(), arm);
        services.put(env.graphHost(), new GraphService(env, c.tenantId(), c.users(), signer, clock));
        IssuedCert tls = IssuedCert.readPem(Path.of(c.frontTls().certFile()), Path.of(c.frontTls().keyFile()));
        SslContext ssl = TlsContexts.server(tls, ClientAuthMode.NONE, java.util.List.of(), "http/1.1");
        AzureFrontServer front = AzureFrontServer.start(c.front().socketAddress(), rt.group(), ssl, services);
        return new AzureSim(c, dns, fabric, arm, front, storage, rt.group());
    }

    /** The tenant's signing key from the state folder (made there once), or a fresh one without a state folder. */
    static JwtSigner entraSigner(AzureSimConfig c) throws java.io.IOException {
        String keyId = "cmglab-entra-" + c.tenantId().substring(0, 8);
        if (c.stateDir() == null || c.stateDir().isBlank()) {
            return JwtSigner.generate(keyId);
        }
        Path file = Path.of(c.stateDir()).resolve(AzureSimConfig.ENTRA_SIGNING_KEY_FILE);
        boolean made = !java.nio.file.Files.exists(file);
        JwtSigner s = JwtSigner.loadOrGenerate(keyId, file);
        log.info("Entra ID signing key {} {} {}", keyId, made ? "generated into" : "read from", file);
        return s;
    }

    /**
     * The customer's DNS, as the admin edits it (e.g. pointing the service name's CNAME at a new deployment name):
     * admin {@code POST /dns?name=…&type=A|CNAME&value=…}, or {@code type=DELETE} to remove the name.
     */
    public Object editCustomerDns(String name, String type, String value) {
        if (name == null || type == null) {
            throw new IllegalArgumentException("dns: name and type are required (expected: ?name=…&type=A|CNAME|DELETE&value=…)");
        }
        switch (type.toUpperCase(java.util.Locale.ROOT)) {
            case "A" -> dns.zone().putA(name, value);
            case "CNAME" -> dns.zone().putCname(name, value);
            case "DELETE" -> dns.zone().remove(name);
            default -> throw new IllegalArgumentException("dns type: " + type + " (expected: A, CNAME or DELETE)");
        }
        log.info("Customer DNS changed: {} {} {}", name, type, value == null ? "" : value);
        return Map.of("records", dns.zone().describe());
    }

    /**
     * A network security rule on the load balancer VIP, as an admin (or a test) sets one to make a port unreachable:
     * admin {@code POST /nsg?port=<real port>&access=Deny|Allow}, e.g. {@code port=10140} to block TCP-TLS to
     * instance 0 of a classic CMG. The port is the real one; the lab's port offset is added here.
     */
    public Object networkSecurityRule(String port, String access) {
        return networkSecurityRule(port, access, null);
    }

    /**
     * As above; {@code existing=reset} with {@code Deny} also resets the connections already open on that port (what an
     * on-premises firewall that starts blocking a port does; Azure's NSG keeps established flows), so a running
     * TCP-TLS channel falls back to HTTPS at once: admin {@code POST /nsg?port=10140&access=Deny&existing=reset}.
     */
    public Object networkSecurityRule(String port, String access, String existing) {
        if (existing != null && !existing.equalsIgnoreCase("reset") && !existing.equalsIgnoreCase("keep")) {
            throw new IllegalArgumentException("nsg: existing=" + existing + " (expected: reset or keep)");
        }
        if (port == null || !port.matches("\\d{1,5}")) {
            throw new IllegalArgumentException("nsg: port=" + port + " (expected: ?port=<real port>&access=Deny|Allow)");
        }
        boolean deny;
        if ("deny".equalsIgnoreCase(access)) {
            deny = true;
        } else if ("allow".equalsIgnoreCase(access)) {
            deny = false;
        } else {
            throw new IllegalArgumentException("nsg: access=" + access + " (expected: Deny or Allow)");
        }
        int real = Integer.parseInt(port);
        var denied = fabric.loadBalancer().deny(fabric.port(real), deny, "reset".equalsIgnoreCase(existing));
        return Map.of("port", real, "vipPort", fabric.port(real), "access", deny ? "Deny" : "Allow",
                "deniedVipPorts", denied);
    }

    /**
     * {@code POST /restart-instance?index=<i>}: restarts VM instance {@code i} (e.g. after it crashed) in the
     * background and answers at once; its state shows in {@code /status} ({@code RestartingRole}, then
     * {@code ReadyRole}).
     */
    public Object restartInstance(String index) {
        if (index == null || !index.matches("\\d{1,2}")) {
            throw new IllegalArgumentException("restart-instance: index=" + index + " (expected: ?index=<0..15>)");
        }
        int i = Integer.parseInt(index);
        Thread t = new Thread(() -> {
            try {
                List<String> done = fabric.restartInstance(i, "restarted by the lab admin");
                log.info("restart-instance {}: {}", i, done.isEmpty() ? "no such instance" : "restarted " + done);
            } catch (Exception e) {
                log.warn("restart-instance {} failed: {}", i, e.toString());
            }
        }, "restart-instance-" + i);
        t.setDaemon(true);
        t.start();
        return Map.of("accepted", "restart-instance", "index", i);
    }

    /**
     * {@code POST /restart-network?downMs=<ms>}: a restart of Azure's network data plane for this lab, as in a
     * platform incident: the load balancer stops listening on every frontend and resets every open connection (clients
     * on the VIP, the connection point's channels on the NAT rules), and the lab DNS stops answering; after
     * {@code downMs} (default 3000, at most 300000) both come back with the same rules and records. The VM instances,
     * the deployment and Resource Manager keep running. Runs in the background and answers at once; {@code /status}
     * shows {@code network}.
     */
    public Object restartNetwork(String downMs) {
        long ms;
        try {
            ms = downMs == null || downMs.isBlank() ? 3000 : Long.parseLong(downMs.strip());
        } catch (NumberFormatException e) {
            ms = -1;
        }
        if (ms < 0 || ms > 300_000) {
            throw new IllegalArgumentException("restart-network: downMs=" + downMs + " (expected: 0..300000)");
        }
        if (!restarting.compareAndSet(false, true)) {
            throw new IllegalStateException("restart-network: a restart is running (" + network + ")");
        }
        long down = ms;
        Thread t = new Thread(() -> {
            try {
                network = "restarting: load balancer and DNS down";
                Map<String, Object> stopped = fabric.loadBalancer().stopListening();
                dns.close();
                log.warn("Network restart: load balancer down ({}), lab DNS on {} down, for {} ms", stopped,
                        dnsAddress, down);
                if (down > 0) {
                    Thread.sleep(down); // the outage itself
                }
                List<String> again = fabric.loadBalancer().listenAgain();
                dns = LabDnsServer.start(dnsAddress, group, dns.zone());
                log.info("Network restart done: load balancer rules {} and the lab DNS on {} are back", again,
                        dnsAddress);
                network = "up";
            } catch (Exception e) {
                network = "restart failed: " + e;
                log.error("Network restart failed: {}", e.toString(), e);
            } finally {
                restarting.set(false);
            }
        }, "restart-network");
        t.setDaemon(true);
        t.start();
        return Map.of("accepted", "restart-network", "downMs", down);
    }

    /** The admin endpoint's {@code /status}. */
    public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("environment", config.environment());
        m.put("tenantId", config.tenantId());
        m.put("subscriptionId", config.subscriptionId());
        m.put("front", front.boundAddress().toString());
        m.put("dns", dnsAddress.toString());
        m.put("network", network);
        m.put("dnsRecords", dns.zone().describe());
        m.put("resourceManager", arm.status());
        m.put("fabric", fabric.status());
        m.put("deniedVipPorts", fabric.loadBalancer().deniedPorts());
        m.put("storage", storage == null ? Map.of("provisioner", "none") : storage.status());
        return m;
    }

    @Override
    public void close() {
        front.close();
        arm.close();
        fabric.close();
        if (storage != null) {
            storage.close();
        }
        dns.close();
    }
}
