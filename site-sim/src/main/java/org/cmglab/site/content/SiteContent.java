package org.cmglab.site.content;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.cmglab.proto.config.ContentStorageConfig;
import org.cmglab.proto.config.SiteSimConfig;
import org.cmglab.proto.content.ContentBlobs;
import org.cmglab.proto.content.ContentManifest;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.runtime.AdminAction;
import org.cmglab.site.ccm.ContentLocationSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The site's cloud content: the catalog of what the CMG holds, the distributor (one {@code content-dist} thread, never
 * an event loop) and the MP's CMG content locations; admin actions {@code POST /distribute?package=P0100012&version=1
 * &files=4&bytes=6000000}, {@code POST /undistribute?package=…} and {@code POST /content} (the state of each
 * distribution).
 */
public final class SiteContent implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SiteContent.class);
    private static final Pattern PACKAGE_ID = Pattern.compile("[A-Z0-9]{3}[0-9A-F]{5}");

    private final ContentDistributor distributor;
    private final CmgContentLocations locations;
    private final ExecutorService worker;
    private final Map<String, String> states = new ConcurrentHashMap<>();

    SiteContent(ContentDistributor distributor, CmgContentLocations locations) {
        this.distributor = distributor;
        this.locations = locations;
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "content-dist");
            t.setDaemon(true);
            return t;
        });
    }

    /** Null when the config has no content storage (or cannot sign content tokens: no token-signing key). */
    public static SiteContent fromConfig(SiteSimConfig config, String mpFqdn, int mpVersion, Clock clock)
            throws java.io.IOException {
        ContentStorageConfig storage = config.contentStorage();
        if (storage == null) {
            return null;
        }
        String cmg = config.messagingOrDefaults().cmgServiceName();
        if (config.tokenAuth() == null || config.tokenAuth().signingKeyFile() == null || cmg == null) {
            log.warn("Cloud content is configured but {}; the CMG is not offered as a content location",
                    cmg == null ? "messaging.cmgServiceName is not set" : "the site has no token-signing key");
            return null;
        }
        Integer port = config.messagingOrDefaults().cmgPort();
        PrivateKey key = Pem.readPrivateKey(Path.of(config.tokenAuth().signingKeyFile()));
        CloudContentCatalog catalog = new CloudContentCatalog();
        ContentDistributor d = new ContentDistributor(ContentBlobs.container(storage), catalog);
        log.info("Cloud content: storage account {} container {} via {} (clients: {}), CMG {}", storage.account(),
                storage.container(), storage.sdkEndpoint(), storage.publicBlobBase(), cmg);
        return new SiteContent(d, new CmgContentLocations(catalog, cmg + (port == null || port == 443 ? "" : ":"
                + port), mpFqdn, mpVersion, key, clock));
    }

    public ContentLocationSource locations() {
        return locations;
    }

    public ContentDistributor distributor() {
        return distributor;
    }

    public Map<String, AdminAction> adminActions() {
        Map<String, AdminAction> m = new LinkedHashMap<>();
        m.put("distribute", (q, body) -> {
            String pkg = packageId(q);
            int version = intParam(q, "version", 1, 1, 9999);
            int files = intParam(q, "files", 4, 1, LabPackage.MAX_FILES);
            long bytes = intParam(q, "bytes", 6_000_000, files, (int) LabPackage.MAX_TOTAL);
            states.put(pkg, "Distributing version " + version);
            worker.execute(() -> {
                try {
                    ContentManifest man = distributor.distribute(LabPackage.generate(pkg, version, files, bytes), pkg);
                    states.put(pkg, "Distributed version " + man.version() + ": " + man.files().size() + " files, "
                            + man.totalSize() + " bytes");
                } catch (RuntimeException e) {
                    log.error("Distribution of {} failed: {}", pkg, e.toString());
                    states.put(pkg, "Failed: " + e.getClass().getSimpleName() + ": " + e.getMessage());
                }
            });
            return Map.of("package", pkg, "state", "Distributing");
        });
        m.put("undistribute", (q, body) -> {
            String pkg = packageId(q);
            states.put(pkg, "Removing");
            worker.execute(() -> {
                try {
                    distributor.remove(pkg);
                    states.put(pkg, "Removed");
                } catch (RuntimeException e) {
                    states.put(pkg, "Failed: " + e.getClass().getSimpleName() + ": " + e.getMessage());
                }
            });
            return Map.of("package", pkg, "state", "Removing");
        });
        m.put("content", (q, body) -> Map.of("states", Map.copyOf(states),
                "onCmg", distributor.catalog().describe()));
        return m;
    }

    private static String packageId(Map<String, List<String>> q) {
        List<String> v = q.get("package");
        String p = v == null || v.isEmpty() ? null : v.get(0);
        if (p == null || !PACKAGE_ID.matcher(p).matches()) {
            throw new IllegalArgumentException("package: " + p + " (expected a package id like P0100012)");
        }
        return p;
    }

    private static int intParam(Map<String, List<String>> q, String name, int dflt, long min, int max) {
        List<String> v = q.get(name);
        if (v == null || v.isEmpty()) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.get(0));
            if (n < min || n > max) {
                throw new IllegalArgumentException(name + ": " + n + " (expected " + min + ".." + max + ")");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": " + v.get(0) + " is not a number");
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
        try {
            worker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
