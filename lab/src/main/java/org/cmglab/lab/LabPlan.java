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
import org.cmglab.proto.config.ClientSimConfig;
import org.cmglab.proto.config.CmgServiceConfig;
import org.cmglab.proto.config.ConnectionPointConfig;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.config.PublishedRole;
import org.cmglab.proto.config.RoleRoute;
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
 * @param instances  CMG VM instances (1 until azure-sim's load balancer exists)
 * @param mpHttps    MP on HTTPS 443 (else HTTP 80)
 */
public record LabPlan(Path home, Path stateDir, int net, int portOffset, int instances, boolean mpHttps) {

    public static final String SERVICE_NAME = "GraniteFalls.contoso.com";
    public static final String DEPLOYMENT_NAME = "granitefalls.westus.cloudapp.azure.com";
    public static final String SITE_CODE = "P01";
    public static final String MP_NAME = "MP01";
    public static final String MP_FQDN = "mp01.corp.contoso.com";
    public static final String MP_ROLE_ID = "72057594037927939";
    public static final String CP_FQDN = "cmgcp01.corp.contoso.com";
    public static final String CLIENT_FQDN = "client01.corp.contoso.com";
    public static final int MAX_REQUEST_BODY_BYTES = 16 * 1024 * 1024;
    public static final int DEFAULT_NET = 77;
    public static final int UNPRIVILEGED_PORT_OFFSET = 20_000;

    /** Process names (also the names of their config and .out files). */
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
        if (instances != 1) {
            throw new IllegalArgumentException("instances: " + instances
                    + " (expected: 1; several instances need azure-sim's load balancer, which does not exist yet)");
        }
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

    public Endpoint cmgAdmin(int instance) {
        return new Endpoint(cmgAddress(instance), port(9090));
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

    public Endpoint siteSimAdmin() {
        return new Endpoint(mpAddress(), port(9090));
    }

    public String clientAddress() {
        return addr(4, 10);
    }

    public String azuriteAddress() {
        return addr(5, 10);
    }

    public int azuriteBlobPort() {
        return port(10000);
    }

    public int azuriteQueuePort() {
        return port(10001);
    }

    public int azuriteTablePort() {
        return port(10002);
    }

    /** Name resolution until the lab DNS exists: service and deployment name → instance 0, MP FQDN → MP. */
    public Map<String, String> hosts() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(SERVICE_NAME, cmgAddress(0));
        m.put(DEPLOYMENT_NAME, cmgAddress(0));
        m.put(MP_FQDN, mpAddress());
        return m;
    }

    /** {@code https://mp01.corp.contoso.com:443} (or http …:80): where the connection point forwards MP requests. */
    public String mpInternalUrl() {
        return (mpHttps ? "https://" : "http://") + MP_FQDN + ":" + mp().port();
    }

    public static String cmgServiceName(int instance) {
        return CMG_SERVICE + "-" + instance;
    }

    /** Long-running component processes in start order, with their admin endpoints. */
    public List<Component> components() {
        List<Component> out = new ArrayList<>();
        out.add(new Component(SITE_SIM, SITE_SIM, configFile(SITE_SIM), siteSimAdmin()));
        for (int i = 0; i < instances; i++) {
            out.add(new Component(cmgServiceName(i), CMG_SERVICE, configFile(cmgServiceName(i)), cmgAdmin(i)));
        }
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

    public TlsFiles clientTls() {
        return tls("client01-client-auth");
    }

    private TlsFiles tls(String base) {
        return new TlsFiles(pkiDir().resolve(base + ".crt.pem").toString(), pkiDir().resolve(base + ".key.pem").toString());
    }

    // ------------------------------------------------------------------ configs

    public CmgServiceConfig cmgServiceConfig(int instance) {
        String root = rootCertFile().toString();
        return new CmgServiceConfig(SERVICE_NAME, DEPLOYMENT_NAME, SITE_CODE, instance, cmgFrontDoor(instance),
                instances == 1 ? null : cmgChannel(instance), cmgAdmin(instance), cmgServerTls(), List.of(root),
                List.of(root), List.of(new PublishedRole(MP_ROLE_ID, "MP", SITE_CODE)), MAX_REQUEST_BODY_BYTES, null,
                logDir().toString());
    }

    public ConnectionPointConfig connectionPointConfig() {
        List<ConnectionPointConfig.ChannelTarget> targets = new ArrayList<>();
        for (int i = 0; i < instances; i++) {
            targets.add(new ConnectionPointConfig.ChannelTarget(i, SERVICE_NAME, cmgChannel(i).port(), "HTTPS"));
        }
        return new ConnectionPointConfig(CP_FQDN, SITE_CODE, connectionPointAddress(), targets, connectionPointTls(),
                List.of(rootCertFile().toString()), List.of(new RoleRoute(MP_ROLE_ID, "MP", mpInternalUrl())), hosts(),
                connectionPointAdmin(), null, logDir().toString());
    }

    public SiteSimConfig siteSimConfig() {
        return new SiteSimConfig(SITE_CODE, MP_NAME, MP_FQDN, MP_ROLE_ID, mpHttps, mp(), mpTls(), siteSimAdmin(),
                logDir().toString());
    }

    public ClientSimConfig clientSimConfig() {
        return new ClientSimConfig(CLIENT_FQDN, clientAddress(), SERVICE_NAME, port(443), MP_ROLE_ID, clientTls(),
                List.of(rootCertFile().toString()), hosts(), logDir().toString());
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
            ensureCert(ca, cmgServerTls(), CertSpec.server(SERVICE_NAME, List.of(SERVICE_NAME, DEPLOYMENT_NAME), List.of()));
            ensureCert(ca, connectionPointTls(), CertSpec.client(CP_FQDN));
            ensureCert(ca, mpTls(), CertSpec.builder(MP_FQDN).dnsNames(MP_FQDN)
                    .ekus(Eku.SERVER_AUTH, Eku.CLIENT_AUTH).build());
            ensureCert(ca, clientTls(), CertSpec.client(CLIENT_FQDN));
            for (int i = 0; i < instances; i++) {
                Json.writeFile(configFile(cmgServiceName(i)), cmgServiceConfig(i));
            }
            Json.writeFile(configFile(CONNECTION_POINT), connectionPointConfig());
            Json.writeFile(configFile(SITE_SIM), siteSimConfig());
            Json.writeFile(configFile(CLIENT_SIM), clientSimConfig());
            return ca;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare lab state in " + stateDir + ": " + e.getMessage(), e);
        }
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
                if (notAfter.isAfter(Instant.now().plus(RENEW_BEFORE))) {
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

        private Builder() {}

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
            return new LabPlan(h, s, net, portOffset != null ? portOffset : defaultPortOffset(), instances, mpHttps);
        }
    }
}
