package org.cmglab.site.ccm;

import static org.cmglab.proto.ccm.SafeXml.esc;

import java.io.ByteArrayInputStream;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.cmglab.proto.ccm.CcmAuthException;
import org.cmglab.proto.ccm.CcmClientHeaders;
import org.cmglab.proto.ccm.CcmFormatException;
import org.cmglab.proto.ccm.CcmMessage;
import org.cmglab.proto.ccm.CcmMsgHeader;
import org.cmglab.proto.ccm.CcmMultipart;
import org.cmglab.proto.ccm.CcmSignatures;
import org.cmglab.proto.ccm.ClientHeaderVerifier;
import org.cmglab.proto.ccm.SafeXml;
import org.cmglab.proto.ccm.SecretPolicyEnvelope;
import org.cmglab.proto.ccm.Utf16;
import org.cmglab.proto.ccm.Zlib;
import org.cmglab.proto.config.MpMessagingConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * The MP's CcmMessaging and policy-body logic, free of Netty: {@code CCM_POST /ccm_system[_tokenauth|_windowsauth|
 * _altauth]/request} routed by {@code TargetEndpoint} to registration, policy assignments and location, and
 * {@code GET /SMS_MP/.sms_pol?<PolicyID>.SHA256:<hash>}. Client mistakes are 400 (unreadable) or 401/403 (identity)
 * with a logged reason, never an exception to the caller. Logs go to the product's log names
 * ({@code MP_RegistrationManager}, {@code MP_Policy}, {@code MP_Location}).
 */
public final class MpMessaging {
    private static final Logger log = LoggerFactory.getLogger(MpMessaging.class);
    static final Logger regLog = LoggerFactory.getLogger("MP_RegistrationManager");
    static final Logger policyLog = LoggerFactory.getLogger("MP_Policy");
    static final Logger locLog = LoggerFactory.getLogger("MP_Location");

    public static final String REGISTRATION = "MP_ClientRegistration";
    public static final String POLICY = "MP_PolicyManager";
    public static final String LOCATION = "MP_LocationManager";
    public static final String SMS_POL = ".sms_pol";

    /** One request as the MP sees it. */
    public record Request(String method, String path, String query, Function<String, String> headers,
                          String contentType, byte[] body, String uri) {
        public Request {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(headers, "headers");
            body = body == null ? new byte[0] : body;
        }
    }

    private final String siteCode;
    private final String mpName;
    private final String mpFqdn;
    private final MpMessagingConfig cfg;
    private final ClientRegistry registry;
    private final LabPolicies policies;
    private final LocationReplies location;
    private final ClientHeaderVerifier verifier;
    private final MessageAuthenticator tokenAuth;
    private final Clock clock;
    private final CcmMessage.Limits limits = CcmMessage.Limits.DEFAULT;
    private final Map<String, AtomicLong> served = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> refused = new ConcurrentHashMap<>();
    private volatile ClientTokenIssuer clientTokens;

    /** Issues the client token a token-authenticated registration returns (the site's token authority). */
    @FunctionalInterface
    public interface ClientTokenIssuer {
        /** A client token for {@code smsId} bound to its self-signed signing certificate. */
        String issue(String smsId, X509Certificate signingCert);
    }

    /**
     * @param tokenAuth    decides on {@code ccm_system_tokenauth} messages
     * @param cloudContent extra content locations (the CMG content hook)
     */
    public MpMessaging(String siteCode, String mpName, String mpFqdn, boolean mpHttps, int mpVersion,
                       MpMessagingConfig cfg, MessageAuthenticator tokenAuth, ContentLocationSource cloudContent,
                       Clock clock) {
        this.siteCode = Objects.requireNonNull(siteCode, "siteCode");
        this.mpName = Objects.requireNonNull(mpName, "mpName");
        this.mpFqdn = Objects.requireNonNull(mpFqdn, "mpFqdn");
        this.cfg = cfg == null ? MpMessagingConfig.defaults() : cfg;
        this.tokenAuth = Objects.requireNonNull(tokenAuth, "tokenAuth");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.registry = new ClientRegistry();
        String domain = mpFqdn.contains(".") ? mpFqdn.split("\\.")[1].toUpperCase(Locale.ROOT) : "LAB";
        this.policies = new LabPolicies(siteCode, domain, this.cfg.supIntranetUrlOrDefault(mpFqdn));
        this.location = new LocationReplies(siteCode, mpName, mpFqdn, mpHttps, mpVersion, this.cfg,
                cloudContent == null ? ContentLocationSource.NONE : cloudContent);
        this.verifier = new ClientHeaderVerifier(clock, Duration.ofSeconds(this.cfg.skewSecondsOrDefault()));
    }

