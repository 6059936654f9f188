package org.cmglab.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.cmglab.proto.config.AzureSimConfig;
import org.cmglab.proto.config.ClientSimConfig;
import org.cmglab.proto.config.CmgServiceConfig;
import org.cmglab.proto.config.ConnectionPointConfig;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.config.PublishedRole;
import org.cmglab.proto.config.RoleRoute;
import org.cmglab.proto.config.ScpConfig;
import org.cmglab.proto.config.SiteSimConfig;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.Eku;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.runtime.Json;

/**
 * The names, addresses, ports, certificates and config files of one lab. Every emulated host has its own loopback
 * address {@code 127.<net>.x.y}, so the real port numbers can be used; every port {@code p} is
 * {@code p + portOffset} (0 as root, else 20000 by default).
 *
 * @param home       repository root (holds {@code <module>/target/<module>.jar} and {@code tools/azurite})
 * @param stateDir   the lab's state folder (pki/, config/, logs/, azurite/)
 * @param net        second octet of every lab address (1..254)
 * @param portOffset added to every real port number
 * @param instances  CMG VM instances the service connection point deploys (1..16)
 * @param mpHttps    MP on HTTPS 443 (else HTTP 80)
 * @param cloud      Azure environment: {@code AzurePublicCloud} or {@code AzureUSGovernmentCloud}
 * @param classic    classic cloud service deployment (else virtual machine scale set)
 * @param cpChannel  the channel keep-alive timings (PING interval / timeout) of both ends: the connection point and
 *                   every CMG instance (azure-sim writes them into each instance's config); null = defaults
 *                   (15 s / 5 s)
 */
