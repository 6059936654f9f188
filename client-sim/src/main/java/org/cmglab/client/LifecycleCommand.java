package org.cmglab.client;

import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import org.cmglab.client.auth.ClientIdentity;
import org.cmglab.proto.ccm.CcmClientHeaders;
import org.cmglab.proto.ccm.CcmFormatException;
import org.cmglab.proto.ccm.CcmMessage;
import org.cmglab.proto.ccm.CcmMultipart;
import org.cmglab.proto.ccm.CcmSignatures;
import org.cmglab.proto.ccm.ClientRequests;
import org.cmglab.proto.ccm.SafeXml;
import org.cmglab.proto.ccm.SecretPolicyEnvelope;
import org.cmglab.proto.ccm.Utf16;
import org.cmglab.proto.config.ClientSimConfig;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.HostMap;
import org.cmglab.proto.runtime.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The client lifecycle as a ConfigMgr client runs it (cmg-facts §2.3–§2.5): registration, policy (assignments and
 * bodies, the secret one decrypted), location (MP list, site information, WSUS) — through the CMG with the auth mode
 * ({@code /CCM_Proxy_MutualAuth/<MP role id>/...}) or straight to the MP ({@code --direct}). Logs its side the way
 * CcmMessaging.log, ClientIDManagerStartup.log, PolicyAgent.log, ClientLocation.log and LocationServices.log do.
 */
final class LifecycleCommand {
    private static final Logger msgLog = LoggerFactory.getLogger("CcmMessaging");
    private static final Logger regLog = LoggerFactory.getLogger("ClientIDManagerStartup");
    private static final Logger policyLog = LoggerFactory.getLogger("PolicyAgent");
    private static final Logger clientLocLog = LoggerFactory.getLogger("ClientLocation");
    private static final Logger locLog = LoggerFactory.getLogger("LocationServices");

    static final String USER_AGENT = "ConfigMgr Messaging HTTP Sender";
    /** The category of the lab's secret policy (the network access account, as sccmwtf looks for it). */
    static final String SECRET_CATEGORY = "NAAConfig";

    enum Step { REGISTER, POLICY, LOCATION, SUP }

    private final ClientSimConfig config;
    private final AuthMode auth;
    private final boolean direct;
    private final ClientIdentity identity;
    private final HttpExchange http;
    private final FlowEventLog events;
    private final PrintStream out;
    private final String traceId;
    private final HttpExchange.Target target;
    /** {@code /CCM_Proxy_MutualAuth/<id>} through the CMG, empty direct. */
    private final String prefix;
    private final ClientRequests requests;
    private final LifecycleResult result = new LifecycleResult();

    LifecycleCommand(ClientSimConfig config, AuthMode auth, boolean direct, ClientIdentity identity,
                     EventLoopGroup group, FlowEventLog events, PrintStream out, String traceId) throws IOException {
        this.config = Objects.requireNonNull(config, "config");
        this.auth = Objects.requireNonNull(auth, "auth");
        this.direct = direct;
        this.identity = Objects.requireNonNull(identity, "identity");
        this.http = new HttpExchange(group);
        this.events = Objects.requireNonNull(events, "events");
        this.out = Objects.requireNonNull(out, "out");
        this.traceId = traceId;
        String mpHost;
        if (direct) {
            if (config.mpUrl() == null) {
                throw new IllegalArgumentException("mpUrl: null (expected in the config for --direct)");
            }
            URI mp = URI.create(config.mpUrl());
            boolean https = "https".equalsIgnoreCase(mp.getScheme());
            int port = mp.getPort() > 0 ? mp.getPort() : https ? 443 : 80;
            mpHost = mp.getHost();
            InetSocketAddress remote = resolve(mpHost, port);
            target = new HttpExchange.Target(mpHost, port, remote, config.sourceAddress(), https ? ssl(false) : null);
            prefix = "";
        } else {
            if (config.mpRoleId() == null) {
                throw new IllegalArgumentException("mpRoleId: null (expected in the config)");
            }
            CmgTarget cmg = CmgTarget.of(config);
            target = new HttpExchange.Target(cmg.serviceName(), cmg.port(), cmg.remote(), cmg.sourceAddress(),
                    ssl(true));
            prefix = "/" + auth.proxyPrefix() + "/" + config.mpRoleId();
            mpHost = config.mpUrl() == null ? cmg.serviceName() : URI.create(config.mpUrl()).getHost();
        }
        String fqdn = config.name();
        String netbios = fqdn.split("\\.", 2)[0].toUpperCase(Locale.ROOT);
        requests = new ClientRequests(netbios, fqdn, mpHost, config.siteCode() == null ? "P01" : config.siteCode(),
                identity.signing().privateKey(), identity.signing().certificate());
        result.traceId = traceId;
        result.auth = auth.name();
        result.route = direct ? "direct" : "cmg";
    }

