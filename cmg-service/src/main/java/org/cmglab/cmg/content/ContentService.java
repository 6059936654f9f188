package org.cmglab.cmg.content;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.sas.BlobSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import java.io.IOException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.ccm.CcmFormatException;
import org.cmglab.proto.config.CmgServiceConfig;
import org.cmglab.proto.config.ContentStorageConfig;
import org.cmglab.proto.content.ContentBlobs;
import org.cmglab.proto.content.ContentManifest;
import org.cmglab.proto.content.ContentToken;
import org.cmglab.proto.content.ContentTokenException;
import org.cmglab.proto.pki.Pem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CMG's content service (flows C4/C5; CMGContentService.log): {@code GET /downloadrestservice.svc/
 * getcontentxmlsecure?pid=…&cid=…&tid=…&iss=…&alg=…&st=…&et=…&sig=…}, answered by the CMG itself. It checks the
 * content access token (signature with the site's token-signing certificate, validity, scope: the content named in
 * the query and the client in the {@code CCMClientID} header), reads the content's manifest from the CMG's storage
 * account and answers it with a short-lived read-only SAS URL per file on the storage host
 * ({@code https://<account>.blob.core.windows.net/<container>/<cid>/<version>/<file>?sv=…&sig=…}).
 *
 * <p>Storage calls block, so they run on a small {@code cmg-content} pool; the answer is written on the connection's
 * event loop by the caller.
 */
public final class ContentService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("CMGContentService");
    public static final String PATH = "/downloadrestservice.svc/getcontentxmlsecure";
    public static final String CLIENT_ID_HEADER = "CCMClientID";

    /** An answer: status, reason phrase, body (XML on 200, text otherwise) and the refusal reason for logs. */
    public record Answer(int status, String reason, String body, String detail) {
        public boolean ok() {
            return status == 200;
        }
    }

    private final ContentStorageConfig storage;
    private final BlobContainerClient container;
    private final PublicKey siteKey;
    private final Clock clock;
    private final Duration skew;
    private final Duration sasLifetime;
    private final ExecutorService pool;
    /**
     * Manifests read from storage, by content ID. A content version's manifest never changes (a new version is a new
     * content ID), so the CMG need not read it from storage for every client; entries expire after
     * {@code -Dcmglab.cmg.manifestCacheSeconds} (default 30, 0 = read every time) so content removed from the cloud
     * distribution point stops being offered within that time. SAS URLs are still signed per request.
     */
    private final ManifestCache manifests = new ManifestCache(
            Duration.ofSeconds(Long.getLong("cmglab.cmg.manifestCacheSeconds", 30)), 1024, System::nanoTime);

    public ContentService(ContentStorageConfig storage, BlobContainerClient container, PublicKey siteKey, Clock clock,
                          Duration skew, Duration sasLifetime) {
        this.storage = Objects.requireNonNull(storage, "storage");
        this.container = Objects.requireNonNull(container, "container");
        this.siteKey = Objects.requireNonNull(siteKey, "siteKey");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.skew = skew;
        this.sasLifetime = sasLifetime;
        this.pool = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "cmg-content");
            t.setDaemon(true);
            return t;
        });
    }

    /** Null when the CMG is not content-enabled or cannot check content tokens (no {@code tokenAuth}). */
    public static ContentService fromConfig(CmgServiceConfig c, Clock clock) throws IOException {
        if (c.contentStorage() == null) {
            return null;
        }
        if (c.tokenAuth() == null) {
            log.warn("Content storage is configured but no tokenAuth (site token-signing certificate): content"
                    + " requests are refused");
            return null;
        }
        List<X509Certificate> certs = Pem.readCertificates(Path.of(c.tokenAuth().signingCertFile()));
        ContentStorageConfig s = c.contentStorage();
        log.info("Content-enabled: storage account {} container {} (clients get {}), SAS valid {} min", s.account(),
                s.container(), s.publicBlobBase(), s.sasMinutes());
        return new ContentService(s, ContentBlobs.container(s), certs.get(0).getPublicKey(), clock,
                Duration.ofSeconds(c.tokenAuth().skewSeconds()), Duration.ofMinutes(s.sasMinutes()));
    }

    /** Whether {@code uri} is the content service path. */
    public static boolean matches(String uri) {
        int q = uri.indexOf('?');
        return (q >= 0 ? uri.substring(0, q) : uri).toLowerCase(Locale.ROOT).equals(PATH);
    }

    /**
     * Answers one request off the event loop.
     *
     * @param method   the HTTP method
     * @param uri      the request URI
     * @param clientId the {@code CCMClientID} header, or null
     */
    public CompletableFuture<Answer> answer(String method, String uri, String clientId) {
        if (!"GET".equals(method)) {
            return CompletableFuture.completedFuture(new Answer(405, "Method Not Allowed", method
                    + " is not allowed on " + PATH, "method " + method));
        }
        int q = uri.indexOf('?');
        ContentToken token;
        try {
            token = ContentToken.parse(q < 0 ? "" : uri.substring(q + 1));
            token.verify(siteKey, token.packageId(), token.contentId(), clientId, clock, skew);
        } catch (ContentTokenException e) {
            int status = switch (e.reason()) {
                case MALFORMED, UNSUPPORTED_ALGORITHM -> 400;
                case WRONG_CLIENT, WRONG_CONTENT -> 403;
                default -> 401;
            };
            String phrase = status == 400 ? "Bad Request" : status == 403 ? "Forbidden" : "Unauthorized";
            log.warn("Content request refused with {}: {}", status, e.getMessage());
            return CompletableFuture.completedFuture(new Answer(status, phrase, "content access token refused: "
                    + e.getMessage(), e.getMessage()));
        }
        ContentManifest cached = manifests.get(token.contentId());
        if (cached != null) { // no storage call: answered on the caller's thread
            return CompletableFuture.completedFuture(answer(token, cached));
        }
        try {
            return CompletableFuture.supplyAsync(() -> manifest(token), pool);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return CompletableFuture.completedFuture(new Answer(503, "Service Unavailable", "shutting down",
                    "shutting down"));
        }
    }

    private Answer manifest(ContentToken token) {
        String cid = token.contentId();
        ContentManifest stored;
        try {
            var blob = container.getBlobClient(ContentStorageConfig.manifestBlob(cid));
            stored = ContentManifest.parse(blob.downloadContent().toString());
        } catch (BlobStorageException e) {
            if (e.getStatusCode() == 404) {
                String why = "content " + cid + " is not on this cloud distribution point";
                log.warn("Content request for {} by {}: {}", cid, token.clientId(), why);
                return new Answer(404, "Not Found", why, why);
            }
            log.error("Storage error reading the manifest of {}: {} {}", cid, e.getStatusCode(), e.getErrorCode());
            return new Answer(503, "Service Unavailable", "storage account error " + e.getStatusCode(),
                    "storage " + e.getStatusCode() + " " + e.getErrorCode());
        } catch (CcmFormatException e) {
            log.error("The stored manifest of {} is unreadable: {}", cid, e.getMessage());
            return new Answer(503, "Service Unavailable", "the stored manifest is unreadable", e.getMessage());
        } catch (RuntimeException e) {
            log.error("Storage unreachable reading the manifest of {}: {}", cid, e.toString());
            return new Answer(503, "Service Unavailable", "storage account unreachable", e.toString());
        }
        manifests.put(cid, stored);
        return answer(token, stored);
    }

    /** The answer for a manifest read from storage or {@link #manifests}: the files with fresh SAS URLs. */
    private Answer answer(ContentToken token, ContentManifest stored) {
        String cid = token.contentId();
        if (!stored.packageId().equalsIgnoreCase(token.packageId())) {
            String why = "content " + cid + " belongs to package " + stored.packageId() + ", not " + token.packageId();
            return new Answer(404, "Not Found", why, why);
        }
        OffsetDateTime expiry = OffsetDateTime.ofInstant(clock.instant().plus(sasLifetime), ZoneOffset.UTC)
                .truncatedTo(ChronoUnit.SECONDS);
        List<ContentManifest.FileEntry> files = new ArrayList<>();
        for (ContentManifest.FileEntry f : stored.files()) {
            String blobName = ContentStorageConfig.fileBlob(cid, stored.version(), f.name());
            String sas = container.getBlobClient(blobName).generateSas(new BlobServiceSasSignatureValues(expiry,
                    new BlobSasPermission().setReadPermission(true)));
            files.add(f.withUrl(storage.publicBlobBase() + "/" + storage.container() + "/" + blobName + "?" + sas));
        }
        log.info("Content {} (package {} version {}) for {}: manifest with {} files, {} bytes, SAS valid until {}",
                cid, stored.packageId(), stored.version(), token.clientId(), files.size(), stored.totalSize(), expiry);
        return new Answer(200, "OK", stored.withFiles(files).toXml(), null);
    }

    @Override
    public void close() {
        pool.shutdownNow();
        try {
            pool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

}
