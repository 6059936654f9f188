package org.cmglab.client;

import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;
import org.cmglab.proto.config.ClientSimConfig;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.runtime.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code client-sim mplist}: asks the internet MP (through the CMG) for its MP list, logs it the way
 * LocationServices.log / CcmMessaging do, prints {@code RESULT <json>} and returns the exit code.
 */
final class MplistCommand {
    private static final Logger log = LoggerFactory.getLogger(MplistCommand.class);

    /** ClientLocation.log's capabilities of a CMG MP (HTTPS). */
    static final String CMG_MP_CAPABILITIES =
            "<Capabilities SchemaVersion =\"1.0\"><Property Name=\"SSL\" Version=\"1\" /></Capabilities>";
    /** WinHTTP request options of the client's CCMHTTP lines as seen in public logs (meaning UNVERIFIED). */
    static final int CCMHTTP_OPTIONS = 31;

    /**
     * @param path        raw path+query, or null for the MPLIST path of {@code config.mpRoleId()}
     * @param traceId     32-hex trace id, or null for a new one
     * @param noClientCert never present a client certificate
     * @param certOverride certificate to present instead of {@code config.clientTls()} (may be null)
     */
    record Options(String path, String traceId, boolean noClientCert, TlsFiles certOverride) {}

    private final ClientSimConfig config;
    private final EventLoopGroup group;
    private final FlowEventLog events;
    private final PrintStream out;

    MplistCommand(ClientSimConfig config, EventLoopGroup group, FlowEventLog events, PrintStream out) {
        this.config = Objects.requireNonNull(config, "config");
        this.group = Objects.requireNonNull(group, "group");
        this.events = Objects.requireNonNull(events, "events");
        this.out = Objects.requireNonNull(out, "out");
    }

    static String mpPrefix(String mpRoleId) {
        return "/CCM_Proxy_MutualAuth/" + mpRoleId;
    }

    static String defaultPath(String mpRoleId) {
        return mpPrefix(mpRoleId) + "/SMS_MP/.sms_aut?MPLIST";
    }

    int run(Options o) throws IOException, InterruptedException {
        CmgTarget target = CmgTarget.of(config);
        if (o.path() == null && config.mpRoleId() == null) {
            throw new IllegalArgumentException("mpRoleId: null (expected in the config, or pass --path)");
        }
        String path = o.path() != null ? o.path() : defaultPath(config.mpRoleId());
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("--path: " + path + " (expected: an absolute path, e.g. "
                    + defaultPath("72057594037927939") + ")");
        }
        String traceId = o.traceId() != null ? o.traceId().toLowerCase(Locale.ROOT)
                : TraceContext.newTraceId();
        if (!traceId.matches("[0-9a-f]{32}") || traceId.equals("0".repeat(32))) {
            throw new IllegalArgumentException("--trace: " + o.traceId() + " (expected: 32 hex digits, not all zero)");
        }
        List<X509Certificate> roots = trustRoots(config.trustRoots());
        IssuedCert cert = clientCert(o);

        String mp = target.origin() + (config.mpRoleId() != null ? mpPrefix(config.mpRoleId()) : "");
        log.info("Rotating internet management point, new management point [1] is: {} (0) with capabilities: {}",
                mp, CMG_MP_CAPABILITIES);
        log.info("GET {}{} from {} (trace {}, client certificate {})", target.origin(), path, target.sourceAddress(),
                traceId, cert == null ? "none" : cert.certificate().getSubjectX500Principal().getName()
                        + " thumbprint " + cert.thumbprintSha1Hex());

        MpListResult r = new CmgClient(group, events).get(target, path, traceId, roots, cert);
        report(target, path, r);
        String line = "RESULT " + Json.writeCompact(r);
        log.info(line);
        out.println(line);
        out.flush();
        return r.exitCode();
    }

    private void report(CmgTarget target, String path, MpListResult r) {
        String url = "https://" + target.serviceName() + path;
        switch (r.failure()) {
            case NONE -> log.info("Received MP list from {}: {}", url, r.mps() == null || r.mps().isEmpty()
                    ? "no MPs" : r.mps().stream().map(m -> m.name() + " (" + m.fqdn() + ")")
                    .collect(Collectors.joining(", ")));
            case HTTP_STATUS -> {
                print("[CCMHTTP] ERROR: URL=" + url + ", Port=" + target.port() + ", Options=" + CCMHTTP_OPTIONS
                        + ", Code=0, Text=CCM_E_BAD_HTTP_STATUS_CODE");
                print("[CCMHTTP] ERROR INFO: StatusCode=" + r.status() + " StatusText=" + r.reason());
            }
            case TLS -> {
                print("[CCMHTTP] ERROR: URL=" + url + ", Port=" + target.port() + ", Options=" + CCMHTTP_OPTIONS
                        + ", Code=12175, Text=ERROR_WINHTTP_SECURE_FAILURE");
                print("[CCMHTTP] ERROR INFO: " + secureFailureFlag(r.error()) + " Cause=" + r.error());
            }
            case CONNECT -> {
                print("[CCMHTTP] ERROR: URL=" + url + ", Port=" + target.port() + ", Options=" + CCMHTTP_OPTIONS
                        + ", Code=12029, Text=ERROR_WINHTTP_CANNOT_CONNECT");
                print("[CCMHTTP] ERROR INFO: Cause=" + r.error());
            }
            case NO_RESPONSE -> {
                print("[CCMHTTP] ERROR: URL=" + url + ", Port=" + target.port() + ", Options=" + CCMHTTP_OPTIONS
                        + ", Code=12002, Text=ERROR_WINHTTP_TIMEOUT");
                print("[CCMHTTP] ERROR INFO: Cause=" + r.error());
            }
        }
    }

    /** The WinHTTP secure-failure flag closest to the Java cause (lab rendering; UNVERIFIED wording). */
    static String secureFailureFlag(String error) {
        String e = error == null ? "" : error.toLowerCase(Locale.ROOT);
        if (e.contains("no subject alternative") || e.contains("no name matching") || e.contains("hostname")) {
            return "WINHTTP_CALLBACK_STATUS_FLAG_CERT_CN_INVALID";
        }
        if (e.contains("expired") || e.contains("not yet valid") || e.contains("notafter")) {
            return "WINHTTP_CALLBACK_STATUS_FLAG_CERT_DATE_INVALID";
        }
        if (e.contains("pkix") || e.contains("certification path") || e.contains("unknown_ca")
                || e.contains("trust anchor")) {
            return "WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CA";
        }
        return "WINHTTP_CALLBACK_STATUS_FLAG_SECURITY_CHANNEL_ERROR";
    }

    private void print(String line) {
        log.error(line);
        out.println(line);
    }

    private IssuedCert clientCert(Options o) throws IOException {
        if (o.noClientCert()) {
            return null;
        }
        TlsFiles files = o.certOverride() != null ? o.certOverride() : config.clientTls();
        return files == null ? null : IssuedCert.readPem(Path.of(files.certFile()), Path.of(files.keyFile()));
    }

    static List<X509Certificate> trustRoots(List<String> files) throws IOException {
        List<X509Certificate> roots = new ArrayList<>();
        for (String f : files) {
            roots.addAll(Pem.readCertificates(Path.of(f)));
        }
        if (roots.isEmpty()) {
            throw new IllegalArgumentException("trustRoots: " + files + " (expected: at least one root certificate)");
        }
        return roots;
    }
}
