package org.cmglab.client;

import org.cmglab.client.auth.ClientIdentity;

import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cmglab.client.content.ContentDownloader;
import org.cmglab.proto.ccm.CcmFormatException;
import org.cmglab.proto.ccm.CcmMessage;
import org.cmglab.proto.ccm.CcmMultipart;
import org.cmglab.proto.ccm.ClientRequests;
import org.cmglab.proto.config.ClientSimConfig;
import org.cmglab.proto.content.ContentManifest;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.log.ProductLogs;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.EventLoops;
import org.cmglab.proto.runtime.Json;
import org.cmglab.proto.runtime.LabDns;
import org.cmglab.proto.runtime.LabHttpClient;
import org.cmglab.proto.runtime.LabResolvers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code content --package P0100012}: the content flow C1–C6 through a content-enabled CMG (docs/content-flow.md).
 * C1 ContentLocationRequest to the MP through the CMG (PKI); C2 the reply's cloud location with its content access
 * token; C3 the CMG service name resolved through the lab DNS (CNAME → deployment name → VIP); C4 the CMG's
 * {@code getcontentxmlsecure} with the token (and {@code CCMClientID}); C5 the manifest with SAS URLs; C6 the
 * BITS-style download from blob storage over HTTPS, every file's SHA-256 checked. Prints {@code RESULT {json}}.
 */
@Command(name = "content", mixinStandardHelpOptions = true,
        description = "Download a package through the content-enabled CMG (flows C1-C6).")
final class ContentCommand implements Callable<Integer> {
    private static final Logger locLog = LoggerFactory.getLogger("LocationServices");
    private static final Logger ctm = LoggerFactory.getLogger("ContentTransferManager");
    private static final Logger dts = LoggerFactory.getLogger("DataTransferService");
    static final String CONTENT_UA = "SMS+CCM+5.0";

    @ParentCommand
    ClientSimMain parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--package", required = true, paramLabel = "<id>", description = "package id, e.g. P0100012")
    String packageId;

    @Option(names = "--dest", paramLabel = "<dir>", description = "download folder (default: <state>/ccmcache/<pkg>)")
    Path dest;

    @Option(names = "--stop-after", paramLabel = "<bytes>", defaultValue = "-1",
            description = "stop after this many bytes, keeping the partial file (a later run resumes)")
    long stopAfter;

    @Option(names = "--range", paramLabel = "<bytes>", defaultValue = "1048576", description = "bytes per ranged GET")
    int range;

    @Option(names = "--trace", paramLabel = "<32-hex>", description = "trace id (default: a new one)")
    String trace;

    @Option(names = "--state", paramLabel = "<dir>",
            description = "client state folder (default: the one of the config, as for lifecycle)")
    Path state;

    /** What {@code RESULT} prints. */
    static final class Result {
        public String traceId;
        public String packageId;
        public String state = "failed";
        public String step;
        public String failure;
        public String cmgLocation;
        public String tokenValidUntil;
        public String resolvedAddress;
        public long bytesThisRun;
        public int rangeRequests;
        public int sasRefreshes;
        public List<ContentDownloader.FileResult> files;
    }

