package org.cmglab.client;

import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cmglab.proto.config.ClientSimConfig;
import org.cmglab.proto.config.Loopback;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.runtime.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code client-sim probe}: one request of any verb through the CMG (optionally through a device at {@code --via}),
 * for the header/verb matrix (docs/network-device.md). Prints {@code RESULT <json>} with the status, the response
 * headers, body length and SHA-256, and a client-side reason for a failure. {@code --bits-download} downloads
 * {@code --path} the way BITS does (HEAD for the size, then ranged GETs) and fails like BITS when the server ignores
 * {@code Range} ({@code BG_E_INSUFFICIENT_RANGE_SUPPORT}).
 */
final class ProbeCommand {
    private static final Logger log = LoggerFactory.getLogger(ProbeCommand.class);
    static final long BITS_BLOCK = 256 * 1024;
    static final int BITS_MAX_REQUESTS = 64;
    static final String BG_E_INSUFFICIENT_RANGE_SUPPORT = "0x80200013";
    static final String BG_E_HTTP_ERROR = "0x80190000";

    record Options(String verb, String path, List<String> headers, byte[] body, String traceId, String via,
                   boolean noClientCert, TlsFiles certOverride, boolean bitsDownload) {}

    /** What {@code RESULT} carries. */
    record Result(String traceId, String verb, String path, String via, int status, String reason,
                  Map<String, String> headers, long bodyBytes, String bodySha256, String bodyText, String outcome,
                  String error, String clientReason, Bits bits) {}

    /** The BITS-style download's outcome. */
    record Bits(long size, List<Integer> statuses, long transferred, String state, String errorCode, String error) {}

    private final ClientSimConfig config;
    private final EventLoopGroup group;
    private final FlowEventLog events;
    private final PrintStream out;

    ProbeCommand(ClientSimConfig config, EventLoopGroup group, FlowEventLog events, PrintStream out) {
        this.config = config;
        this.group = group;
        this.events = events;
        this.out = out;
    }

    int run(Options o) throws IOException, InterruptedException {
        if (!o.path().startsWith("/")) {
            throw new IllegalArgumentException("--path: " + o.path() + " (expected: an absolute path)");
        }
        if (!o.verb().matches("[A-Z_]{1,32}")) {
            throw new IllegalArgumentException("--verb: " + o.verb() + " (expected: an HTTP method such as GET or CCM_POST)");
        }
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        for (String h : o.headers()) {
            int eq = h.indexOf('=');
            if (eq < 1 || !h.substring(0, eq).matches("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}")) {
                throw new IllegalArgumentException("--header: " + h + " (expected: Name=value)");
            }
            headers.add(Map.entry(h.substring(0, eq), h.substring(eq + 1)));
        }
        String traceId = o.traceId() != null ? o.traceId().toLowerCase(Locale.ROOT) : TraceContext.newTraceId();
        if (!traceId.matches("[0-9a-f]{32}") || traceId.equals("0".repeat(32))) {
            throw new IllegalArgumentException("--trace: " + o.traceId() + " (expected: 32 hex digits, not all zero)");
        }
        CmgTarget target = CmgTarget.of(config);
        InetSocketAddress remote = target.remote();
        if (o.via() != null) {
            int c = o.via().lastIndexOf(':');
            if (c < 1) {
                throw new IllegalArgumentException("--via: " + o.via() + " (expected: <127.x.y.z>:<port>)");
            }
            remote = new InetSocketAddress(Loopback.require(o.via().substring(0, c), "--via"),
                    Integer.parseInt(o.via().substring(c + 1)));
        }
        IssuedCert cert = null;
        if (!o.noClientCert()) {
            TlsFiles f = o.certOverride() != null ? o.certOverride() : config.clientTls();
            cert = f == null ? null : IssuedCert.readPem(Path.of(f.certFile()), Path.of(f.keyFile()));
        }
        SslContext ssl = ProbeClient.context(MplistCommand.trustRoots(config.trustRoots()), cert);
        ProbeClient client = new ProbeClient(group, ssl);
        log.info("{} {}{} via {} (trace {})", o.verb(), target.origin(), o.path(), remote, traceId);
        long start = System.nanoTime();

        Result result;
        if (o.bitsDownload()) {
            result = bitsDownload(client, target, remote, o, headers, traceId);
        } else {
            ProbeClient.Outcome r = client.send(target, remote, new ProbeClient.Request(o.verb(), o.path(), headers,
                    o.body()), traceId);
            result = toResult(traceId, o, r, null);
        }
        events.event("F3", "response").trace(traceId).from("cmg-service").to("client-sim").protocol("HTTPS")
                .port(target.port()).auth(cert != null ? "PKI client certificate" : "none").status(result.status())
                .outcome(result.outcome()).latencyNanos(System.nanoTime() - start)
                .detail(o.verb() + " " + o.path() + (result.clientReason() == null ? "" : ": " + result.clientReason()))
                .emit();
        if (result.clientReason() != null) {
            log.error("[CCMHTTP] {} {}: {}", o.verb(), o.path(), result.clientReason());
            out.println("[CCMHTTP] ERROR: " + o.verb() + " " + o.path() + ": " + result.clientReason());
        }
        String line = "RESULT " + Json.writeCompact(result);
        log.info(line);
        out.println(line);
        out.flush();
        if (result.bits() != null && !"TRANSFERRED".equals(result.bits().state())) {
            return 1;
        }
        return result.status() / 100 == 2 ? 0 : result.status() > 0 ? 1 : failureCode(result.outcome());
    }

    private static int failureCode(String outcome) {
        for (MpListResult.Failure f : MpListResult.Failure.values()) {
            if (outcome.equals(f.outcome)) {
                return f.exitCode;
            }
        }
        return 5;
    }