    /**
     * Makes registrations on {@code ccm_system_tokenauth} answer with a client token ({@code <ClientToken>} in the
     * reply, the lab's choice); null = none (the MP has no token-signing key).
     */
    public MpMessaging clientTokenIssuer(ClientTokenIssuer issuer) {
        this.clientTokens = issuer;
        return this;
    }

    public ClientRegistry registry() {
        return registry;
    }

    public LabPolicies policies() {
        return policies;
    }

    /** Served messages per endpoint (and {@code .sms_pol}). */
    public Map<String, Long> served() {
        return snapshot(served);
    }

    /** Refused requests per reason kind. */
    public Map<String, Long> refused() {
        return snapshot(refused);
    }

    private static Map<String, Long> snapshot(Map<String, AtomicLong> m) {
        Map<String, Long> out = new java.util.TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** Whether this class serves {@code lowerPath}. */
    public static boolean handles(String lowerPath) {
        return family(lowerPath) != null || lowerPath.equals("/sms_mp/.sms_pol");
    }

    /** {@code ccm_system}, {@code ccm_system_tokenauth}, ... for a messaging path, else null. */
    static String family(String lowerPath) {
        return switch (lowerPath) {
            case "/ccm_system/request" -> "ccm_system";
            case "/ccm_system_tokenauth/request" -> "ccm_system_tokenauth";
            case "/ccm_system_windowsauth/request" -> "ccm_system_windowsauth";
            case "/ccm_system_altauth/request" -> "ccm_system_altauth";
            default -> null;
        };
    }

    /** Answers one request on a path {@link #handles} accepts. */
    public HttpAnswer handle(Request r) {
        String lower = r.path().toLowerCase(Locale.ROOT);
        HttpAnswer a;
        try {
            a = lower.equals("/sms_mp/.sms_pol") ? policyBody(r) : message(r, family(lower));
        } catch (CcmFormatException e) {
            a = HttpAnswer.error(400, "Bad Request", "The request is badly formed.", null, e.toString());
        } catch (CcmAuthException e) {
            a = HttpAnswer.error(403, "Forbidden", "Access is denied.", null, e.toString());
        } catch (RuntimeException e) {
            log.error("MP failed on {} {}: {}", r.method(), r.path(), e.toString(), e);
            a = HttpAnswer.error(500, "Internal Server Error", "The server encountered an error.", null, e.toString());
        }
        if (a.refusal() != null) {
            refused.computeIfAbsent(a.status() + " " + kind(a.refusal()), k -> new AtomicLong()).incrementAndGet();
            log.warn("{} {} refused with {}: {}", r.method(), r.uri() == null ? r.path() : r.uri(), a.status(),
                    a.refusal());
        } else if (a.endpoint() != null) {
            served.computeIfAbsent(a.endpoint(), k -> new AtomicLong()).incrementAndGet();
        }
        return a;
    }

    private static String kind(String refusal) {
        int colon = refusal.indexOf(':');
        return colon > 0 ? refusal.substring(0, colon) : refusal;
    }

    // ---------------------------------------------------------------- CCM_POST

    private HttpAnswer message(Request r, String family) {
        if (!"CCM_POST".equals(r.method())) {
            return HttpAnswer.error(405, "Method Not Allowed", "The HTTP verb used to access this page is not allowed.",
                    null, "METHOD: " + r.method() + " on " + r.path() + " (expected: CCM_POST)")
                    .withHeader("Allow", "CCM_POST");
        }
        boolean windowsAuth = "ccm_system_windowsauth".equals(family);
        if (windowsAuth && !cfg.windowsAuthWithoutAuthOrDefault()) {
            return HttpAnswer.error(401, "Unauthorized",
                    "401.2 - Unauthorized: Access is denied due to server configuration.", null,
                    "WINDOWS_AUTH: Negotiate/NTLM required on " + r.path()
                            + (r.headers().apply("Authorization") != null ? " (the lab cannot verify "
                            + r.headers().apply("Authorization").split(" ")[0] + ")" : ""))
                    .withHeader("WWW-Authenticate", "Negotiate").withHeader("WWW-Authenticate", "NTLM");
        }
        CcmMessage m = CcmMessage.decode(r.contentType(), r.body(), limits);
        String endpoint = m.header().endpoint();
        boolean token = "ccm_system_tokenauth".equals(family);
        MessageAuthenticator.Decision tokenDecision = null;
        if (token) {
            MessageAuthenticator.Decision d = tokenAuth.authenticate(
                    new MessageAuthenticator.Request(r.path(), r.headers(), m.header()));
            if (!d.allowed()) {
                HttpAnswer a = HttpAnswer.error(d.status(), d.status() == 401 ? "Unauthorized" : "Forbidden",
                        "Access is denied.", endpoint, "TOKEN_" + d.reason());
                return d.status() == 401 ? a.withHeader("WWW-Authenticate", "Bearer") : a;
            }
            log.info("ccm_system_tokenauth message for {} accepted: {}", endpoint, d.identity());
            tokenDecision = d;
        }
        if (endpoint == null) {
            throw new CcmFormatException(CcmFormatException.Reason.MISSING_FIELD, "no TargetEndpoint");
        }
        String replyXml = switch (endpoint) {
            case REGISTRATION -> register(m, windowsAuth, family, tokenDecision);
            case POLICY -> assignments(m);
            case LOCATION -> locate(m, token);
            default -> throw new CcmFormatException(CcmFormatException.Reason.MISSING_FIELD,
                    "TargetEndpoint " + endpoint + " is not served by the lab MP (expected: " + REGISTRATION + ", "
                            + POLICY + " or " + LOCATION + ")");
        };
        return HttpAnswer.ok(CcmMultipart.CONTENT_TYPE, reply(m.header(), replyXml), endpoint);
    }

    /** The reply message: zlib-compressed UTF-16 body unless the request asked {@code ReplyCompression="none"}. */
    byte[] reply(CcmMsgHeader req, String xml) {
        byte[] plain = CcmMessage.plainBody(xml);
        boolean zlib = req.replyCompression() == null || !"none".equalsIgnoreCase(req.replyCompression());
        byte[] wire = zlib ? Zlib.compress(plain) : plain;
        CcmMsgHeader h = CcmMsgHeader.builder().body(plain.length - 2, 0)
                .correlationId(req.id() == null ? CcmMsgHeader.NULL_CORRELATION : req.id()).zlibCompressed(zlib)
                .id("{" + UUID.randomUUID().toString().toUpperCase(Locale.ROOT) + "}")
                .sentTime(CcmClientHeaders.timestamp(clock.instant())).sourceHost(mpName)
                .targetAddress(req.replyTo()).targetEndpoint(null).targetHost(req.sourceHost()).build();
        return CcmMessage.frame(h, wire);
    }

    private static Element root(CcmMessage m, String expected) {
        Document d = SafeXml.parse(m.bodyXml());
        Element root = d.getDocumentElement();
        if (expected != null && !expected.equals(root.getTagName())) {
            throw new CcmFormatException(CcmFormatException.Reason.MISSING_FIELD,
                    "body <" + root.getTagName() + "> (expected: <" + expected + ">)");
        }
        return root;
    }

    // ------------------------------------------------------------ registration

    private String register(CcmMessage m, boolean windowsAuth, String family, MessageAuthenticator.Decision token) {
        Element root = root(m, "ClientRegistrationRequest");
        Element data = SafeXml.child(root, "Data");
        if (data == null) {
            throw new CcmFormatException(CcmFormatException.Reason.MISSING_FIELD, "ClientRegistrationRequest without <Data>");
        }
        Element certs = SafeXml.child(data, "Certificates");
        X509Certificate signing = cert(certs == null ? null : SafeXml.childText(certs, "Signing"), "Signing");
        String encHex = certs == null ? null : SafeXml.childText(certs, "Encryption");
        X509Certificate encryption = encHex == null || encHex.isEmpty() ? signing : cert(encHex, "Encryption");
        Element sigEl = SafeXml.first(root, "SignatureValue");
        String sig = sigEl == null ? null : sigEl.getTextContent().trim();
        if (sig == null || sig.isEmpty()) {
            throw new CcmAuthException(CcmAuthException.Reason.MISSING_SIGNATURE, "registration without SignatureValue");
        }
        byte[] signed = m.elementBytes("Data");
        if (signed == null || !CcmSignatures.verify(signing.getPublicKey(), signed, sig)) {
            throw new CcmAuthException(CcmAuthException.Reason.BAD_SIGNATURE,
                    "registration SignatureValue does not verify over the received <Data> bytes with the Signing"
                            + " certificate " + signing.getSubjectX500Principal().getName());
        }
        String netbios = property(data, "Netbios Name");
        String fqdn = property(data, "FQ Name");
        String requested = data.getAttribute("SMSID");
        ClientRegistry.Registration prior = requested.isBlank() ? null : registry.get(requested);
        String smsId = prior != null && CcmSignatures.sameKey(prior.signing().getPublicKey(), signing.getPublicKey())
                ? prior.smsId() : "GUID:" + UUID.randomUUID().toString().toUpperCase(Locale.ROOT);
        if (token != null && token.deviceId() != null) {
            // a client or CCM token speaks for one device: the registration is that device's
            ClientRegistry.Registration owner = registry.get(token.deviceId());
            if (owner != null && !CcmSignatures.sameKey(owner.signing().getPublicKey(), signing.getPublicKey())) {
                throw new CcmAuthException(CcmAuthException.Reason.KEY_MISMATCH, token.deviceId()
                        + " is registered with another signing key; its token cannot re-register a new key");
            }
            smsId = token.deviceId();
        }
        boolean approved = cfg.autoApproveOrDefault() || windowsAuth;
        registry.put(new ClientRegistry.Registration(smsId, netbios, fqdn, signing, encryption, approved,
                clock.instant(), family));
        regLog.info("MP_RegistrationManager: registered client {} ({}, {}) via {}: signing certificate {} "
                        + "(SHA-1 {}), {}", smsId, netbios, fqdn, family, signing.getSubjectX500Principal().getName(),
                thumbprint(signing), approved ? "approved" : "pending approval");
        String clientToken = "";
        ClientTokenIssuer issuer = clientTokens;
        if (token != null && issuer != null) {
            // the lab's choice: the client token travels in a <ClientToken> element after <Data>
            clientToken = "<ClientToken>" + esc(issuer.issue(smsId, signing)) + "</ClientToken>";
            regLog.info("MP_RegistrationManager: issued a client token to {} bound to its signing certificate"
                    + " (SHA-1 {}); registration authorised by {}", smsId, thumbprint(signing), token.identity());
        }
        return "<ClientRegistrationReply SchemaVersion=\"1.00\"><Data SMSID=\"" + esc(smsId)
                + "\" RequestType=\"" + esc(data.getAttribute("RequestType")) + "\" ApprovalStatus=\""
                + (approved ? 1 : 0) + "\" TimeStamp=\"" + CcmClientHeaders.timestamp(clock.instant())
                + "\"/>" + clientToken + "</ClientRegistrationReply>";
    }

    private static String property(Element data, String name) {
        org.w3c.dom.NodeList nl = data.getElementsByTagName("Property");
        for (int i = 0; i < nl.getLength(); i++) {
            Element p = (Element) nl.item(i);
            if (name.equals(p.getAttribute("Name"))) {
                return p.getAttribute("Value");
            }
        }
        return null;
    }

    static X509Certificate cert(String hex, String what) {
        if (hex == null || hex.isBlank()) {
            throw new CcmFormatException(CcmFormatException.Reason.MISSING_FIELD, "registration without " + what
                    + " certificate");
        }
        try {
            byte[] der = HexFormat.of().parseHex(hex.trim());
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (IllegalArgumentException | CertificateException e) {
            throw new CcmFormatException(CcmFormatException.Reason.MISSING_FIELD, what
                    + " certificate is not hex DER X.509: " + e.getMessage());
        }
    }

    static String thumbprint(X509Certificate c) {
        try {
            return CcmSignatures.hex(java.security.MessageDigest.getInstance("SHA-1").digest(c.getEncoded()));
        } catch (Exception e) {
            return "?";
        }
    }

    // ------------------------------------------------------ policy assignments

    /** Hook2 clientauth: PublicKey = the registered key, ClientIDSignature over SourceID, PayloadSignature over the body. */
    ClientRegistry.Registration verifyHook2(CcmMessage m) {
        CcmMsgHeader h = m.header();
        Map<String, String> p = h.clientAuth();
        String source = h.sourceId();
        if (source == null || p.get("ClientIDSignature") == null || p.get("PayloadSignature") == null) {
            throw new CcmAuthException(CcmAuthException.Reason.MISSING_SIGNATURE,
                    "MP_PolicyManager needs SourceID and Hook2 clientauth ClientIDSignature/PayloadSignature");
        }
        ClientRegistry.Registration reg = registry.get(source);
        if (reg == null) {
            throw new CcmAuthException(CcmAuthException.Reason.UNKNOWN_CLIENT, "no client registered as " + source);
        }
        PublicKey key = reg.signing().getPublicKey();
        String blob = p.get("PublicKey");
        if (blob != null && !blob.isBlank() && !CcmSignatures.sameKey(CcmSignatures.parsePublicKeyBlob(blob), key)) {
            throw new CcmAuthException(CcmAuthException.Reason.KEY_MISMATCH,
                    "Hook2 PublicKey is not the signing key registered for " + source);
        }
        if (!CcmSignatures.verify(key, Utf16.leNul(source), p.get("ClientIDSignature"))) {
            throw new CcmAuthException(CcmAuthException.Reason.BAD_SIGNATURE, "ClientIDSignature does not verify for "
                    + source);
        }
        if (!CcmSignatures.verify(key, m.bodyOnWire(), p.get("PayloadSignature"))) {
            throw new CcmAuthException(CcmAuthException.Reason.BAD_SIGNATURE,
                    "PayloadSignature does not verify over the received body part of " + source);
        }
        return reg;
    }

    private String assignments(CcmMessage m) {
        ClientRegistry.Registration reg = verifyHook2(m);
        Element root = root(m, "RequestAssignments");
        Element res = SafeXml.child(root, "Resource");
        String type = res == null ? "Machine" : res.getAttribute("ResourceType");
        StringBuilder s = new StringBuilder("<ReplyAssignments SchemaVersion=\"1.00\" ReplyType=\"Full\">")
                .append("<Identification><Machine><ClientID>").append(esc(reg.smsId())).append("</ClientID><FQDN>")
                .append(esc(reg.fqdn())).append("</FQDN><NetBIOSName>").append(esc(reg.netbiosName()))
                .append("</NetBIOSName><SID/></Machine><User/></Identification><PolicySource>SMS:")
                .append(esc(siteCode)).append("</PolicySource><Resource ResourceType=\"").append(esc(type))
                .append("\"/><ServerCookie>").append(CcmClientHeaders.timestamp(clock.instant()))
                .append("</ServerCookie>");
        if ("Machine".equalsIgnoreCase(type)) {
            for (LabPolicies.Policy p : policies.all()) {
                s.append("<PolicyAssignment PolicyAssignmentID=\"").append(esc(p.id())).append("\">")
                        .append("<Policy PolicyID=\"").append(esc(p.id())).append("\" PolicyVersion=\"")
                        .append(p.version()).append("\" PolicyType=\"Machine\" PolicyCategory=\"")
                        .append(p.category()).append("\" PolicyFlags=\"").append(p.secret() ? 2 : 0)
                        .append("\"><PolicyLocation PolicyHash=\"SHA256:").append(p.hash())
                        .append("\" PolicyHashEx=\"SHA256:").append(p.hash()).append("\"><![CDATA[")
                        .append(p.location()).append("]]></PolicyLocation></Policy></PolicyAssignment>");
            }
        }
        policyLog.info("MP_PolicyManager: {} assignments for {} ({}), Hook2 clientauth verified",
                "Machine".equalsIgnoreCase(type) ? policies.all().size() : 0, reg.smsId(), reg.netbiosName());
        return s.append("</ReplyAssignments>").toString();
    }

    // ---------------------------------------------------------------- location

    private String locate(CcmMessage m, boolean tokenAuth) {
        Document d = SafeXml.parse(m.bodyXml());
        String reply = location.reply(d, tokenAuth, m.header().sourceId());
        locLog.info("MP_LocationManager: {} from {} answered ({} chars)", LocationReplies.requestName(d),
                m.header().sourceId() == null ? m.header().sourceHost() : m.header().sourceId(), reply.length());
        return reply;
    }

    // -------------------------------------------------------------- .sms_pol

    private HttpAnswer policyBody(Request r) {
        if (!"GET".equals(r.method()) && !"HEAD".equals(r.method())) {
            return HttpAnswer.error(405, "Method Not Allowed", "The HTTP verb used to access this page is not allowed.",
                    SMS_POL, "METHOD: " + r.method() + " on .sms_pol").withHeader("Allow", "GET, HEAD");
        }
        String q = r.query() == null ? "" : r.query();
        String id = q;
        String hash = null;
        int h = q.toUpperCase(Locale.ROOT).indexOf(".SHA256:");
        if (h >= 0) {
            id = q.substring(0, h);
            hash = q.substring(h + ".SHA256:".length());
        }
        LabPolicies.Policy p = policies.get(id);
        if (p == null || (hash != null && !hash.equalsIgnoreCase(p.hash()))) {
            return HttpAnswer.error(404, "Not Found", "The requested resource is not found.", SMS_POL,
                    "NO_POLICY: " + (p == null ? "unknown policy " + id : "hash " + hash + " is not the hash of " + id));
        }
        String url = r.uri() == null ? r.path() + "?" + q : r.uri();
        ClientHeaderVerifier.Verified ccm = null;
        if (ClientHeaderVerifier.hasCcmClient(r.headers())) {
            ccm = verifier.verifyCcmClient(r.headers(), url, registry::signingKey);
        }
        if (!p.secret()) {
            policyLog.info("MP_GetPolicy: policy {} ({}) sent to {}", p.id(), p.category(),
                    ccm == null ? "an anonymous client" : ccm.clientId() + " (CCMClient headers verified)");
            // an anonymous plain-policy download is allowed (the product serves non-secret policy anonymously)
            return HttpAnswer.ok("text/xml", p.body(), SMS_POL);
        }
        // sccmwtf proves itself with ClientToken, PXEThief (media identity) with the CCMClient headers
        if (!ClientHeaderVerifier.hasClientToken(r.headers()) && ccm == null) {
            throw new CcmAuthException(CcmAuthException.Reason.MISSING_SIGNATURE, "secret policy " + p.id()
                    + " requested without ClientToken/ClientTokenSignature or CCMClient* signature headers");
        }
        ClientHeaderVerifier.Verified tok = ClientHeaderVerifier.hasClientToken(r.headers())
                ? verifier.verifyClientToken(r.headers(), url, registry::signingKey) : ccm;
        if (ccm != null && !ccm.clientId().equals(tok.clientId())) {
            throw new CcmAuthException(CcmAuthException.Reason.KEY_MISMATCH,
                    "CCMClientID " + ccm.clientId() + " and ClientToken " + tok.clientId() + " differ");
        }
        ClientRegistry.Registration reg = registry.get(tok.clientId());
        if (!reg.approved()) {
            throw new CcmAuthException(CcmAuthException.Reason.UNKNOWN_CLIENT, "client " + reg.smsId()
                    + " is not approved; secret policy " + p.id() + " withheld");
        }
        byte[] env = SecretPolicyEnvelope.encrypt(p.body(), reg.encryption());
        policyLog.info("MP_GetPolicy: secret policy {} ({}) sent to {} encrypted (3DES-CBC) to {} (SHA-1 {})",
                p.id(), p.category(), reg.smsId(), reg.encryption().getSubjectX500Principal().getName(),
                thumbprint(reg.encryption()));
        // text/xml like the plain bodies: public media tools insist on it for the CMS reply too
        return HttpAnswer.ok("text/xml", env, SMS_POL);
    }

    /** A snapshot for the admin status. */
    public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("registeredClients", registry.size());
        m.put("messages", served());
        m.put("refused", refused());
        return m;
    }
}