public record LabPlan(Path home, Path stateDir, int net, int portOffset, int instances, boolean mpHttps,
                      String cloud, boolean classic, org.cmglab.proto.config.ChannelTimings cpChannel) {

    public static final String SERVICE_NAME = "GraniteFalls.contoso.com";
    public static final String PREFIX = "granitefalls";
    public static final String REGION = "westus";
    public static final String RESOURCE_GROUP = "cmglab-rg";
    public static final String VM_SIZE = "Standard_B2s";
    /** Scale-set deployment name in the public cloud (the default lab). */
    public static final String DEPLOYMENT_NAME = "granitefalls.westus.cloudapp.azure.com";
    public static final String TENANT_ID = java.util.UUID.nameUUIDFromBytes("cmglab-tenant".getBytes()).toString();
    public static final String SUBSCRIPTION_ID = java.util.UUID.nameUUIDFromBytes("cmglab-subscription".getBytes()).toString();
    public static final String SCP_APP_ID = java.util.UUID.nameUUIDFromBytes("cmglab-scp-app".getBytes()).toString();
    public static final String SERVER_APP_ID = java.util.UUID.nameUUIDFromBytes("cmglab-server-app".getBytes()).toString();
    public static final String CLIENT_APP_ID = java.util.UUID.nameUUIDFromBytes("cmglab-client-app".getBytes()).toString();
    /** The hierarchy id: site tokens' {@code iss} is {@code urn:sccm:oauth2:<id>} (docs/client-auth.md). */
    public static final String HIERARCHY_ID = java.util.UUID.nameUUIDFromBytes("cmglab-hierarchy".getBytes()).toString();
    /** client01's Entra device id (CN of its device certificate from the lab CA, azure-sim's device CA). */
    public static final String CLIENT_DEVICE_ID = java.util.UUID.nameUUIDFromBytes("cmglab-device-client01".getBytes()).toString();
    /** The App ID URI of the CMG server app: the audience of Entra tokens presented at CCM_STS. */
    public static final String SERVER_APP_URI = "https://ConfigMgrService";
    public static final String SITE_CODE = "P01";
    public static final String MP_NAME = "MP01";
    public static final String MP_FQDN = "mp01.corp.contoso.com";
    public static final String MP_ROLE_ID = "72057594037927939";
    public static final String SUP_NAME = "SUP01";
    public static final String SUP_FQDN = "sup01.corp.contoso.com";
    /** 2^56 + 5 (docs/client-auth.md). */
    public static final String SUP_ROLE_ID = "72057594037927941";
    public static final String CP_FQDN = "cmgcp01.corp.contoso.com";
    public static final String CLIENT_FQDN = "client01.corp.contoso.com";
    public static final int MAX_REQUEST_BODY_BYTES = 16 * 1024 * 1024;
    public static final int DEFAULT_NET = 77;
    public static final int UNPRIVILEGED_PORT_OFFSET = 20_000;

    /** Process names (also the names of their config and .out files). */
    public static final String AZURE_SIM = "azure-sim";
    public static final String SCP = "service-connection-point";
    public static final String SITE_SIM = "site-sim";
    public static final String CONNECTION_POINT = "cmg-connection-point";
    public static final String CLIENT_SIM = "client-sim";
    public static final String CMG_SERVICE = "cmg-service";

    /** Certificates are re-issued when they expire within this time. */
    static final Duration RENEW_BEFORE = Duration.ofDays(7);

    public LabPlan {
        Objects.requireNonNull(home, "home");
        Objects.requireNonNull(stateDir, "stateDir");
        home = home.toAbsolutePath().normalize();
        stateDir = stateDir.toAbsolutePath().normalize();
        if (net < 1 || net > 254) {
            throw new IllegalArgumentException("net: " + net + " (expected: 1..254, the second octet of 127.N.x.y)");
        }
        if (portOffset < 0 || portOffset + 10_155 > 65_535) {
            throw new IllegalArgumentException("portOffset: " + portOffset + " (expected: 0..55380)");
        }
        if (instances < 1 || instances > 16) {
            throw new IllegalArgumentException("instances: " + instances + " (expected: 1..16)");
        }
        Objects.requireNonNull(cloud, "cloud");
        cloud = org.cmglab.proto.config.AzureEnvironment.of(cloud).name();
    }

    /** The lab's own host 127.N.0.1: the supervisor of {@code cmglab up} (admin API) and the live data-flow page. */
    public String labAddress() {
        return addr(0, 1);
    }

    /** The live data-flow page of {@code cmglab up}: 127.N.0.1:8080 (+ port offset). */
    public Endpoint dashboard() {
        return new Endpoint(labAddress(), port(8080));
    }

    /** The admin API of {@code cmglab up}'s supervisor (status, faults, down): 127.N.0.1:9090 (+ port offset). */
    public Endpoint labAdmin() {
        return new Endpoint(labAddress(), port(9090));
    }

    /** The Azure environment of this lab. */
    public org.cmglab.proto.config.AzureEnvironment env() {
        return org.cmglab.proto.config.AzureEnvironment.of(cloud);
    }

    /** Deployment name: {@code granitefalls.westus.cloudapp.azure.com} (scale set) or {@code granitefalls.cloudapp.net}. */
    public String deploymentName() {
        return classic ? env().classicDeploymentName(PREFIX) : env().vmssDeploymentName(PREFIX, REGION);
    }

    /** {@code VirtualMachineScaleSet} or {@code CloudServiceClassic}. */
    public String deploymentMethod() {
        return classic ? "CloudServiceClassic" : "VirtualMachineScaleSet";
    }

    public static Builder builder() {
        return new Builder();
    }

    // ------------------------------------------------------------------ addresses and ports

    /** A real port number moved by the offset. */
    public int port(int realPort) {
        return realPort + portOffset;
    }

    private String addr(int third, int fourth) {
        return "127." + net + "." + third + "." + fourth;
    }

    public String cmgAddress(int instance) {
        checkInstance(instance);
        return addr(1, 10 + instance);
    }

    /** The HTTPS front door of CMG instance {@code i} (443). */
    public Endpoint cmgFrontDoor(int instance) {
        return new Endpoint(cmgAddress(instance), port(443));
    }

    /** Where the connection point opens the channel to instance {@code i}: the front door with one instance, else 10124+i. */
    public Endpoint cmgChannel(int instance) {
        return instances == 1 ? cmgFrontDoor(instance) : new Endpoint(cmgAddress(instance), port(10124 + instance));
    }

    /** The TCP-TLS channel listener 10140+i of a classic deployment, or null for a scale set (HTTPS only). */
    public Endpoint cmgChannelTcpTls(int instance) {
        return classic ? new Endpoint(cmgAddress(instance), port(10140 + instance)) : null;
    }

    public Endpoint cmgAdmin(int instance) {
        return new Endpoint(cmgAddress(instance), port(9090));
    }

    /** The load balancer VIP the deployment name resolves to. */
    public String vipAddress() {
        return addr(1, 1);
    }

    /** Instance addresses are {@code prefix + (10 + i)}. */
    public String instanceAddressPrefix() {
        return "127." + net + ".1.";
    }

    public String azureAddress() {
        return addr(10, 1);
    }

    /** HTTPS 443 of login / management / graph. */
    public Endpoint azureFront() {
        return new Endpoint(azureAddress(), port(443));
    }

    public Endpoint azureAdmin() {
        return new Endpoint(azureAddress(), port(9090));
    }

    /** The lab DNS (UDP and TCP 53). */
    public Endpoint dns() {
        return new Endpoint(addr(10, 53), port(53));
    }

    public String scpAddress() {
        return addr(6, 10);
    }

    public Endpoint scpAdmin() {
        return new Endpoint(scpAddress(), port(9090));
    }

    public String connectionPointAddress() {
        return addr(2, 10);
    }

    public Endpoint connectionPointAdmin() {
        return new Endpoint(connectionPointAddress(), port(9090));
    }

    public String mpAddress() {
        return addr(3, 10);
    }

    /** The MP: 443 (HTTPS) or 80 (HTTP). */
    public Endpoint mp() {
        return new Endpoint(mpAddress(), port(mpHttps ? 443 : 80));
    }

    /** The software update point's address (site-sim's WSUS client web service). */
    public String supAddress() {
        return addr(3, 20);
    }

    /** The SUP over HTTP (8530). */
    public Endpoint supHttp() {
        return new Endpoint(supAddress(), port(8530));
    }

    /** The SUP over HTTPS (8531). */
    public Endpoint supHttps() {
        return new Endpoint(supAddress(), port(8531));
    }

    /** {@code https://sup01.corp.contoso.com:8531}: where the connection point forwards SUP requests. */
    public String supInternalUrl() {
        return "https://" + SUP_FQDN + ":" + supHttps().port();
    }

    /** The roles the site publishes to the CMG: the MP and the SUP. */
    public List<PublishedRole> publishedRoles() {
        return List.of(new PublishedRole(MP_ROLE_ID, "MP", SITE_CODE), new PublishedRole(SUP_ROLE_ID, "SUP", SITE_CODE));
    }

    public Endpoint siteSimAdmin() {
        return new Endpoint(mpAddress(), port(9090));
    }

    public String clientAddress() {
        return addr(4, 10);
    }

    public String azuriteAddress() {
        return addr(5, 10);
    }

    /**
     * HTTPS 443 (plus the port offset): clients download content from the storage host
     * {@code <prefix>.<blobSuffix>} over HTTPS 443 (cmg-facts §6), which the lab DNS resolves to Azurite's address.
     */
    public int azuriteBlobPort() {
        return port(443);
    }

    /** The CMG storage account's host, {@code granitefalls.blob.core.windows.net} (US Gov {@code …usgovcloudapi.net}). */
    public String blobHost() {
        return PREFIX + "." + env().blobSuffix();
    }

    /** Azurite's HTTPS certificate: the storage host names and Azurite's address (for the SDK's path-style calls). */
    public TlsFiles azuriteTls() {
        return tls("azurite-storage");
    }

    /** The CMG's storage account for cloud content, as the site uses it (docs/content-flow.md). */
    public org.cmglab.proto.config.ContentStorageConfig contentStorageConfig() {
        return new org.cmglab.proto.config.ContentStorageConfig("https://" + azuriteAddress() + ":" + azuriteBlobPort(),
                PREFIX, storageKeyFile().toString(), blobHost(), azuriteBlobPort(), null,
                List.of(rootCertFile().toString()), org.cmglab.proto.config.ContentStorageConfig.DEFAULT_SAS_MINUTES);
    }

    public int azuriteQueuePort() {
        return port(10001);
    }

    public int azuriteTablePort() {
        return port(10002);
    }

    /**
     * Static names for code that does not use the lab DNS (the lab's own checks): the on-prem hosts. The CMG names are
     * resolved through the DNS only (CNAME service name → deployment name → VIP).
     */
    public Map<String, String> hosts() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(MP_FQDN, mpAddress());
        m.put(SUP_FQDN, supAddress());
        return m;
    }

    /** The customer's DNS records the lab DNS serves: the CMG CNAME and the on-prem hosts. */
    public List<org.cmglab.proto.config.AzureSimConfig.DnsRecord> customerZone() {
        return List.of(new org.cmglab.proto.config.AzureSimConfig.DnsRecord(SERVICE_NAME, "CNAME", deploymentName()),
                new org.cmglab.proto.config.AzureSimConfig.DnsRecord(MP_FQDN, "A", mpAddress()),
                new org.cmglab.proto.config.AzureSimConfig.DnsRecord(SUP_FQDN, "A", supAddress()),
                new org.cmglab.proto.config.AzureSimConfig.DnsRecord(CP_FQDN, "A", connectionPointAddress()),
                new org.cmglab.proto.config.AzureSimConfig.DnsRecord(CLIENT_FQDN, "A", clientAddress()));
    }

    /** {@code https://mp01.corp.contoso.com:443} (or http …:80): where the connection point forwards MP requests. */
    public String mpInternalUrl() {
        return (mpHttps ? "https://" : "http://") + MP_FQDN + ":" + mp().port();
    }

    public static String cmgServiceName(int instance) {
        return CMG_SERVICE + "-" + instance;
    }

    /**
     * Long-running component processes the lab starts, in start order, with their admin endpoints. The CMG VM
     * instances ({@code cmg-service-<i>}) are not among them: azure-sim starts them when the service connection
     * point deploys the CMG (flow F1).
     */
    public List<Component> components() {
        List<Component> out = new ArrayList<>();
        out.add(new Component(AZURE_SIM, AZURE_SIM, configFile(AZURE_SIM), azureAdmin()));
        out.add(new Component(SITE_SIM, SITE_SIM, configFile(SITE_SIM), siteSimAdmin()));
        out.add(new Component(SCP, SCP, configFile(SCP), scpAdmin()));
        out.add(new Component(CONNECTION_POINT, CONNECTION_POINT, configFile(CONNECTION_POINT), connectionPointAdmin()));
        return out;
    }

    /**
     * A component process of the lab.
     *
     * @param name   process name, e.g. {@code cmg-service-0}
     * @param module Maven module whose jar runs it
     * @param config its config file
     * @param admin  its admin endpoint
     */
    public record Component(String name, String module, Path config, Endpoint admin) {}

    // ------------------------------------------------------------------ files

    public Path pkiDir() {
        return stateDir.resolve("pki");
    }

    /** {@code <state>/pki/admin-token} (0600): the bearer token every component's admin POSTs need. */
    public Path adminTokenFile() {
        return pkiDir().resolve(org.cmglab.proto.runtime.AdminToken.FILE);
    }

    public Path configDir() {
        return stateDir.resolve("config");
    }

    public Path logDir() {
        return stateDir.resolve("logs");
    }

    public Path azuriteDir() {
        return stateDir.resolve("azurite");
    }

    public Path configFile(String component) {
        return configDir().resolve(component + ".json");
    }

    /** {@code <home>/<module>/target/<module>.jar}. */
    public Path jar(String module) {
        return home.resolve(module).resolve("target").resolve(module + ".jar");
    }

    public Path rootCertFile() {
        return pkiDir().resolve(LabCa.ROOT_CERT_FILE);
    }

    public TlsFiles cmgServerTls() {
        return tls("cmg-server-auth");
    }

    public TlsFiles connectionPointTls() {
        return tls("cmgcp01-client-auth");
    }

    public TlsFiles mpTls() {
        return tls("mp01-server");
    }

    public TlsFiles supTls() {
        return tls("sup01-server");
    }

    public TlsFiles clientTls() {
        return tls("client01-client-auth");
    }

    public TlsFiles azureFrontTls() {
        return tls("azure-front");
    }

    /** client01's Entra device certificate ({@code CN=<device id>}, client auth, from the lab CA). */
    public TlsFiles clientDeviceTls() {
        return tls("client01-entra-device");
    }

    /** The site's SMS Token Signing Certificate (issued by the self-signed SMS Issuing root, see SiteTokenPki). */
    public TlsFiles tokenSigningTls() {
        return new TlsFiles(pkiDir().resolve(org.cmglab.proto.token.SiteTokenPki.SIGNING_CERT_FILE).toString(),
                pkiDir().resolve(org.cmglab.proto.token.SiteTokenPki.SIGNING_KEY_FILE).toString());
    }

    /** The SCP app registration's client secret, generated once per state folder (never committed). */
    public Path scpSecretFile() {
        return pkiDir().resolve("scp-app.secret");
    }

    /**
     * The shared key of the CMG's storage account ({@code granitefalls}) in Azurite: 32 random bytes, base64,
     * generated once per state folder (0600, never committed). Azurite is started with it and azure-sim gets it in
     * {@link AzureSimConfig#storage()}.
     */
    public Path storageKeyFile() {
        return pkiDir().resolve("storage-" + PREFIX + ".key");
    }

    private TlsFiles tls(String base) {
        return new TlsFiles(pkiDir().resolve(base + ".crt.pem").toString(), pkiDir().resolve(base + ".key.pem").toString());
    }

    // ------------------------------------------------------------------ configs

    /** Where azure-sim finds the CMG's storage account: Azurite's blob and table endpoints and the account key. */
    public AzureSimConfig.StorageService storageService(String storageKey) {
        return new AzureSimConfig.StorageService("https://" + azuriteAddress() + ":" + azuriteBlobPort(),
                "https://" + azuriteAddress() + ":" + azuriteTablePort(),
                List.of(new AzureSimConfig.StorageAccountKey(PREFIX, storageKey)), List.of(rootCertFile().toString()));
    }

    public AzureSimConfig azureSimConfig(String scpSecret, String storageKey) {
        org.cmglab.proto.config.AzureEnvironment e = env();
        List<AzureSimConfig.AppRegistration> apps = List.of(
                new AzureSimConfig.AppRegistration(SCP_APP_ID, "CMG Lab service connection point", scpSecret, null,
                        List.of()),
                new AzureSimConfig.AppRegistration(SERVER_APP_ID, "CMG Lab server app (ConfigMgrService)", null,
                        SERVER_APP_URI, List.of("https://" + SERVICE_NAME + "/CCM_Proxy_ServerAuth/ImplicitAuth")),
                new AzureSimConfig.AppRegistration(CLIENT_APP_ID, "CMG Lab client app", null, null,
                        List.of("ms-appx-web://Microsoft.AAD.BrokerPlugin/" + CLIENT_APP_ID)));
        List<AzureSimConfig.DirectoryUser> users = List.of(new AzureSimConfig.DirectoryUser("alice@contoso.com",
                java.util.UUID.nameUUIDFromBytes("alice".getBytes()).toString(), "Alice (lab user)", "Lab-Passw0rd!"));
        return new AzureSimConfig(e.name(), TENANT_ID, SUBSCRIPTION_ID, azureFront(), dns(), azureAdmin(), azureFrontTls(),
                apps, users, vipAddress(), instanceAddressPrefix(), portOffset, jar(CMG_SERVICE).toString(),
                customerZone(), stateDir.resolve("azure").toString(), logDir().toString(), azuriteAddress(),
                storageService(storageKey), List.of(rootCertFile().toString()), cpChannel,
                tokenAuthConfig().withoutSigningKey());
    }

    public ScpConfig scpConfig(String scpSecret) {
        String root = rootCertFile().toString();
        return new ScpConfig(env().name(), TENANT_ID, SCP_APP_ID, scpSecret, SUBSCRIPTION_ID, RESOURCE_GROUP, REGION,
                deploymentMethod(), instances, VM_SIZE, SERVICE_NAME, cmgServerTls(), List.of(root), List.of(root),
                publishedRoles(), SITE_CODE, dns(), List.of(root), scpAdmin(),
                true, portOffset, stateDir.resolve("scp").toString(), logDir().toString());
    }

    /** The config azure-sim writes for instance {@code i} (for reference and tests; azure-sim owns the real one). */
    public CmgServiceConfig cmgServiceConfig(int instance) {
        String root = rootCertFile().toString();
        return new CmgServiceConfig(SERVICE_NAME, deploymentName(), SITE_CODE, instance, cmgFrontDoor(instance),
                instances == 1 ? null : cmgChannel(instance), cmgAdmin(instance), cmgServerTls(), List.of(root),
                List.of(root), publishedRoles(), MAX_REQUEST_BODY_BYTES, cpChannel,
                logDir().toString(), cmgChannelTcpTls(instance), tokenAuthConfig().withoutSigningKey());
    }

    /**
     * One channel per VM instance, dialled by the service name. Scale set: HTTPS, 443 with one instance, 10124+i with
     * several. Classic: TCP-TLS 10140+i, falling back to that HTTPS port when TCP-TLS cannot connect. These are the
     * starting targets; the connection point then follows the instance count it reads from the SCP's admin status
     * (scale out / in without a restart).
     */
    public ConnectionPointConfig connectionPointConfig() {
        List<ConnectionPointConfig.ChannelTarget> targets = new ArrayList<>();
        for (int i = 0; i < instances; i++) {
            targets.add(classic
                    ? new ConnectionPointConfig.ChannelTarget(i, SERVICE_NAME, cmgChannelTcpTls(i).port(),
                            ConnectionPointConfig.ChannelTarget.TCP_TLS, cmgChannel(i).port())
                    : ConnectionPointConfig.ChannelTarget.https(i, SERVICE_NAME, cmgChannel(i).port()));
        }
        return new ConnectionPointConfig(CP_FQDN, SITE_CODE, connectionPointAddress(), targets, connectionPointTls(),
                List.of(rootCertFile().toString()), List.of(new RoleRoute(MP_ROLE_ID, "MP", mpInternalUrl()),
                        new RoleRoute(SUP_ROLE_ID, "SUP", supInternalUrl())), hosts(),
                connectionPointAdmin(), cpChannel, logDir().toString(), dns(), scpAdmin(),
                ConnectionPointConfig.DEFAULT_SITE_POLL_MILLIS, null);
    }

    public SiteSimConfig siteSimConfig() {
        return new SiteSimConfig(SITE_CODE, MP_NAME, MP_FQDN, MP_ROLE_ID, mpHttps, mp(), mpTls(), siteSimAdmin(),
                logDir().toString(), tokenAuthConfig(), new org.cmglab.proto.config.SupConfig(SUP_NAME, SUP_FQDN,
                SUP_ROLE_ID, supHttp(), supHttps(), supTls()), new org.cmglab.proto.config.MpMessagingConfig(true,
                false, SERVICE_NAME, port(443), MP_ROLE_ID, null, null, null, null, null))
                .withContentStorage(contentStorageConfig());
    }

    /** The v1 issuer of the lab tenant's access tokens ({@code https://sts.windows.net/<tid>/}; US Gov: login host). */
    public String entraIssuer() {
        String host = env().name().equals(org.cmglab.proto.config.AzureEnvironment.US_GOVERNMENT.name())
                ? env().loginHost() : "sts.windows.net";
        return "https://" + host + "/" + TENANT_ID + "/";
    }

    /** {@code https://<login host>[:port]/<tenant>}: where clients and the MP reach the lab tenant's Entra ID. */
    public String entraAuthority() {
        return "https://" + env().loginHost() + (port(443) == 443 ? "" : ":" + port(443)) + "/" + TENANT_ID;
    }

    /**
     * Token checks of the MP (with the signing key; the Entra keys from the tenant's discovery document through the
     * lab DNS). azure-sim hands the CMG instances the same without the key and with its JWKS inline.
     */
    public org.cmglab.proto.config.TokenAuthConfig tokenAuthConfig() {
        TlsFiles signing = tokenSigningTls();
        return new org.cmglab.proto.config.TokenAuthConfig(HIERARCHY_ID, signing.certFile(), signing.keyFile(),
                TENANT_ID, entraIssuer(), SERVER_APP_URI, SERVER_APP_ID, CLIENT_APP_ID,
                entraAuthority() + "/.well-known/openid-configuration", null, dns(),
                List.of(rootCertFile().toString()), org.cmglab.proto.config.TokenAuthConfig.DEFAULT_SKEW_SECONDS);
    }

    public ClientSimConfig clientSimConfig() {
        return new ClientSimConfig(CLIENT_FQDN, clientAddress(), SERVICE_NAME, port(443), MP_ROLE_ID, clientTls(),
                List.of(rootCertFile().toString()), hosts(), logDir().toString(), dns(),
                new org.cmglab.proto.config.ClientTokenConfig(stateDir.resolve("client01").toString(), TENANT_ID,
                        entraAuthority(), clientDeviceTls(), siteSimAdmin()), mpInternalUrl(), SITE_CODE,
                stateDir.resolve("client-sim").toString());
    }

    /**
     * Creates (or loads) the lab CA, issues the certificates that are missing, expire within 7 days or were not
     * issued by the current root, writes one config file per component and creates the log folder.
     *
     * @return the lab CA
     */
    public LabCa materialize() {
        try {
            Files.createDirectories(stateDir);
            Files.createDirectories(logDir());
            Files.createDirectories(configDir());
            LabCa ca = LabCa.loadOrCreate(pkiDir());
            org.cmglab.proto.runtime.AdminToken.loadOrCreate(pkiDir());
            ensureCert(ca, cmgServerTls(), CertSpec.server(SERVICE_NAME, List.of(SERVICE_NAME, deploymentName()), List.of()));
            ensureCert(ca, azureFrontTls(), CertSpec.server(env().loginHost(), env().frontHosts(), List.of()));
            String secret = scpSecret();
            String storageKey = storageKey();
            ensureCert(ca, connectionPointTls(), CertSpec.client(CP_FQDN));
            ensureCert(ca, mpTls(), CertSpec.builder(MP_FQDN).dnsNames(MP_FQDN)
                    .ekus(Eku.SERVER_AUTH, Eku.CLIENT_AUTH).build());
            ensureCert(ca, clientTls(), CertSpec.client(CLIENT_FQDN));
            ensureCert(ca, clientDeviceTls(), CertSpec.client(CLIENT_DEVICE_ID));
            org.cmglab.proto.token.SiteTokenPki.loadOrCreate(pkiDir());
            // the Entra tenant's signing key, made here with the other keys rather than in azure-sim's cold JVM
            org.cmglab.proto.jwt.JwtSigner.loadOrGenerate("cmglab-entra-" + TENANT_ID.substring(0, 8),
                    stateDir.resolve("azure").resolve(org.cmglab.proto.config.AzureSimConfig.ENTRA_SIGNING_KEY_FILE));
            ensureCert(ca, supTls(), CertSpec.server(SUP_FQDN, List.of(SUP_FQDN), List.of()));
            ensureCert(ca, azuriteTls(), CertSpec.server(blobHost(), List.of(blobHost()), List.of(azuriteAddress())));
            Json.writeFile(configFile(AZURE_SIM), azureSimConfig(secret, storageKey));
            Json.writeFile(configFile(SCP), scpConfig(secret));
            Json.writeFile(configFile(CONNECTION_POINT), connectionPointConfig());
            Json.writeFile(configFile(SITE_SIM), siteSimConfig());
            Json.writeFile(configFile(CLIENT_SIM), clientSimConfig());
            return ca;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare lab state in " + stateDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * True when {@code have} names what {@code spec} asks for (subject CN and DNS SANs): a lab re-planned for another
     * cloud or deployment method (other deployment and Azure host names) gets new certificates.
     */
    static boolean sameNames(IssuedCert have, CertSpec spec) throws java.security.cert.CertificateParsingException {
        String subject = have.certificate().getSubjectX500Principal().getName();
        if (!subject.startsWith("CN=" + spec.commonName() + ",") && !subject.equals("CN=" + spec.commonName())) {
            return false;
        }
        java.util.Set<String> sans = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        var all = have.certificate().getSubjectAlternativeNames();
        if (all != null) {
            for (List<?> san : all) {
                if (Integer.valueOf(2).equals(san.get(0))) {
                    sans.add(String.valueOf(san.get(1)));
                }
            }
        }
        java.util.Set<String> wanted = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        wanted.addAll(spec.dnsNames());
        return sans.equals(wanted);
    }

    /** The SCP app's client secret: read from the state folder, or generated (0600) on first use. */
    String scpSecret() throws IOException {
        return secretFile(scpSecretFile(), 30, java.util.Base64.getUrlEncoder().withoutPadding());
    }

    /** The storage account key (standard base64 of 32 random bytes): read, or generated (0600) on first use. */
    public String storageKey() throws IOException {
        return secretFile(storageKeyFile(), 32, java.util.Base64.getEncoder());
    }

    private static String secretFile(Path f, int bytes, java.util.Base64.Encoder encoder) throws IOException {
        if (Files.exists(f)) {
            return Files.readString(f).strip();
        }
        byte[] b = new byte[bytes];
        new java.security.SecureRandom().nextBytes(b);
        String secret = encoder.encodeToString(b);
        Files.createDirectories(f.getParent());
        Files.createFile(f, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Files.writeString(f, secret);
        return secret;
    }

    /** Issues {@code spec} into {@code files} unless a valid certificate from this CA is already there. */
    static boolean ensureCert(LabCa ca, TlsFiles files, CertSpec spec) throws IOException {
        Path cert = Path.of(files.certFile());
        Path key = Path.of(files.keyFile());
        if (Files.exists(cert) && Files.exists(key)) {
            try {
                IssuedCert have = IssuedCert.readPem(cert, key);
                have.certificate().verify(ca.root().getPublicKey());
                Instant notAfter = have.certificate().getNotAfter().toInstant();
                if (notAfter.isAfter(Instant.now().plus(RENEW_BEFORE)) && sameNames(have, spec)) {
                    return false;
                }
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                // unreadable, mismatched or from an older root: issue a new one below
            }
        }
        ca.issue(spec).writePem(cert, key);
        return true;
    }

    private void checkInstance(int instance) {
        if (instance < 0 || instance >= instances) {
            throw new IllegalArgumentException("instance: " + instance + " (expected: 0.." + (instances - 1) + ")");
        }
    }

    // ------------------------------------------------------------------ defaults

    /** 0 when running as root (real ports), else {@value #UNPRIVILEGED_PORT_OFFSET}. */
    public static int defaultPortOffset() {
        return isRoot() ? 0 : UNPRIVILEGED_PORT_OFFSET;
    }

    static boolean isRoot() {
        try {
            return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
        } catch (LinkageError | RuntimeException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /**
     * The repository root: system property {@code cmglab.home}, else the current directory or the first parent
     * holding both {@code cmglab} and {@code pom.xml}.
     */
    public static Path findHome() {
        String prop = System.getProperty("cmglab.home");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        Path start = Path.of("").toAbsolutePath().normalize();
        for (Path p = start; p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("cmglab")) && Files.exists(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the CMG Lab repository root (a folder with cmglab and pom.xml) from "
                + start + "; set -Dcmglab.home");
    }

    /** Mutable builder with the lab defaults; not thread-safe. */
    public static final class Builder {
        private Path home;
        private Path stateDir;
        private int net = DEFAULT_NET;
        private Integer portOffset;
        private int instances = 1;
        private boolean mpHttps = true;
        private String cloud = "AzurePublicCloud";
        private boolean classic;
        private org.cmglab.proto.config.ChannelTimings cpChannel;

        private Builder() {}

        /**
         * The channel keep-alive of both ends, the connection point and every CMG instance (azure-sim writes it into
         * each instance's config): a PING after {@code interval} of silence, the channel closed if unanswered within
         * {@code timeout}; default 15 s / 5 s.
         */
        public Builder channelPing(Duration interval, Duration timeout) {
            if (interval.toMillis() < 100 || timeout.toMillis() < 100) {
                throw new IllegalArgumentException("channelPing: interval and timeout must be at least 100 ms (got "
                        + interval.toMillis() + " ms / " + timeout.toMillis() + " ms)");
            }
            this.cpChannel = new org.cmglab.proto.config.ChannelTimings(interval.toMillis(), timeout.toMillis());
            return this;
        }

        /** Azure environment ({@code public}/{@code usgov} or the full name); default public. */
        public Builder cloud(String v) { this.cloud = v; return this; }

        /** Classic cloud service deployment; default scale set. */
        public Builder classic(boolean v) { this.classic = v; return this; }

        /** Repository root; default {@link LabPlan#findHome()}. */
        public Builder home(Path v) { this.home = v; return this; }

        /** State folder; default {@code <home>/.cmglab} (git-ignored). */
        public Builder stateDir(Path v) { this.stateDir = v; return this; }

        /** Second octet of the lab addresses; default 77. */
        public Builder net(int v) { this.net = v; return this; }

        /** Port offset; default {@link LabPlan#defaultPortOffset()}. */
        public Builder portOffset(int v) { this.portOffset = v; return this; }

        /** CMG VM instances; default 1. */
        public Builder instances(int v) { this.instances = v; return this; }

        /** MP on HTTPS; default true. */
        public Builder mpHttps(boolean v) { this.mpHttps = v; return this; }

        public LabPlan build() {
            Path h = home != null ? home : findHome();
            Path s = stateDir != null ? stateDir : h.resolve(".cmglab");
            return new LabPlan(h, s, net, portOffset != null ? portOffset : defaultPortOffset(), instances, mpHttps,
                    cloud, classic, cpChannel);
        }
    }
}