    Result toResult(String traceId, Options o, ProbeClient.Outcome r, Bits bits) {
        String text = null;
        if (r.bodyStart() != null && r.bodyStart().length > 0) {
            String ct = r.header("content-type");
            if (ct != null && (ct.startsWith("text/") || ct.contains("xml") || ct.contains("json"))) {
                text = new String(r.bodyStart(), StandardCharsets.UTF_8);
            }
        }
        String outcome = r.failure() == MpListResult.Failure.NONE ? "ok"
                : r.failure() == MpListResult.Failure.HTTP_STATUS ? "http-" + r.status() : r.failure().outcome;
        return new Result(traceId, o.verb(), o.path(), o.via(), r.status(), r.reason(), r.headers(), r.bodyBytes(),
                r.bodySha256(), text, outcome, r.error(), clientReason(o.verb(), r, text), bits);
    }

    /** What a client log would say about a failed exchange: WinHTTP's error, or the status and the body's first line. */
    static String clientReason(String verb, ProbeClient.Outcome r, String text) {
        if (r.failure() == MpListResult.Failure.NONE) {
            return null;
        }
        if (r.failure() == MpListResult.Failure.HTTP_STATUS) {
            String first = text == null ? "" : text.strip().lines().findFirst().orElse("");
            return "CCM_E_BAD_HTTP_STATUS_CODE: " + r.status() + " " + r.reason() + (first.isEmpty() ? "" : " (" + first + ")");
        }
        String e = r.error() == null ? "" : r.error();
        if (e.toLowerCase(Locale.ROOT).contains("reset")) {
            return "ERROR_WINHTTP_CONNECTION_ERROR (12030): the connection was reset before a response to " + verb
                    + " (" + e + "); a firewall on the path may be blocking the verb";
        }
        return switch (r.failure()) {
            case TLS -> "ERROR_WINHTTP_SECURE_FAILURE (12175): " + e;
            case CONNECT -> "ERROR_WINHTTP_CANNOT_CONNECT (12029): " + e;
            default -> "ERROR_WINHTTP_CONNECTION_ERROR (12030): no response to " + verb + " (" + e + ")";
        };
    }

    private Result bitsDownload(ProbeClient client, CmgTarget target, InetSocketAddress remote, Options o,
                                List<Map.Entry<String, String>> headers, String traceId) throws InterruptedException {
        ProbeClient.Outcome head = client.send(target, remote, new ProbeClient.Request("HEAD", o.path(), headers, null),
                traceId);
        List<Integer> statuses = new ArrayList<>();
        statuses.add(head.status());
        if (head.failure() != MpListResult.Failure.NONE || head.header("content-length") == null) {
            Bits b = new Bits(-1, statuses, 0, "ERROR", BG_E_HTTP_ERROR, "HEAD failed: "
                    + (head.error() != null ? head.error() : head.status() + " " + head.reason()));
            return withBits(traceId, o, head, b);
        }
        long size = Long.parseLong(head.header("content-length"));
        long block = Math.max(BITS_BLOCK, (size + BITS_MAX_REQUESTS - 1) / BITS_MAX_REQUESTS);
        long done = 0;
        ProbeClient.Outcome last = head;
        while (done < size) {
            long end = Math.min(size, done + block) - 1;
            List<Map.Entry<String, String>> h = new ArrayList<>(headers);
            h.add(Map.entry("Range", "bytes=" + done + "-" + end));
            last = client.send(target, remote, new ProbeClient.Request("GET", o.path(), h, null), traceId);
            statuses.add(last.status());
            if (last.status() == 200) {
                // BITS needs ranges; a server (or a device on the path) that ignores Range fails the job
                String why = "asked for bytes " + done + "-" + end + " and got 200 with " + last.bodyBytes()
                        + " bytes instead of 206: the server ignored the Range header (a network device may be"
                        + " stripping it)";
                log.error("[BITS] job failed: BG_E_INSUFFICIENT_RANGE_SUPPORT ({}): {}", BG_E_INSUFFICIENT_RANGE_SUPPORT, why);
                return withBits(traceId, o, last, new Bits(size, statuses, done, "ERROR",
                        BG_E_INSUFFICIENT_RANGE_SUPPORT, why));
            }
            String cr = last.header("content-range");
            if (last.status() != 206 || cr == null || !cr.startsWith("bytes " + done + "-" + end + "/")) {
                String why = "bytes " + done + "-" + end + ": " + (last.error() != null ? last.error()
                        : last.status() + " " + last.reason() + " Content-Range " + cr);
                return withBits(traceId, o, last, new Bits(size, statuses, done, "ERROR", BG_E_HTTP_ERROR, why));
            }
            done += last.bodyBytes();
        }
        log.info("[BITS] job transferred {} bytes in {} ranged requests", done, statuses.size() - 1);
        return withBits(traceId, o, last, new Bits(size, statuses, done, "TRANSFERRED", null, null));
    }

    private Result withBits(String traceId, Options o, ProbeClient.Outcome r, Bits b) {
        Result base = toResult(traceId, o, r, b);
        String reason = b.error() == null ? base.clientReason() : "BITS " + b.errorCode() + ": " + b.error();
        Map<String, String> headers = r.headers() == null ? Map.of() : new LinkedHashMap<>(r.headers());
        return new Result(traceId, o.verb(), o.path(), o.via(), r.status(), r.reason(), headers, r.bodyBytes(),
                r.bodySha256(), base.bodyText(), "TRANSFERRED".equals(b.state()) ? "ok" : "bits-error", r.error(),
                reason, b);
    }
}