    private SslContext ssl(boolean withClientCert) throws IOException {
        try {
            return TlsContexts.client(MplistCommand.trustRoots(config.trustRoots()),
                    withClientCert ? auth.tlsClientCertificate() : null);
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the client TLS context: " + e.getMessage(), e);
        }
    }

    private InetSocketAddress resolve(String host, int port) {
        if (config.hosts().containsKey(host) || config.dnsServer() == null) {
            return new HostMap(config.hosts()).resolve(host, port);
        }
        io.netty.channel.EventLoopGroup g = org.cmglab.proto.runtime.EventLoops.newGroup(1, "client-dns");
        try {
            return new InetSocketAddress(org.cmglab.proto.runtime.LabDns.resolve(g, config.dnsServer().socketAddress(),
                    host, java.time.Duration.ofSeconds(5)), port);
        } catch (Exception e) {
            throw new IllegalStateException("cannot resolve " + host + " through the lab DNS: " + e.getMessage(), e);
        } finally {
            g.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** Runs the steps in order, stops at the first failure, prints RESULT and returns the exit code. */
    int run(List<Step> steps) throws IOException, InterruptedException {
        clientLocLog.info("Assigned MP changed from <> to <{}>; {} management point is: {}{}", target.origin(),
                direct ? "intranet" : "internet", target.origin(), prefix);
        AuthMode.Failure prep = auth.prepare(identity);
        if (prep != null) {
            msgLog.error("{} failed for --auth {}: {} {}", prep.step(), auth.name(), prep.status(), prep.error());
            result.fail(prep.step(), prep.kind(), prep.status(), prep.error());
            steps = List.of();
        }
        for (Step s : steps) {
            boolean ok = switch (s) {
                case REGISTER -> register();
                case POLICY -> policy();
                case LOCATION -> location();
                case SUP -> sup();
            };
            if (!ok) {
                break;
            }
            result.steps.add(s.name().toLowerCase(Locale.ROOT));
        }
        String line = "RESULT " + Json.writeCompact(result);
        msgLog.info(line);
        out.println(line);
        out.flush();
        return result.exitCode();
    }

    LifecycleResult result() {
        return result;
    }

    // ------------------------------------------------------------------ steps

    private boolean register() throws IOException, InterruptedException {
        regLog.info("[RegTask] - Client is not registered. Sending registration request for GUID:{} ...",
                "<none>");
        ClientRequests.Built b = requests.registration(Instant.now());
        String xml = exchange("register", b);
        if (xml == null) {
            return false;
        }
        Matcher m = Pattern.compile("SMSID=\"(GUID:[^\"]+)\"").matcher(xml);
        if (!m.find()) {
            return bad("register", "the registration reply has no SMSID: " + abbreviate(xml));
        }
        result.smsId = m.group(1);
        Matcher a = Pattern.compile("ApprovalStatus=\"(\\d+)\"").matcher(xml);
        result.approved = a.find() && "1".equals(a.group(1));
        identity.saveSmsId(result.smsId);
        AuthMode.Failure f = auth.registered(identity, xml);
        if (f != null) {
            msgLog.error("{} failed for --auth {}: {} {}", f.step(), auth.name(), f.status(), f.error());
            result.fail(f.step(), f.kind(), f.status(), f.error());
            return false;
        }
        regLog.info("[RegTask] - Client is registered. Server assigned ClientID is {}. Approval status {}",
                result.smsId, a.find(0) ? a.group(1) : "?");
        return true;
    }

    /**
     * The SUP as the Windows Update Agent reaches it: {@code POST <WSUS URL>/ClientWebService/client.asmx}
     * {@code GetConfig} at the URL the MP's WSUS location named (through the CMG, with the mode's headers).
     */
    private boolean sup() throws InterruptedException {
        if (result.wsusUrl == null) {
            return bad("sup", "no WSUS location (run location first)");
        }
        URI w = URI.create(result.wsusUrl);
        String ns = "http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService";
        String env = "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/"
                + "soap/envelope/\"><soap:Body><GetConfig xmlns=\"" + ns + "\"><protocolVersion>1.20</protocolVersion>"
                + "</GetConfig></soap:Body></soap:Envelope>";
        Map<String, String> h = new LinkedHashMap<>();
        h.put("User-Agent", "Windows-Update-Agent/10.0.10011.16384 Client-Protocol/2.50");
        h.put("Content-Type", "text/xml; charset=utf-8");
        h.put("SOAPAction", "\"" + ns + "/GetConfig\"");
        if (!direct) {
            h.putAll(auth.headers());
        }
        String path = (w.getRawPath() == null ? "" : w.getRawPath()) + "/ClientWebService/client.asmx";
        HttpExchange.Target t = target;
        if (!w.getHost().equalsIgnoreCase(target.host())) {
            boolean https = "https".equalsIgnoreCase(w.getScheme());
            int port = w.getPort() > 0 ? w.getPort() : https ? 443 : 80;
            try {
                t = new HttpExchange.Target(w.getHost(), port, resolve(w.getHost(), port), config.sourceAddress(),
                        https ? ssl(false) : null);
            } catch (IOException | RuntimeException e) {
                return bad("sup", "cannot reach " + result.wsusUrl + ": " + e.getMessage());
            }
        }
        HttpExchange.Response r = send("sup", t, "POST", path, h, env.getBytes(StandardCharsets.UTF_8), "GetConfig");
        if (r == null) {
            return false;
        }
        if (r.status() != 200) {
            return httpFailure("sup", r);
        }
        String body = new String(r.body(), StandardCharsets.UTF_8);
        if (!body.contains("GetConfigResult")) {
            return bad("sup", "GetConfig answered without GetConfigResult: " + abbreviate(body));
        }
        result.supGetConfig = "ok";
        locLog.info("WSUS {} answered GetConfig", result.wsusUrl);
        return true;
    }

    private String smsId() throws IOException {
        if (result.smsId == null) {
            result.smsId = identity.smsId();
        }
        return result.smsId;
    }

    private boolean policy() throws IOException, InterruptedException {
        String smsId = smsId();
        if (smsId == null) {
            return bad("policy", "not registered (run register first)");
        }
        policyLog.info("Requesting Machine policy assignments");
        String xml = exchange("policy assignments", requests.requestAssignments(smsId, Instant.now()));
        if (xml == null) {
            return false;
        }
        Element root;
        try {
            root = SafeXml.parse(xml).getDocumentElement();
        } catch (CcmFormatException e) {
            return bad("policy assignments", e.toString());
        }
        NodeList nl = root.getElementsByTagName("Policy");
        policyLog.info("Received policy assignments: {} policies", nl.getLength());
        List<LifecycleResult.PolicyOutcome> outcomes = new ArrayList<>();
        result.policies = outcomes;
        for (int i = 0; i < nl.getLength(); i++) {
            Element p = (Element) nl.item(i);
            String id = p.getAttribute("PolicyID");
            String category = p.getAttribute("PolicyCategory");
            Element loc = SafeXml.child(p, "PolicyLocation");
            if (loc == null) {
                return bad("policy " + id, "no PolicyLocation");
            }
            String location = loc.getTextContent().trim();
            String hash = loc.getAttribute("PolicyHash");
            if (!fetchPolicy(smsId, id, category, location, hash, outcomes)) {
                return false;
            }
        }
        if (result.secretPolicyAccount == null) {
            return bad("policy", "no secret (" + SECRET_CATEGORY + ") policy among the assignments");
        }
        return true;
    }

    private boolean fetchPolicy(String smsId, String id, String category, String location, String hash,
                                List<LifecycleResult.PolicyOutcome> outcomes) throws InterruptedException {
        String marker = "://<mp>";
        int at = location.indexOf(marker);
        if (at < 0) {
            return bad("policy " + id, "PolicyLocation without <mp>: " + location);
        }
        String path = prefix + location.substring(at + marker.length()).replace("{", "%7B").replace("}", "%7D");
        boolean secret = SECRET_CATEGORY.equals(category);
        Map<String, String> h = new LinkedHashMap<>();
        h.put("User-Agent", USER_AGENT);
        h.putAll(auth.headers());
        Instant now = Instant.now();
        // secret policy: ClientToken (sccmwtf); others: the CCMClient headers
        h.putAll(secret ? CcmClientHeaders.clientToken(smsId, identity.signing().privateKey(), now)
                : CcmClientHeaders.ccmClient(smsId, identity.signing().privateKey(), now));
        HttpExchange.Response r = send("policy " + id, "GET", path, h, null, category);
        if (r == null) {
            return false;
        }
        if (r.status() != 200) {
            return httpFailure("policy " + id, r);
        }
        byte[] body = r.body();
        Boolean decrypted = null;
        if (secret) {
            try {
                body = SecretPolicyEnvelope.decrypt(body, identity.signing().privateKey());
                decrypted = true;
            } catch (IllegalArgumentException e) {
                return bad("policy " + id, "the secret policy does not decrypt with our key: " + e.getMessage());
            }
        }
        boolean hashOk = hash.isEmpty() || ("SHA256:" + sha256(body)).equalsIgnoreCase(hash);
        outcomes.add(new LifecycleResult.PolicyOutcome(id, category, r.status(), secret, hashOk, decrypted));
        if (!hashOk) {
            return bad("policy " + id, "PolicyHash " + hash + " does not match the body");
        }
        String text;
        try {
            text = Utf16.decode(body);
        } catch (CcmFormatException e) {
            return bad("policy " + id, e.toString());
        }
        policyLog.info("Downloaded policy {} ({}, {} bytes{})", id, category, body.length,
                secret ? ", secret: decrypted with the client's encryption key" : "");
        if (secret) {
            Matcher m = Pattern.compile("NetworkAccessUsername = \"([^\"]+)\"").matcher(text);
            if (!text.contains("CCM_NetworkAccessAccount") || !m.find()) {
                return bad("policy " + id, "the decrypted secret policy has no network access account");
            }
            result.secretPolicyAccount = m.group(1).replace("\\\\", "\\");
        }
        return true;
    }

    private boolean location() throws IOException, InterruptedException {
        String smsId = smsId();
        String mps = exchange("location MP list", requests.enumerateMpLocations(smsId, Instant.now()));
        if (mps == null) {
            return false;
        }
        List<String> urls = new ArrayList<>();
        Matcher m = Pattern.compile("<URL Name=\"([^\"]+)\"").matcher(mps);
        while (m.find()) {
            urls.add(m.group(1));
        }
        result.mps = urls;
        result.internetMp = urls.stream().filter(u -> u.toLowerCase(Locale.ROOT).contains("/ccm_proxy_mutualauth/"))
                .findFirst().orElse(null);
        locLog.info("Retrieved management point list: {}", urls);
        if (result.internetMp != null) {
            clientLocLog.info("Internet management point is: {}", result.internetMp);
        }
        String site = exchange("location site information", requests.siteInformation(smsId, Instant.now()));
        if (site == null) {
            return false;
        }
        Matcher sc = Pattern.compile("<Code>([^<]+)</Code>").matcher(site);
        result.siteCode = sc.find() ? sc.group(1) : null;
        locLog.info("Site information: site code {}", result.siteCode);
        String wsus = exchange("location WSUS", requests.wsusLocation(smsId, !direct, Instant.now()));
        if (wsus == null) {
            return false;
        }
        Matcher w = Pattern.compile("WSUSURL=\"([^\"]+)\"[^>]*ServerName=\"([^\"]*)\"[^>]*Version=\"([^\"]*)\"")
                .matcher(wsus);
        if (!w.find()) {
            return bad("location WSUS", "no WSUS location in " + abbreviate(wsus));
        }
        result.wsusUrl = w.group(1);
        locLog.info("Calling back with the following WSUS locations");
        locLog.info("WSUS Path='{}', Server='{}', Version='{}'", w.group(1), w.group(2), w.group(3));
        if (result.internetMp == null && !direct) {
            return bad("location MP list", "the MP list names no internet MP (CMG)");
        }
        return true;
    }

    // -------------------------------------------------------------- plumbing

    /** Sends a message, returns the reply body XML, or null after recording the failure. */
    private String exchange(String step, ClientRequests.Built b) throws InterruptedException {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("User-Agent", USER_AGENT);
        h.put("Content-Type", CcmMultipart.CONTENT_TYPE);
        h.putAll(auth.headers());
        String endpoint = b.header().targetEndpoint();
        msgLog.info("Sending message ({}) {} to {} (Body {} bytes, Hook3 zlib-compress{})", b.header().id(),
                endpoint, target.origin() + prefix + auth.messagingPath(), b.bodyOnWire().length,
                b.header().clientAuth().isEmpty() ? "" : ", Hook2 clientauth");
        HttpExchange.Response r = send(step, "CCM_POST", prefix + auth.messagingPath(), h, b.bytes(), endpoint);
        if (r == null) {
            return null;
        }
        if (r.status() != 200) {
            httpFailure(step, r);
            return null;
        }
        try {
            CcmMessage reply = CcmMessage.decode(r.contentType(), r.body(), CcmMessage.Limits.DEFAULT);
            msgLog.info("Received reply ({} chars) for message {} from {}", reply.bodyXml().length(), b.header().id(),
                    endpoint);
            return reply.bodyXml();
        } catch (CcmFormatException e) {
            bad(step, "unreadable reply: " + e);
            return null;
        }
    }

    private HttpExchange.Response send(String step, String method, String path, Map<String, String> headers,
                                       byte[] body, String what) throws InterruptedException {
        return send(step, target, method, path, headers, body, what);
    }

    private HttpExchange.Response send(String step, HttpExchange.Target target, String method, String path,
                                       Map<String, String> headers, byte[] body, String what)
            throws InterruptedException {
        long start = System.nanoTime();
        HttpExchange.Response r = null;
        String error = null;
        MpListResult.Failure kind = null;
        try {
            r = http.send(target, method, path, headers, body, traceId);
        } catch (HttpExchange.Failed f) {
            error = f.getMessage();
            kind = f.kind;
        }
        int status = r == null ? 0 : r.status();
        events.event(direct ? "direct" : "F3", "response").trace(traceId)
                .from(direct ? "site-sim" : "cmg-service").to("client-sim")
                .protocol(target.ssl() != null ? "HTTPS" : "HTTP").port(target.port())
                .auth(direct ? "none (direct to the MP)" : auth.describe()).status(status)
                .outcome(r == null ? kind.outcome : status == 200 ? "ok" : "http-" + status)
                .latencyNanos(System.nanoTime() - start)
                .detail(method + " " + path + " (" + what + ")" + (error == null ? "" : ": " + error)).emit();
        if (r == null) {
            msgLog.error("[CCMHTTP] ERROR: URL={}{}, Port={}, Code=0, Text={}", target.origin(), path, target.port(),
                    error);
            result.fail(step, kind, 0, error);
        }
        return r;
    }

    private boolean httpFailure(String step, HttpExchange.Response r) {
        String body = r.body() == null ? "" : new String(r.body(), 0, Math.min(r.body().length, 200),
                StandardCharsets.ISO_8859_1);
        msgLog.error("[CCMHTTP] ERROR INFO: StatusCode={} StatusText={} ({})", r.status(), r.reason(), step);
        result.fail(step, MpListResult.Failure.HTTP_STATUS, r.status(), r.status() + " " + r.reason() + ": "
                + abbreviate(body.replaceAll("\\s+", " ")));
        return false;
    }

    private boolean bad(String step, String why) {
        msgLog.error("{} failed: {}", step, why);
        result.fail(step, MpListResult.Failure.BAD_REPLY, 200, why);
        return false;
    }

    static String sha256(byte[] b) {
        try {
            return CcmSignatures.hex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 160 ? s.substring(0, 160) + "..." : s;
    }

    static String newTrace(String requested) {
        String t = requested == null ? TraceContext.newTraceId() : requested.toLowerCase(Locale.ROOT);
        if (!t.matches("[0-9a-f]{32}") || t.equals("0".repeat(32))) {
            throw new IllegalArgumentException("--trace: " + requested + " (expected: 32 hex digits, not all zero)");
        }
        return t;
    }
}
