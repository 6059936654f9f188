package org.cmglab.azure.arm;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.cmglab.azure.dns.DnsZone;
import org.cmglab.azure.http.HttpService;
import org.cmglab.azure.http.RequestInfo;
import org.cmglab.azure.http.Responses;
import org.cmglab.azure.instances.CloudFabric;
import org.cmglab.azure.instances.DeploymentException;
import org.cmglab.azure.instances.DeploymentPlan;
import org.cmglab.proto.config.AzureEnvironment;
import org.cmglab.proto.config.PublishedRole;
import org.cmglab.proto.jwt.JwtVerifier;
import org.cmglab.proto.jwt.TokenRejectedException;
import org.cmglab.proto.runtime.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The emulated Azure Resource Manager for CMG deployments, mounted on the management host of the environment.
 *
 * <p>Resources (real ARM paths, CMG settings under {@code properties.cmg}; see docs/azure-emulation.md):
 * <ul>
 *   <li>{@code /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachineScaleSets/{prefix}}
 *       — PUT (create / update), GET, PATCH (capacity, certificate), DELETE; deployment name
 *       {@code <prefix>.<region>.cloudapp.azure.com}</li>
 *   <li>{@code …/providers/Microsoft.ClassicCompute/domainNames/{prefix}} — the same for a classic cloud service;
 *       deployment name {@code <prefix>.cloudapp.net}</li>
 *   <li>{@code …/providers/Microsoft.Storage/storageAccounts/{prefix}}, {@code …/Microsoft.KeyVault/vaults/{prefix}}
 *       — GET: what the deployment created</li>
 *   <li>{@code /subscriptions/{sub}/providers/{ns}/locations/{loc}/operations/{id}} (Azure-AsyncOperation) and
 *       {@code …/operationResults/{id}} (Location)</li>
 * </ul>
 * Every request needs a bearer token from the environment's Entra ID for {@code https://management.azure.com/}.
 * Long-running work (starting instances, waiting for them, DNS, storage) runs on a worker thread; the event loop only
 * validates and answers.
 */
