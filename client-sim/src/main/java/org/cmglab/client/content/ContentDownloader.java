package org.cmglab.client.content;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cmglab.proto.content.ContentManifest;
import org.cmglab.proto.runtime.LabHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BITS-style download of a content manifest's files from blob storage (flow C6; cmg-facts §6, §8): {@code HEAD} for
 * the size, ranged {@code GET}s ({@code Range: bytes=a-b}, expecting {@code 206} and a matching
 * {@code Content-Range}), appended to {@code <name>.part}; a later run resumes from the partial file's length. A
 * complete file is checked against the manifest's SHA-256 and only then renamed to {@code <name>}; a mismatch
 * discards that file's partial data and downloads it once more, then fails loudly. Files already verified are never
 * touched. A {@code 403} from storage (the SAS expired) asks {@code refresh} for a new manifest (new SAS URLs) and
 * continues where it was, at most {@value #MAX_SAS_REFRESHES} times per run.
 *
 * <p>Logs the way DataTransferService.log, ContentTransferManager.log and CAS.log do.
 */
public final class ContentDownloader {
    private static final Logger dts = LoggerFactory.getLogger("DataTransferService");
    private static final Logger ctm = LoggerFactory.getLogger("ContentTransferManager");
    private static final Logger cas = LoggerFactory.getLogger("CAS");
    static final int MAX_SAS_REFRESHES = 3;
    static final int MAX_RANGE_RETRIES = 2;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+)");
    /** BITS' user agent for content downloads through ConfigMgr (cmg-facts §8). */
    static final String USER_AGENT = "Microsoft BITS/7.8";

    /**
     * @param rangeBytes     bytes per ranged GET
     * @param stopAfterBytes stop (keeping the partial file) after this many bytes this run; negative = no stop
     * @param timeoutSeconds bound of one request
     */
    public record Options(int rangeBytes, long stopAfterBytes, int timeoutSeconds) {
        public static Options defaults() {
            return new Options(1024 * 1024, -1, 30);
        }

        public Options {
            if (rangeBytes < 1 || rangeBytes > 8 * 1024 * 1024) {
                throw new IllegalArgumentException("rangeBytes: " + rangeBytes + " (expected 1..8388608)");
            }
        }
    }

    /** One file: {@code verified}, {@code partial} (interrupted, kept), {@code failed} (with the reason). */
    public record FileResult(String name, long size, long have, String state, String detail) {}

    /**
     * @param state {@code complete}, {@code interrupted} or {@code failed}
     */
    public record Result(String state, long bytesThisRun, int rangeRequests, int headRequests, int sasRefreshes,
                         List<FileResult> files, String failure) {
        public boolean complete() {
            return "complete".equals(state);
        }
    }

    private final LabHttpClient http;
    private final Options options;
    private long bytesThisRun;
    private int ranges;
    private int heads;
    private int refreshes;

    public ContentDownloader(LabHttpClient http, Options options) {
        this.http = Objects.requireNonNull(http, "http");
        this.options = Objects.requireNonNull(options, "options");
    }

    private static final class Stop extends Exception {
        Stop() {
            super(null, null, false, false);
        }
    }

    private static final class Failed extends Exception {
        Failed(String why) {
            super(why, null, false, false);
        }
    }

    /**
     * Downloads every file of {@code manifest} into {@code dir}.
     *
     * @param refresh a fresh manifest (new SAS URLs) from the CMG, or null when it cannot be had
     */
    public Result download(ContentManifest manifest, Path dir, Supplier<ContentManifest> refresh)
            throws IOException, InterruptedException {
        Files.createDirectories(dir);
        String job = "{" + UUID.randomUUID().toString().toUpperCase(Locale.ROOT) + "}";
        ctm.info("CTM job {} ({}.{}) started for {} files, {} bytes", job, manifest.contentId(), manifest.version(),
                manifest.files().size(), manifest.totalSize());
        dts.info("DTSJob {} created to download from 'cloud storage' to '{}'.", job, dir);
        dts.info("DTSJob {} in state 'DownloadingData'.", job);
        ContentManifest current = manifest;
        List<FileResult> results = new ArrayList<>();
        String failure = null;
        boolean interrupted = false;
        for (int i = 0; i < manifest.files().size(); i++) {
            String name = manifest.files().get(i).name();
            if (interrupted) {
                results.add(state(manifest.files().get(i), dir, "partial", "not started in this run"));
                continue;
            }
            int refreshesBefore = refreshes;
            try {
                FileResult r = null;
                while (r == null) {
                    ContentManifest.FileEntry f = entry(current, name);
                    try {
                        r = file(f, dir);
                    } catch (SasExpired e) {
                        if (refresh == null || refreshes - refreshesBefore >= MAX_SAS_REFRESHES) {
                            throw new Failed("the SAS URL of " + name + " was refused (" + e.getMessage()
                                    + ") and no new one could be had");
                        }
                        refreshes++;
                        dts.info("DTSJob {}: storage refused the SAS URL of {} ({}); asking the CMG for new locations",
                                job, name, e.getMessage());
                        ContentManifest fresh = refresh.get();
                        if (fresh == null) {
                            throw new Failed("the SAS URL of " + name + " expired and the CMG gave no new manifest");
                        }
                        current = fresh;
                    }
                }
                results.add(r);
            } catch (Stop s) {
                interrupted = true;
                dts.info("DTSJob {}: stopped after {} bytes as asked; {} kept for resume", job, bytesThisRun,
                        name + ".part");
                results.add(state(entry(current, name), dir, "partial", "interrupted"));
            } catch (Failed e) {
                failure = name + ": " + e.getMessage();
                dts.error("DTSJob {}: download of {} failed: {}", job, name, e.getMessage());
                results.add(state(entry(current, name), dir, "failed", e.getMessage()));
                interrupted = true; // do not start later files; earlier verified files stay
            }
        }
        String state = failure != null ? "failed" : results.stream().allMatch(r -> "verified".equals(r.state()))
                ? "complete" : "interrupted";
        switch (state) {
            case "complete" -> {
                dts.info("DTS job {} has completed: {} bytes this run, {} ranged GETs", job, bytesThisRun, ranges);
                ctm.info("CTM job {} successfully processed download completion.", job);
                cas.info("Download completed for content {}.{} under {}", manifest.contentId(), manifest.version(),
                        dir);
            }
            case "interrupted" -> ctm.info("CTM job {} suspended ({} bytes this run); it resumes from the partial"
                    + " files", job, bytesThisRun);
            default -> {
                dts.error("DTS job {} failed: {}", job, failure);
                ctm.error("CTM job {} failed to download content {}.{}: {}", job, manifest.contentId(),
                        manifest.version(), failure);
            }
        }
        return new Result(state, bytesThisRun, ranges, heads, refreshes, results, failure);
    }

    private static ContentManifest.FileEntry entry(ContentManifest m, String name) {
        return m.files().stream().filter(f -> f.name().equals(name)).findFirst().orElseThrow(() ->
                new IllegalStateException("the new manifest no longer lists " + name));
    }

    private static FileResult state(ContentManifest.FileEntry f, Path dir, String state, String detail)
            throws IOException {
        Path part = dir.resolve(f.name() + ".part");
        long have = Files.exists(part) ? Files.size(part) : 0;
        return new FileResult(f.name(), f.size(), have, state, detail);
    }

    private static final class SasExpired extends Exception {
        SasExpired(String why) {
            super(why, null, false, false);
        }
    }

    private FileResult file(ContentManifest.FileEntry f, Path dir)
            throws IOException, InterruptedException, Stop, Failed, SasExpired {
        Path target = dir.resolve(f.name());
        Path part = dir.resolve(f.name() + ".part");
        if (Files.exists(target)) {
            if (Files.size(target) == f.size() && sha256(target).equals(f.sha256())) {
                cas.info("{} is already downloaded and verified (SHA-256 {})", f.name(), f.sha256());
                return new FileResult(f.name(), f.size(), f.size(), "verified", "already downloaded");
            }
            cas.warn("{} exists but does not match the manifest; downloading it again", f.name());
            Files.move(target, dir.resolve(f.name() + ".mismatch"), StandardCopyOption.REPLACE_EXISTING);
        }
        for (int attempt = 1; attempt <= 2; attempt++) {
            URI url = URI.create(f.url());
            long size = head(url, f);
            if (size != f.size()) {
                throw new Failed("storage says " + size + " bytes, the manifest " + f.size());
            }
            long offset = Files.exists(part) ? Files.size(part) : 0;
            if (offset > size) {
                Files.delete(part);
                offset = 0;
            }
            if (offset > 0) {
                dts.info("Resuming download of {} at byte {} of {}", f.name(), offset, size);
            }
            while (offset < size) {
                if (options.stopAfterBytes() >= 0 && bytesThisRun >= options.stopAfterBytes()) {
                    throw new Stop();
                }
                long end = Math.min(offset + options.rangeBytes(), size) - 1;
                if (options.stopAfterBytes() >= 0) {
                    end = Math.min(end, offset + (options.stopAfterBytes() - bytesThisRun) - 1);
                }
                byte[] chunk = range(url, f, offset, end, size);
                try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND)) {
                    out.write(chunk);
                }
                offset += chunk.length;
                bytesThisRun += chunk.length;
            }
            if (size == 0 && !Files.exists(part)) {
                Files.createFile(part);
            }
            String got = sha256(part);
            if (got.equals(f.sha256())) {
                Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                cas.info("Hash verification succeeded for {} (SHA-256 {}, {} bytes)", f.name(), got, size);
                return new FileResult(f.name(), f.size(), f.size(), "verified", null);
            }
            cas.error("Hash verification failed for {}: SHA-256 {} (expected {}), attempt {} of 2", f.name(), got,
                    f.sha256(), attempt);
            Files.delete(part);
        }
        throw new Failed("hash mismatch twice (the downloaded bytes do not match the manifest's SHA-256)");
    }

    private long head(URI url, ContentManifest.FileEntry f) throws InterruptedException, Failed, SasExpired {
        heads++;
        LabHttpClient.Response r = send(HttpMethod.HEAD, url, headers(), f);
        check(r, f, 200);
        String len = r.headers().get("Content-Length");
        try {
            return Long.parseLong(len);
        } catch (NumberFormatException e) {
            throw new Failed("HEAD without a usable Content-Length: " + len);
        }
    }

    private byte[] range(URI url, ContentManifest.FileEntry f, long from, long to, long size)
            throws InterruptedException, Failed, SasExpired {
        String last = null;
        for (int tryNo = 0; tryNo <= MAX_RANGE_RETRIES; tryNo++) {
            ranges++;
            HttpHeaders h = headers();
            h.set("Range", "bytes=" + from + "-" + to);
            LabHttpClient.Response r;
            try {
                r = send(HttpMethod.GET, url, h, f);
            } catch (Failed e) {
                last = e.getMessage();
                continue;
            }
            check(r, f, 206);
            Matcher m = CONTENT_RANGE.matcher(String.valueOf(r.headers().get("Content-Range")));
            if (!m.matches() || Long.parseLong(m.group(1)) != from || Long.parseLong(m.group(2)) != to
                    || Long.parseLong(m.group(3)) != size || r.body().length != to - from + 1) {
                last = "206 with Content-Range " + r.headers().get("Content-Range") + " and " + r.body().length
                        + " bytes for bytes=" + from + "-" + to;
                continue;
            }
            return r.body();
        }
        throw new Failed("range bytes=" + from + "-" + to + " failed " + (MAX_RANGE_RETRIES + 1) + " times: " + last);
    }

    private static void check(LabHttpClient.Response r, ContentManifest.FileEntry f, int expected)
            throws Failed, SasExpired {
        if (r.status() == expected) {
            return;
        }
        String code = r.headers().get("x-ms-error-code");
        if (r.status() == 403) {
            throw new SasExpired("403 " + (code == null ? r.reason() : code));
        }
        if (r.status() == 404) {
            throw new Failed("the blob is missing from storage (404 " + (code == null ? r.reason() : code) + ")");
        }
        throw new Failed("storage answered " + r.status() + " " + (code == null ? r.reason() : code) + " (expected "
                + expected + ")");
    }

    private static HttpHeaders headers() {
        HttpHeaders h = new DefaultHttpHeaders();
        h.set("User-Agent", USER_AGENT);
        return h;
    }

    private LabHttpClient.Response send(HttpMethod method, URI url, HttpHeaders h, ContentManifest.FileEntry f)
            throws InterruptedException, Failed {
        try {
            return http.send(method, url, h, null).get(options.timeoutSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            String why = c instanceof javax.net.ssl.SSLException || (c != null && c.getCause()
                    instanceof javax.net.ssl.SSLException)
                    ? "the storage server's certificate is not trusted (" + c.getMessage() + ")"
                    : String.valueOf(c);
            throw new Failed(method + " " + f.name() + ": " + why);
        } catch (TimeoutException e) {
            throw new Failed(method + " " + f.name() + ": no answer within " + options.timeoutSeconds() + " s");
        }
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                d.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