    @Override
    public Integer call() throws Exception {
        ClientSimConfig config = Json.readFile(parent.config, ClientSimConfig.class);
        if (config.clientTls() == null || config.mpRoleId() == null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "content needs clientTls (PKI) and mpRoleId in the config");
        }
        if (range < 1 || range > 8 * 1024 * 1024) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--range " + range
                    + " (expected 1..8388608)");
        }
        if (!packageId.matches("[A-Za-z0-9]{3}[0-9A-Fa-f]{5}")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--package " + packageId
                    + " (expected a package id like P0100012)");
        }
        String traceId;
        try {
            traceId = LifecycleCommand.newTrace(trace);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        ComponentRuntime runtime = new ComponentRuntime("client-sim",
                Path.of(config.logDir() == null ? "logs" : config.logDir()), "CcmMessaging.log", "CcmMessaging", 1);
        try {
            for (String log : List.of("LocationServices", "ContentTransferManager", "DataTransferService", "CAS",
                    "ClientIDManagerStartup")) {
                runtime.onClose(ProductLogs.attach(runtime.logDir(), log));
            }
            Path st = state != null ? state : ClientIdentity.stateDir(config);
            ClientIdentity identity = ClientIdentity.loadOrCreate(st);
            AuthMode auth = new PkiAuthMode(IssuedCert.readPem(Path.of(config.clientTls().certFile()),
                    Path.of(config.clientTls().keyFile())));
            if (!identity.registered()) {
                // not registered yet: register first (its RESULT line is not ours)
                int rc = new LifecycleCommand(config, auth, false, identity, runtime.group(), runtime.events(),
                        new PrintStream(OutputStream.nullOutputStream()), traceId)
                        .run(List.of(LifecycleCommand.Step.REGISTER));
                if (rc != 0 || !identity.registered()) {
                    Result r = new Result();
                    r.traceId = traceId;
                    r.packageId = packageId;
                    r.step = "register";
                    r.failure = "registration failed (exit " + rc + ")";
                    return print(r, parent.out);
                }
            }
            Path dir = dest != null ? dest : st.resolve("ccmcache").resolve(packageId);
            Result r = new Flow(config, auth, identity, runtime.group(), runtime.events(), traceId).run(dir);
            return print(r, parent.out);
        } finally {
            runtime.close();
        }
    }

    private static int print(Result r, PrintStream out) {
        String line = "RESULT " + Json.writeCompact(r);
        LoggerFactory.getLogger("CcmMessaging").info(line);
        out.println(line);
        out.flush();
        return "failed".equals(r.state) ? 1 : 0;
    }

    private final class Flow {
        private final ClientSimConfig config;
        private final AuthMode auth;
        private final ClientIdentity identity;
        private final EventLoopGroup group;
        private final FlowEventLog events;
        private final String traceId;
        private final HttpExchange http;
        private final Result result = new Result();

        Flow(ClientSimConfig config, AuthMode auth, ClientIdentity identity, EventLoopGroup group,
             FlowEventLog events, String traceId) {
            this.config = config;
            this.auth = auth;
            this.identity = identity;
            this.group = group;
            this.events = events;
            this.traceId = traceId;
            this.http = new HttpExchange(group);
            result.traceId = traceId;
            result.packageId = packageId;
        }

        private SslContext ssl(IssuedCert clientCert) {
            try {
                return TlsContexts.client(MplistCommand.trustRoots(config.trustRoots()), clientCert);
            } catch (IOException e) {
                throw new IllegalStateException("cannot build the client TLS context: " + e.getMessage(), e);
            }
        }

        private Result fail(String step, String why) {
            result.step = step;
            result.failure = why;
            result.state = "failed";
            ctm.error("{}: {}", step, why);
            return result;
        }

        Result run(Path dir) throws Exception {
            String smsId = identity.smsId();
            // ---- C1: ContentLocationRequest to the MP through the CMG
            CmgTarget cmg = CmgTarget.of(config);
            HttpExchange.Target mpTarget = new HttpExchange.Target(cmg.serviceName(), cmg.port(), cmg.remote(),
                    cmg.sourceAddress(), ssl(auth.tlsClientCertificate()));
            String prefix = "/" + auth.proxyPrefix() + "/" + config.mpRoleId();
            String fqdn = config.name();
            ClientRequests requests = new ClientRequests(fqdn.split("\\.", 2)[0].toUpperCase(Locale.ROOT), fqdn,
                    cmg.serviceName(), config.siteCode() == null ? "P01" : config.siteCode(),
                    identity.signing().privateKey(), identity.signing().certificate());
            ClientRequests.Built b = requests.contentLocation(smsId, packageId, true, Instant.now());
            Map<String, String> h = new LinkedHashMap<>();
            h.put("User-Agent", LifecycleCommand.USER_AGENT);
            h.put("Content-Type", CcmMultipart.CONTENT_TYPE);
            h.putAll(auth.headers());
            locLog.info("Calling back with locations for location request {} (package {})", b.header().id(), packageId);
            long t0 = System.nanoTime();
            HttpExchange.Response r;
            try {
                r = http.send(mpTarget, "CCM_POST", prefix + auth.messagingPath(), h, b.bytes(), traceId);
            } catch (HttpExchange.Failed f) {
                emit("C1", "request", "client-sim", "cmg-service", cmg.port(), auth.describe(), f.kind.outcome, 0, t0,
                        "ContentLocationRequest " + packageId + ": " + f.getMessage());
                return fail("C1 content location request", f.kind == MpListResult.Failure.TLS
                        ? "refusing the CMG: its certificate is not trusted (" + f.getMessage() + ")" : f.getMessage());
            }
            emit("C1", "request", "client-sim", "site-sim (MP via CMG)", cmg.port(), auth.describe(),
                    r.status() == 200 ? "ok" : "http-" + r.status(), r.status(), t0,
                    "CCM_POST " + prefix + auth.messagingPath() + " (ContentLocationRequest " + packageId + ")");
            if (r.status() != 200) {
                return fail("C1 content location request", "HTTP " + r.status() + " " + r.reason());
            }
            // ---- C2: the reply's CMG location with the content access token
            String xml;
            try {
                xml = CcmMessage.decode(r.contentType(), r.body(), CcmMessage.Limits.DEFAULT).bodyXml();
            } catch (CcmFormatException e) {
                return fail("C2 content location reply", "unreadable reply: " + e);
            }
            Matcher m = Pattern.compile("<URL Name=\"([^\"]*/downloadrestservice\\.svc/getcontentxmlsecure\\?[^\"]*)\"")
                    .matcher(xml);
            if (!m.find()) {
                emit("C2", "response", "site-sim (MP via CMG)", "client-sim", cmg.port(), auth.describe(),
                        "no-cloud-location", 200, t0, "the MP offered no CMG location for " + packageId);
                return fail("C2 content location reply", "the MP offered no cloud distribution point (CMG) for "
                        + packageId + " (the content is not on the CMG)");
            }
            String location = m.group(1).replace("&amp;", "&");
            URI loc = URI.create(location);
            Matcher et = Pattern.compile("[?&]et=([^&]+)").matcher(location);
            result.tokenValidUntil = et.find() ? et.group(1) : null;
            result.cmgLocation = location.substring(0, location.indexOf('?')) + "?pid=" + packageId + "&…";
            locLog.info("Persisted locations for CAS: {} (content access token until {})", result.cmgLocation,
                    result.tokenValidUntil);
            emit("C2", "response", "site-sim (MP via CMG)", "client-sim", cmg.port(), auth.describe(), "ok", 200, t0,
                    "ContentLocationReply: cloud DP " + loc.getHost() + ", token until " + result.tokenValidUntil);
            // ---- C3: the service name through the lab DNS
            long t3 = System.nanoTime();
            int port = loc.getPort() > 0 ? loc.getPort() : 443;
            InetSocketAddress remote;
            try {
                remote = resolve(loc.getHost(), port);
            } catch (Exception e) {
                emit("C3", "event", "client-sim", "lab DNS", 53, "none", "unresolved", 0, t3, loc.getHost() + ": " + e);
                return fail("C3 resolve " + loc.getHost(), e.getMessage());
            }
            result.resolvedAddress = remote.getAddress().getHostAddress();
            emit("C3", "event", "client-sim", "lab DNS", config.dnsServer() == null ? 0 : config.dnsServer().port(),
                    "none", "ok", 0, t3, loc.getHost() + " → " + result.resolvedAddress
                            + (config.dnsServer() == null ? " (hosts map)" : " (CNAME → deployment name → VIP)"));
            HttpExchange.Target cmgContent = new HttpExchange.Target(loc.getHost(), port, remote,
                    config.sourceAddress(), ssl(null));
            String pathAndQuery = loc.getRawPath() + "?" + loc.getRawQuery();
            // ---- C4/C5: the manifest from the CMG
            ContentManifest manifest;
            try {
                manifest = manifest(cmgContent, pathAndQuery, smsId);
            } catch (ManifestFailure e) {
                return fail(e.step, e.getMessage());
            }
            // ---- C6: BITS-style download from storage
            long t6 = System.nanoTime();
            LabHttpClient storage = new LabHttpClient(group, TlsContexts.client(
                    MplistCommand.trustRoots(config.trustRoots()), null),
                    LabResolvers.forConfig(config.hosts(), config.dnsServer()));
            ContentDownloader.Result d = new ContentDownloader(storage,
                    new ContentDownloader.Options(range, stopAfter, 30)).download(manifest, dir, () -> {
                        try {
                            return manifest(cmgContent, pathAndQuery, smsId);
                        } catch (ManifestFailure | InterruptedException e) {
                            dts.error("Could not renew the content locations: {}", e.getMessage());
                            return null;
                        }
                    });
            URI firstBlob = URI.create(manifest.files().get(0).url());
            emit("C6", "request", "client-sim", "azurite (" + firstBlob.getHost() + ")",
                    firstBlob.getPort() > 0 ? firstBlob.getPort() : 443, "SAS", d.complete() ? "ok" : d.state(),
                    d.complete() ? 206 : 0, t6, d.files().size() + " files, " + d.bytesThisRun() + " bytes this run, "
                            + d.rangeRequests() + " ranged GETs" + (d.failure() == null ? "" : ": " + d.failure()));
            result.bytesThisRun = d.bytesThisRun();
            result.rangeRequests = d.rangeRequests();
            result.sasRefreshes = d.sasRefreshes();
            result.files = d.files();
            result.state = d.state();
            if (!d.complete()) {
                result.step = "C6 download";
                result.failure = d.failure();
            }
            return result;
        }

        private final class ManifestFailure extends Exception {
            final String step;

            ManifestFailure(String step, String why) {
                super(why, null, false, false);
                this.step = step;
            }
        }

        private ContentManifest manifest(HttpExchange.Target t, String pathAndQuery, String smsId)
                throws ManifestFailure, InterruptedException {
            Map<String, String> h = new LinkedHashMap<>();
            h.put("User-Agent", CONTENT_UA);
            h.put("CCMClientID", smsId);
            long t4 = System.nanoTime();
            HttpExchange.Response r;
            String shown = pathAndQuery.replaceAll("sig=[^&]*", "sig=…");
            try {
                r = http.send(t, "GET", pathAndQuery, h, null, traceId);
            } catch (HttpExchange.Failed f) {
                boolean tls = f.getMessage() != null && f.getMessage().toLowerCase(Locale.ROOT).contains("certificate")
                        || f.kind == MpListResult.Failure.TLS;
                emit("C4", "request", "client-sim", "cmg-service", t.port(), "content token", f.kind.outcome, 0, t4,
                        "GET " + shown + ": " + f.getMessage());
                dts.error("Error sending DAV request. {} (GetDirectoryList_HTTP failed)", f.getMessage());
                throw new ManifestFailure("C4 content service", (tls ? "refusing the CMG: its certificate is not "
                        + "trusted (" : "") + f.getMessage() + (tls ? ")" : ""));
            }
            emit("C4", "request", "client-sim", "cmg-service", t.port(), "content token",
                    r.status() == 200 ? "ok" : "http-" + r.status(), r.status(), t4, "GET " + shown);
            if (r.status() != 200) {
                String body = r.body() == null ? "" : new String(r.body(), java.nio.charset.StandardCharsets.UTF_8)
                        .strip();
                dts.error("Request to {}{} failed with {}: {}", "https://" + t.hostHeader(), shown, r.status(), body);
                dts.error("Error retrieving manifest (GetDirectoryList_HTTP failed with HTTP {})", r.status());
                throw new ManifestFailure("C4 content service", "HTTP " + r.status() + " " + r.reason() + ": " + body);
            }
            ContentManifest man;
            try {
                man = ContentManifest.parse(new String(r.body(), java.nio.charset.StandardCharsets.UTF_8));
            } catch (CcmFormatException e) {
                throw new ManifestFailure("C5 content manifest", "unreadable manifest: " + e.getMessage());
            }
            if (man.files().stream().anyMatch(f -> f.url() == null || !f.url().startsWith("https://"))) {
                throw new ManifestFailure("C5 content manifest", "a file without an HTTPS storage URL");
            }
            emit("C5", "response", "cmg-service", "client-sim", t.port(), "content token", "ok", 200, t4,
                    "manifest " + man.contentId() + "." + man.version() + ": " + man.files().size() + " files, "
                            + man.totalSize() + " bytes");
            ctm.info("Content {}.{}: manifest with {} files ({} bytes) from the cloud distribution point",
                    man.contentId(), man.version(), man.files().size(), man.totalSize());
            return man;
        }

        private InetSocketAddress resolve(String host, int port) throws Exception {
            if (config.hosts().containsKey(host) || config.dnsServer() == null) {
                return new org.cmglab.proto.runtime.HostMap(config.hosts()).resolve(host, port);
            }
            EventLoopGroup g = EventLoops.newGroup(1, "client-dns");
            try {
                InetAddress a = LabDns.resolve(g, config.dnsServer().socketAddress(), host, Duration.ofSeconds(5));
                return new InetSocketAddress(a, port);
            } finally {
                g.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
        }

        private void emit(String step, String phase, String from, String to, int port, String authName,
                          String outcome, int status, long t0, String detail) {
            events.event(step, phase).trace(traceId).from(from).to(to).protocol("HTTPS").port(port).auth(authName)
                    .outcome(outcome).status(status).latencyNanos(System.nanoTime() - t0).detail(detail).emit();
        }
    }
}