public final class ResourceManagerService implements HttpService, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ResourceManagerService.class);
    private static final Logger cloudMgr = LoggerFactory.getLogger("CloudMgr");
    static final String VMSS_NS = "Microsoft.Compute";
    static final String VMSS_TYPE = "virtualMachineScaleSets";
    static final String CLASSIC_NS = "Microsoft.ClassicCompute";
    static final String CLASSIC_TYPE = "domainNames";

    private final AzureEnvironment env;
    private final String subscriptionId;
    private final String tenantId;
    private final JwtVerifier verifier;
    private final DnsZone zone;
    private final CloudFabric fabric;
    private final StorageProvisioner storage;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "arm-worker");
        t.setDaemon(true);
        return t;
    });
    /** Creates a deployment's storage account while the worker starts its instances. */
    private final ExecutorService storageStarter = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "arm-storage");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, ArmDeployment> deployments = new ConcurrentHashMap<>();
    private final Map<String, Operation> operations = new ConcurrentHashMap<>();

    public ResourceManagerService(AzureEnvironment env, String subscriptionId, String tenantId, JwtVerifier verifier,
                                  DnsZone zone, CloudFabric fabric) {
        this(env, subscriptionId, tenantId, verifier, zone, fabric, StorageProvisioner.NONE);
    }

    public ResourceManagerService(AzureEnvironment env, String subscriptionId, String tenantId, JwtVerifier verifier,
                                  DnsZone zone, CloudFabric fabric, StorageProvisioner storage) {
        this.env = env;
        this.subscriptionId = subscriptionId;
        this.tenantId = tenantId;
        this.verifier = verifier;
        this.zone = zone;
        this.fabric = fabric;
        this.storage = storage;
    }

    /** The issuer ARM accepts: {@code https://sts.windows.net/{tenant}/}. */
    public static String issuer(String tenantId) {
        return "https://sts.windows.net/" + tenantId + "/";
    }

    /** The audience ARM accepts. */
    public static final String AUDIENCE = "https://management.azure.com/";

    enum Kind { VMSS, CLASSIC }

    /** One long-running operation. */
    static final class Operation {
        final String id;
        final String namespace;
        final String location;
        final Instant start = Instant.now();
        volatile String status = "InProgress";
        volatile Instant end;
        volatile Map<String, Object> error;

        Operation(String id, String namespace, String location) {
            this.id = id;
            this.namespace = namespace;
            this.location = location;
        }

        Map<String, Object> json(String url) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", url);
            m.put("name", id);
            m.put("status", status);
            m.put("startTime", start.toString());
            if (end != null) {
                m.put("endTime", end.toString());
            }
            if (error != null) {
                m.put("error", error);
            }
            return m;
        }

        void finish(String s, Map<String, Object> err) {
            error = err;
            end = Instant.now();
            status = s;
        }
    }

    /** One CMG deployment resource. */
    static final class ArmDeployment {
        final Kind kind;
        final String name;
        final String prefix;
        final String resourceGroup;
        final String location;
        final String skuName;
        volatile DeploymentPlan plan;
        volatile String provisioningState;
        volatile Map<String, Object> error;
        volatile String certificateThumbprint;
        volatile Operation lastOperation;

        ArmDeployment(Kind kind, String name, String prefix, String rg, String location, String skuName,
                      DeploymentPlan plan) {
            this.kind = kind;
            this.name = name;
            this.prefix = prefix;
            this.resourceGroup = rg;
            this.location = location;
            this.skuName = skuName;
            this.plan = plan;
        }

        boolean busy() {
            return "Creating".equals(provisioningState) || "Updating".equals(provisioningState)
                    || "Deleting".equals(provisioningState);
        }
    }

    @Override
    public FullHttpResponse handle(FullHttpRequest request, RequestInfo info) {
        try {
            authenticate(request);
            if (info.param("api-version") == null) {
                throw new ArmException(400, "MissingApiVersionParameter",
                        "The api-version query parameter (?api-version=) is required for all requests.");
            }
            List<String> s = new ArrayList<>();
            for (String p : info.path().split("/")) {
                if (!p.isEmpty()) {
                    s.add(p);
                }
            }
            if (s.size() < 2 || !s.get(0).equalsIgnoreCase("subscriptions")) {
                throw new ArmException(404, "InvalidResourceType", "no resource at '" + info.path() + "'");
            }
            if (!s.get(1).equalsIgnoreCase(subscriptionId)) {
                throw new ArmException(404, "SubscriptionNotFound", "The subscription '" + s.get(1)
                        + "' could not be found.");
            }
            if (s.size() == 8 && s.get(2).equalsIgnoreCase("providers") && s.get(4).equalsIgnoreCase("locations")) {
                return operation(request, info, s.get(3), s.get(6), s.get(7));
            }
            if (s.size() == 8 && s.get(2).equalsIgnoreCase("resourceGroups") && s.get(4).equalsIgnoreCase("providers")) {
                return resource(request, info, s.get(3), s.get(5), s.get(6), s.get(7));
            }
            throw new ArmException(404, "InvalidResourceType", "no resource type at '" + info.path()
                    + "' (this emulator serves CMG deployments: " + VMSS_NS + "/" + VMSS_TYPE + ", " + CLASSIC_NS + "/"
                    + CLASSIC_TYPE + ", and their storage account and key vault)");
        } catch (ArmException e) {
            FullHttpResponse r = Responses.armError(e.status, e.code, e.getMessage());
            if (e.status == 401) {
                r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer authorization_uri=\"https://"
                        + env.loginHost() + "/" + tenantId + "\", error=\"invalid_token\", error_description=\""
                        + e.getMessage().replace("\"", "'") + "\"");
            }
            if (e.status >= 400 && e.status != 404) {
                log.info("{} {}: {} {} ({})", request.method(), info.path(), e.status, e.code, e.getMessage());
            }
            return r;
        }
    }

    private void authenticate(FullHttpRequest req) {
        String h = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7) || h.substring(7).isBlank()) {
            throw new ArmException(401, "AuthenticationFailed",
                    "Authentication failed. The 'Authorization' header is missing or is not a Bearer token.");
        }
        try {
            verifier.verify(h.substring(7).trim());
        } catch (TokenRejectedException e) {
            if (e.reason() == TokenRejectedException.Reason.EXPIRED) {
                throw new ArmException(401, "ExpiredAuthenticationToken",
                        "The access token has expired: " + e.getMessage());
            }
            throw new ArmException(401, "InvalidAuthenticationToken", "The access token is invalid: "
                    + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- resources

    private FullHttpResponse resource(FullHttpRequest req, RequestInfo info, String rg, String ns, String type,
                                      String name) {
        Kind kind;
        if (ns.equalsIgnoreCase(VMSS_NS) && type.equalsIgnoreCase(VMSS_TYPE)) {
            kind = Kind.VMSS;
        } else if (ns.equalsIgnoreCase(CLASSIC_NS) && type.equalsIgnoreCase(CLASSIC_TYPE)) {
            kind = Kind.CLASSIC;
        } else if (ns.equalsIgnoreCase("Microsoft.Storage") && type.equalsIgnoreCase("storageAccounts")) {
            return createdResource(req, rg, name, false);
        } else if (ns.equalsIgnoreCase("Microsoft.KeyVault") && type.equalsIgnoreCase("vaults")) {
            return createdResource(req, rg, name, true);
        } else {
            throw new ArmException(404, "InvalidResourceType", "The resource type '" + type
                    + "' could not be found in the namespace '" + ns + "' of this emulator.");
        }
        String apiVersion = info.param("api-version");
        HttpMethod m = req.method();
        if (m.equals(HttpMethod.GET)) {
            return Responses.json(200, json(find(kind, rg, name)));
        }
        if (m.equals(HttpMethod.PUT)) {
            return put(req, kind, rg, name, apiVersion);
        }
        if (m.equals(HttpMethod.PATCH)) {
            return patch(req, kind, rg, name, apiVersion);
        }
        if (m.equals(HttpMethod.DELETE)) {
            return delete(kind, rg, name, apiVersion);
        }
        throw new ArmException(405, "MethodNotAllowed", "method " + m + " is not supported on " + type);
    }

    private ArmDeployment find(Kind kind, String rg, String name) {
        ArmDeployment d = deployments.get(name.toLowerCase(Locale.ROOT));
        if (d == null || d.kind != kind || !d.resourceGroup.equalsIgnoreCase(rg)) {
            throw notFound(kind, rg, name);
        }
        return d;
    }

    private static ArmException notFound(Kind kind, String rg, String name) {
        String t = kind == Kind.VMSS ? VMSS_NS + "/" + VMSS_TYPE : CLASSIC_NS + "/" + CLASSIC_TYPE;
        return new ArmException(404, "ResourceNotFound", "The Resource '" + t + "/" + name
                + "' under resource group '" + rg + "' was not found.");
    }

    private static JsonNode body(FullHttpRequest req) {
        String text = req.content().toString(StandardCharsets.UTF_8);
        if (text.isBlank()) {
            throw new ArmException(400, "InvalidRequestContent", "The request content is empty (expected: a JSON "
                    + "resource definition).");
        }
        try {
            JsonNode n = Json.MAPPER.readTree(text);
            if (n == null || !n.isObject()) {
                throw new ArmException(400, "InvalidRequestContent", "The request content is not a JSON object.");
            }
            return n;
        } catch (java.io.IOException e) {
            throw new ArmException(400, "InvalidRequestContent", "The request content was invalid and could not be "
                    + "deserialized: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static String text(JsonNode n, String path) {
        JsonNode x = n.at(path);
        return x.isMissingNode() || x.isNull() ? null : x.asText();
    }

    private static List<String> textList(JsonNode n, String path) {
        JsonNode x = n.at(path);
        List<String> out = new ArrayList<>();
        if (x.isMissingNode() || x.isNull()) {
            return out;
        }
        if (!x.isArray()) {
            throw new ArmException(400, "InvalidParameter", path.substring(1).replace('/', '.')
                    + ": expected an array of PEM strings");
        }
        x.forEach(e -> out.add(e.asText()));
        return out;
    }

    private static Integer capacityOf(JsonNode body, boolean required) {
        JsonNode c = body.at("/sku/capacity");
        if (c.isMissingNode() || c.isNull()) {
            if (required) {
                throw new ArmException(400, "InvalidParameter", "sku.capacity: missing (expected: 1..16)");
            }
            return null;
        }
        if (!c.isIntegralNumber()) {
            throw new ArmException(400, "InvalidParameter", "capacity: " + c + " (expected: 1..16)");
        }
        return ArmValidation.capacity(c.asLong());
    }

    private FullHttpResponse put(FullHttpRequest req, Kind kind, String rg, String name, String apiVersion) {
        ArmValidation.resourceGroup(rg, kind == Kind.VMSS);
        String prefix = ArmValidation.prefix(name);
        JsonNode body = body(req);
        ArmDeployment existing = deployments.get(prefix);
        if (existing != null && (existing.kind != kind || !existing.resourceGroup.equalsIgnoreCase(rg))) {
            throw new ArmException(409, "Conflict", "The name '" + prefix + "' is already used by "
                    + describe(existing) + " (the CMG name is also the storage account"
                    + (existing.kind == Kind.VMSS ? " and key vault" : "") + " name, which must be unique)");
        }
        if (existing != null && existing.busy()) {
            throw new ArmException(409, "AnotherOperationInProgress", "Operation on " + describe(existing)
                    + " is not allowed: provisioning state is " + existing.provisioningState);
        }
        if (existing != null && "Succeeded".equals(existing.provisioningState)) {
            return update(existing, body, apiVersion, 200);
        }
        String location = ArmValidation.location(text(body, "/location"));
        String sku = text(body, "/sku/name");
        if (sku == null) {
            sku = "Standard_A2_v2";
        }
        if (kind == Kind.VMSS && !List.of("Standard_B2s", "Standard_A2_v2", "Standard_A4_v2").contains(sku)) {
            throw new ArmException(400, "InvalidParameter", "sku.name: " + sku
                    + " (expected: Standard_B2s (Lab), Standard_A2_v2 (Standard) or Standard_A4_v2 (Large))");
        }
        int capacity = capacityOf(body, true);
        String serviceName = text(body, "/properties/cmg/serviceName");
        if (serviceName == null || serviceName.isBlank()) {
            throw new ArmException(400, "InvalidParameter", "properties.cmg.serviceName: missing (expected: the CMG "
                    + "service name, the CN of its server-auth certificate)");
        }
        String firstLabel = serviceName.split("\\.", 2)[0];
        if (!firstLabel.equalsIgnoreCase(prefix)) {
            throw new ArmException(400, "InvalidParameter", "properties.cmg.serviceName '" + serviceName
                    + "': its first label '" + firstLabel + "' must equal the deployment name prefix '" + name
                    + "' (the wizard derives the prefix from the certificate CN)");
        }
        String siteCode = text(body, "/properties/cmg/siteCode");
        ArmValidation.siteCode(siteCode);
        String certPem = text(body, "/properties/cmg/certificatePem");
        String keyPem = text(body, "/properties/cmg/privateKeyPem");
        var leaf = ArmValidation.serverCertificate(certPem, keyPem, serviceName);
        List<String> trusted = textList(body, "/properties/cmg/trustedRootsPem");
        for (int i = 0; i < trusted.size(); i++) {
            ArmValidation.certificates(trusted.get(i), "properties.cmg.trustedRootsPem[" + i + "]");
        }
        List<String> connector = textList(body, "/properties/cmg/connectorRootsPem");
        for (int i = 0; i < connector.size(); i++) {
            ArmValidation.certificates(connector.get(i), "properties.cmg.connectorRootsPem[" + i + "]");
        }
        List<PublishedRole> roles = new ArrayList<>();
        JsonNode rn = body.at("/properties/cmg/publishedRoles");
        if (rn.isArray()) {
            for (JsonNode r : rn) {
                try {
                    roles.add(new PublishedRole(text(r, "/roleId"), text(r, "/kind"),
                            text(r, "/siteCode") == null ? siteCode : text(r, "/siteCode")));
                } catch (RuntimeException e) {
                    throw new ArmException(400, "InvalidParameter", "properties.cmg.publishedRoles: " + e.getMessage());
                }
            }
        }
        for (ArmDeployment other : deployments.values()) {
            if (!other.prefix.equals(prefix) && !"Failed".equals(other.provisioningState)) {
                throw new ArmException(409, "Conflict", "the lab fabric hosts one CMG deployment at a time (one VIP, "
                        + fabric.vipAddress() + "): " + describe(other) + " exists; delete it first");
            }
        }
        String deploymentName = kind == Kind.VMSS ? env.vmssDeploymentName(prefix, location)
                : env.classicDeploymentName(prefix);
        DeploymentPlan plan = new DeploymentPlan(prefix, kind == Kind.CLASSIC, serviceName, deploymentName, siteCode,
                capacity, certPem, keyPem, trusted, connector, roles);
        ArmDeployment d = new ArmDeployment(kind, name, prefix, rg, location, sku, plan);
        d.certificateThumbprint = thumbprint(leaf);
        d.provisioningState = "Creating";
        Operation op = newOperation(d);
        synchronized (deployments) {
            ArmDeployment again = deployments.get(prefix);
            if (again != null && again != existing) {
                throw new ArmException(409, "AnotherOperationInProgress", describe(again) + " is being created");
            }
            deployments.put(prefix, d);
        }
        cloudMgr.info("TaskManager: Task [CreateDeployment for service {}] started ({} {} instances in {}, "
                + "deployment name {})", serviceName, capacity, kind == Kind.VMSS ? "scale set" : "classic", location,
                deploymentName);
        worker.execute(() -> create(d, op));
        FullHttpResponse r = Responses.json(201, json(d));
        asyncHeaders(r, op, apiVersion, false);
        return r;
    }

    private FullHttpResponse patch(FullHttpRequest req, Kind kind, String rg, String name, String apiVersion) {
        ArmDeployment d = find(kind, rg, name);
        JsonNode body = body(req);
        if (d.busy()) {
            throw new ArmException(409, "AnotherOperationInProgress", "Operation on " + describe(d)
                    + " is not allowed: provisioning state is " + d.provisioningState);
        }
        if ("Failed".equals(d.provisioningState) && fabric.deployment(d.prefix).isEmpty()) {
            throw new ArmException(409, "Conflict", describe(d) + " failed to deploy (" + d.error
                    + "); PUT it again or delete it");
        }
        return update(d, body, apiVersion, 202);
    }

    private FullHttpResponse update(ArmDeployment d, JsonNode body, String apiVersion, int status) {
        Integer capacity = capacityOf(body, false);
        String certPem = text(body, "/properties/cmg/certificatePem");
        String keyPem = text(body, "/properties/cmg/privateKeyPem");
        boolean certChange = certPem != null || keyPem != null;
        if (certChange) {
            if (certPem == null || keyPem == null) {
                throw new ArmException(400, "InvalidParameter", "a certificate update needs both "
                        + "properties.cmg.certificatePem and properties.cmg.privateKeyPem");
            }
            d.certificateThumbprint = thumbprint(ArmValidation.serverCertificate(certPem, keyPem,
                    d.plan.serviceName()));
        }
        String serviceName = text(body, "/properties/cmg/serviceName");
        if (serviceName != null && !serviceName.equalsIgnoreCase(d.plan.serviceName())) {
            throw new ArmException(400, "InvalidParameter", "properties.cmg.serviceName cannot change ("
                    + d.plan.serviceName() + " → " + serviceName + "): deploy a new CMG");
        }
        d.provisioningState = "Updating";
        d.error = null;
        Operation op = newOperation(d);
        int target = capacity == null ? d.plan.capacity() : capacity;
        worker.execute(() -> {
            try {
                if (target != d.plan.capacity()) {
                    fabric.scale(d.prefix, target);
                    d.plan = d.plan.withCapacity(target);
                }
                if (certChange) {
                    fabric.updateCertificate(d.prefix, certPem, keyPem);
                    d.plan = d.plan.withCertificate(certPem, keyPem);
                }
                d.provisioningState = "Succeeded";
                op.finish("Succeeded", null);
            } catch (DeploymentException | RuntimeException e) {
                String code = e instanceof DeploymentException de ? de.code() : "InternalServerError";
                d.error = error(code, e.getMessage());
                d.provisioningState = "Failed";
                op.finish("Failed", d.error);
                cloudMgr.error("Task [Deployment Maintenance for service {}] status is Faulted: {}",
                        d.plan.serviceName(), e.getMessage());
            }
        });
        FullHttpResponse r = Responses.json(status, json(d));
        asyncHeaders(r, op, apiVersion, false);
        return r;
    }

    private FullHttpResponse delete(Kind kind, String rg, String name, String apiVersion) {
        ArmDeployment d = find(kind, rg, name);
        if ("Creating".equals(d.provisioningState) || "Updating".equals(d.provisioningState)) {
            throw new ArmException(409, "AnotherOperationInProgress", "Operation on " + describe(d)
                    + " is not allowed: provisioning state is " + d.provisioningState);
        }
        if ("Deleting".equals(d.provisioningState)) {
            FullHttpResponse r = Responses.json(202, json(d));
            asyncHeaders(r, d.lastOperation, apiVersion, true);
            return r;
        }
        d.provisioningState = "Deleting";
        Operation op = newOperation(d);
        worker.execute(() -> {
            unregister(d);
            deployments.remove(d.prefix, d);
            op.finish("Succeeded", null);
            cloudMgr.info("TaskManager: Task [DeleteDeployment for service {}] completed", d.plan.serviceName());
        });
        FullHttpResponse r = Responses.json(202, json(d));
        asyncHeaders(r, op, apiVersion, true);
        return r;
    }

    /**
     * Worker thread: the storage account is checked first (as in Azure, a resource the VMs depend on; a CMG name
     * without a storage account fails before any instance starts), then created in Azurite while the instances start
     * (their JVMs take seconds, the account's containers and table take the Azure SDK's first calls: neither waits for
     * the other), then the load balancer, then DNS once both are done; on failure undo all of it.
     */
    private void create(ArmDeployment d, Operation op) {
        DeploymentPlan p = d.plan;
        try {
            storage.check(p.prefix());
            CompletableFuture<Void> account = CompletableFuture.runAsync(() -> {
                try {
                    storage.create(p.prefix(), blobEndpoint(p.prefix()));
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            }, storageStarter);
            try {
                fabric.deploy(p);
            } catch (Exception e) {
                try {
                    awaitAccount(account); // let it finish, so that unregister deletes what it created
                } catch (Exception storageFailed) {
                    e.addSuppressed(storageFailed);
                }
                throw e;
            }
            awaitAccount(account);
            zone.putA(p.deploymentName(), fabric.vipAddress());
            zone.putA(storageHost(p.prefix()), fabric.storageAddress());
            if (d.kind == Kind.VMSS) {
                zone.putA(vaultHost(p.prefix()), fabric.config().front().address());
            }
            d.provisioningState = "Succeeded";
            op.finish("Succeeded", null);
            cloudMgr.info("TaskManager: Task [CreateDeployment for service {}] completed: {} → {}", p.serviceName(),
                    p.deploymentName(), fabric.vipAddress());
        } catch (Exception e) {
            String code = e instanceof DeploymentException de ? de.code() : "DeploymentFailed";
            unregister(d);
            d.error = error(code, e.getMessage());
            d.provisioningState = "Failed";
            op.finish("Failed", d.error);
            cloudMgr.error("TaskManager: Task [CreateDeployment for service {}] status is Faulted: {}",
                    p.serviceName(), e.getMessage());
        }
    }

    /** Waits for the storage account's creation; its failure as thrown by the provisioner. */
    private static void awaitAccount(CompletableFuture<Void> account) throws Exception {
        try {
            account.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause() instanceof CompletionException ce && ce.getCause() != null
                    ? ce.getCause() : e.getCause();
            if (c instanceof Exception ex) {
                throw ex;
            }
            throw new IllegalStateException(c);
        }
    }

    /** Stops and removes everything a deployment may have started; each step runs even if another failed. */
    private void unregister(ArmDeployment d) {
        String p = d.prefix;
        try {
            fabric.remove(p);
        } catch (RuntimeException e) {
            log.error("removing the instances of {} failed: {}", p, e.toString(), e);
        }
        for (String host : List.of(d.plan.deploymentName(), storageHost(p), vaultHost(p))) {
            try {
                zone.remove(host);
            } catch (RuntimeException e) {
                log.error("removing DNS record {} failed: {}", host, e.toString());
            }
        }
        try {
            storage.delete(p);
        } catch (Exception e) {
            log.error("deleting storage account {} failed: {}", p, e.toString());
        }
    }

    private FullHttpResponse createdResource(FullHttpRequest req, String rg, String name, boolean vault) {
        if (!req.method().equals(HttpMethod.GET)) {
            throw new ArmException(405, "MethodNotAllowed", "this emulator creates the "
                    + (vault ? "key vault" : "storage account") + " with the CMG deployment; only GET is supported");
        }
        ArmDeployment d = deployments.get(name.toLowerCase(Locale.ROOT));
        String type = vault ? "Microsoft.KeyVault/vaults" : "Microsoft.Storage/storageAccounts";
        if (d == null || !d.resourceGroup.equalsIgnoreCase(rg) || (vault && d.kind != Kind.VMSS)
                || ("Failed".equals(d.provisioningState) && fabric.deployment(d.prefix).isEmpty())) {
            throw new ArmException(404, "ResourceNotFound", "The Resource '" + type + "/" + name
                    + "' under resource group '" + rg + "' was not found.");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", "/subscriptions/" + subscriptionId + "/resourceGroups/" + d.resourceGroup + "/providers/" + type
                + "/" + d.prefix);
        m.put("name", d.prefix);
        m.put("type", type);
        m.put("location", d.location);
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("provisioningState", "Updating".equals(d.provisioningState) ? "Succeeded" : d.provisioningState);
        if (vault) {
            props.put("vaultUri", "https://" + vaultHost(d.prefix) + "/");
            props.put("tenantId", tenantId);
        } else {
            m.put("sku", Map.of("name", "Standard_LRS", "tier", "Standard"));
            m.put("kind", "StorageV2");
            props.put("primaryEndpoints", Map.of("blob", blobEndpoint(d.prefix)));
            props.put("supportsHttpsTrafficOnly", true);
            props.put("minimumTlsVersion", "TLS1_2");
        }
        m.put("properties", props);
        return Responses.json(200, m);
    }

    // ---------------------------------------------------------------- operations

    private Operation newOperation(ArmDeployment d) {
        Operation op = new Operation(UUID.randomUUID().toString(), d.kind == Kind.VMSS ? VMSS_NS : CLASSIC_NS,
                d.location);
        operations.put(op.id, op);
        d.lastOperation = op;
        return op;
    }

    private String operationUrl(Operation op, String apiVersion, boolean results) {
        return "https://" + env.managementHost() + "/subscriptions/" + subscriptionId + "/providers/" + op.namespace
                + "/locations/" + op.location + "/" + (results ? "operationResults" : "operations") + "/" + op.id
                + "?api-version=" + apiVersion;
    }

    private void asyncHeaders(FullHttpResponse r, Operation op, String apiVersion, boolean location) {
        r.headers().set("Azure-AsyncOperation", operationUrl(op, apiVersion, false));
        r.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
        if (location) {
            r.headers().set(HttpHeaderNames.LOCATION, operationUrl(op, apiVersion, true));
        }
    }

    private FullHttpResponse operation(FullHttpRequest req, RequestInfo info, String ns, String kind, String id) {
        if (!req.method().equals(HttpMethod.GET)) {
            throw new ArmException(405, "MethodNotAllowed", "operations are read with GET");
        }
        Operation op = operations.get(id);
        if (op == null || !op.namespace.equalsIgnoreCase(ns)) {
            throw new ArmException(404, "OperationNotFound", "The operation '" + id + "' could not be found.");
        }
        String apiVersion = info.param("api-version");
        if (kind.equalsIgnoreCase("operations")) {
            return Responses.json(200, op.json(operationUrl(op, apiVersion, false)));
        }
        if (kind.equalsIgnoreCase("operationResults")) {
            if ("InProgress".equals(op.status)) {
                FullHttpResponse r = Responses.text(202, "application/json; charset=utf-8", "");
                r.headers().set(HttpHeaderNames.LOCATION, operationUrl(op, apiVersion, true));
                r.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
                return r;
            }
            if ("Succeeded".equals(op.status)) {
                return Responses.text(204, "application/json; charset=utf-8", "");
            }
            return Responses.json(200, op.json(operationUrl(op, apiVersion, false)));
        }
        throw new ArmException(404, "InvalidResourceType", "unknown operation collection '" + kind + "'");
    }

    // ---------------------------------------------------------------- JSON

    private String storageHost(String prefix) {
        return prefix + "." + env.blobSuffix();
    }

    private String vaultHost(String prefix) {
        return prefix + "." + env.keyVaultSuffix();
    }

    private String blobEndpoint(String prefix) {
        return "https://" + storageHost(prefix) + "/";
    }

    private static String describe(ArmDeployment d) {
        return (d.kind == Kind.VMSS ? "virtual machine scale set '" : "cloud service (classic) '") + d.name
                + "' in resource group '" + d.resourceGroup + "'";
    }

    private static Map<String, Object> error(String code, String message) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("code", code);
        e.put("message", message);
        return e;
    }

    private static String thumbprint(java.security.cert.X509Certificate c) {
        try {
            return java.util.HexFormat.of().withUpperCase()
                    .formatHex(java.security.MessageDigest.getInstance("SHA-1").digest(c.getEncoded()));
        } catch (java.security.GeneralSecurityException e) {
            return null;
        }
    }

    Map<String, Object> json(ArmDeployment d) {
        String ns = d.kind == Kind.VMSS ? VMSS_NS : CLASSIC_NS;
        String type = d.kind == Kind.VMSS ? VMSS_TYPE : CLASSIC_TYPE;
        DeploymentPlan p = d.plan;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", "/subscriptions/" + subscriptionId + "/resourceGroups/" + d.resourceGroup + "/providers/" + ns
                + "/" + type + "/" + d.name);
        m.put("name", d.name);
        m.put("type", ns + "/" + type);
        m.put("location", d.location);
        Map<String, Object> sku = new LinkedHashMap<>();
        sku.put("name", d.skuName);
        sku.put("tier", "Standard");
        sku.put("capacity", p.capacity());
        m.put("sku", sku);
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("provisioningState", d.provisioningState);
        props.put("deploymentModel", d.kind == Kind.VMSS ? "VirtualMachineScaleSet" : "CloudServiceClassic");
        props.put("deploymentName", p.deploymentName());
        props.put("serviceName", p.serviceName());
        props.put("siteCode", p.siteCode());
        props.put("certificateThumbprint", d.certificateThumbprint);
        props.put("publishedRoles", p.publishedRoles());
        List<Map<String, Object>> instances = fabric.instanceView(d.prefix);
        props.put("instances", instances);
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Map<String, Object> i : instances) {
            counts.merge(String.valueOf(i.get("state")), 1L, Long::sum);
        }
        props.put("instanceView", Map.of("statuses", counts));
        Map<String, Object> vip = new LinkedHashMap<>();
        vip.put("address", fabric.vipAddress());
        vip.put("https", fabric.port(CloudFabric.FRONT_PORT));
        List<Integer> natHttps = new ArrayList<>();
        List<Integer> natTcp = new ArrayList<>();
        for (int i = 0; i < p.capacity(); i++) {
            if (p.capacity() > 1) {
                natHttps.add(fabric.port(CloudFabric.CHANNEL_HTTPS_BASE + i));
            }
            if (d.kind == Kind.CLASSIC) {
                natTcp.add(fabric.port(CloudFabric.CHANNEL_TCPTLS_BASE + i));
            }
        }
        vip.put("natHttpsPorts", natHttps);
        if (d.kind == Kind.CLASSIC) {
            vip.put("natTcpTlsPorts", natTcp);
        }
        props.put("vip", vip);
        props.put("storageAccount", Map.of("name", d.prefix, "blobEndpoint", blobEndpoint(d.prefix)));
        if (d.kind == Kind.VMSS) {
            props.put("keyVault", Map.of("name", d.prefix, "vaultUri", "https://" + vaultHost(d.prefix) + "/"));
        }
        if (d.error != null) {
            props.put("error", d.error);
        }
        m.put("properties", props);
        return m;
    }

    /** For the admin page. */
    public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Map<String, Object>> ds = new ArrayList<>();
        deployments.values().forEach(d -> ds.add(json(d)));
        m.put("deployments", ds);
        m.put("fabric", fabric.status());
        m.put("dns", zone.describe());
        return m;
    }

    @Override
    public void close() {
        storageStarter.shutdownNow();
        worker.shutdownNow();
        try {
            worker.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        fabric.close();
    }
}
