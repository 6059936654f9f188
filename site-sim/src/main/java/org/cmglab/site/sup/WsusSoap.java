package org.cmglab.site.sup;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The SOAP side of the emulated WSUS (cmg-facts §1.5: WUA scans {@code ClientWebService/client.asmx} and
 * {@code SimpleAuthWebService/SimpleAuth.asmx}): {@code GetConfig}, {@code GetAuthorizationCookie},
 * {@code GetCookie} and {@code SyncUpdates} with a small fixed update set ({@link #UPDATES}).
 *
 * <p>Cookies are stateless: {@code base64(expiry|HMAC-SHA256(expiry))} with a key made when the process starts,
 * so a forged, truncated or expired cookie is refused ({@code InvalidCookie} / {@code CookieExpired}, as WSUS names
 * them). Input is parsed with DTDs and external entities disabled. Every client mistake is a {@link SoapFault}
 * ({@code soap:Client}).
 */
public final class WsusSoap {
    public static final String NS = "http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService";
    public static final String AUTH_NS = "http://www.microsoft.com/SoftwareDistribution/Server/SimpleAuthWebService";
    static final String SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/";
    static final Duration COOKIE_LIFETIME = Duration.ofHours(1);
    private static final DateTimeFormatter ISO = DateTimeFormatter.ISO_INSTANT;

    /** One update of the fixed set: WSUS update id (GUID), revision, title, KB. */
    public record Update(int revisionId, String updateId, int revisionNumber, String title, String kb) {}

    public static final List<Update> UPDATES = List.of(
            new Update(300001, "3f6e1b10-5d4c-4b7e-9a51-2c0d1e8f7a01", 200, "2026-11 Cumulative Update for Windows 11 Version 24H2 for x64-based Systems", "5070001"),
            new Update(300002, "8a2c4d6e-1f3b-4c5d-8e7f-9a0b1c2d3e02", 201, "Security Intelligence Update for Microsoft Defender Antivirus - KB2267602", "2267602"),
            new Update(300003, "c4e5f6a7-b8c9-4d0e-a1f2-b3c4d5e6f703", 202, "2026-11 Cumulative Update for .NET Framework 3.5 and 4.8.1 for Windows 11", "5070003"));

    private final Clock clock;
    private final byte[] key = new byte[32];

    public WsusSoap(Clock clock) {
        this.clock = clock;
        new SecureRandom().nextBytes(key);
    }

    /** A SOAP fault for the client (HTTP 400 in the lab; ASP.NET would answer 500). */
    public static final class SoapFault extends Exception {
        private final String code;

        public SoapFault(String code, String message) {
            super(message, null, false, false);
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    /**
     * Answers one request.
     *
     * @param service    {@code client} or {@code simpleauth}
     * @param soapAction the SOAPAction header (quotes allowed), or null
     * @param body       the request body
     * @return the response envelope
     */
    public String handle(String service, String soapAction, byte[] body) throws SoapFault {
        String action = soapAction == null ? "" : soapAction.trim().replace("\"", "");
        String ns = "simpleauth".equals(service) ? AUTH_NS : NS;
        if (!action.startsWith(ns + "/")) {
            throw new SoapFault("Client", "Server did not recognize the value of HTTP Header SOAPAction: " + action
                    + " (expected: " + ns + "/<operation>)");
        }
        String op = action.substring(ns.length() + 1);
        Element call = operation(parse(body), op, ns);
        return switch (service + "/" + op) {
            case "client/GetConfig" -> envelope(NS, "GetConfigResponse", "<GetConfigResult>"
                    + "<LastChange>2026-11-01T00:00:00Z</LastChange><IsRegistrationRequired>false</IsRegistrationRequired>"
                    + "<AuthInfo><AuthPlugInInfo><PlugInID>SimpleTargeting</PlugInID>"
                    + "<ServiceUrl>SimpleAuthWebService/SimpleAuth.asmx</ServiceUrl><Parameter/></AuthPlugInInfo></AuthInfo>"
                    + "<AllowedEventIds/><Properties><ConfigurationProperty><Name>MaxExtendedUpdatesPerRequest</Name>"
                    + "<Value>50</Value></ConfigurationProperty><ConfigurationProperty><Name>PackageServerShare</Name>"
                    + "<Value/></ConfigurationProperty></Properties></GetConfigResult>");
            case "simpleauth/GetAuthorizationCookie" -> {
                String client = text(call, "clientId");
                if (client == null || client.isBlank()) {
                    throw new SoapFault("Client", "GetAuthorizationCookie: clientId is missing");
                }
                yield envelope(AUTH_NS, "GetAuthorizationCookieResponse", "<GetAuthorizationCookieResult>"
                        + "<PlugInId>SimpleTargeting</PlugInId><CookieData>" + cookie() + "</CookieData>"
                        + "</GetAuthorizationCookieResult>");
            }
            case "client/GetCookie" -> {
                String auth = text(call, "CookieData");
                if (auth == null) {
                    throw new SoapFault("Client", "GetCookie: authCookies/AuthorizationCookie/CookieData is missing");
                }
                check(auth, "authorization cookie");
                yield envelope(NS, "GetCookieResponse", "<GetCookieResult><Expiration>"
                        + ISO.format(clock.instant().plus(COOKIE_LIFETIME)) + "</Expiration><EncryptedData>" + cookie()
                        + "</EncryptedData></GetCookieResult>");
            }
            case "client/SyncUpdates" -> {
                String c = text(call, "EncryptedData");
                if (c == null) {
                    throw new SoapFault("Client", "SyncUpdates: cookie/EncryptedData is missing");
                }
                check(c, "cookie");
                yield envelope(NS, "SyncUpdatesResponse", "<SyncUpdatesResult><NewUpdates>" + updates()
                        + "</NewUpdates><OutOfScopeRevisionIDs/><Truncated>false</Truncated><NewCookie><Expiration>"
                        + ISO.format(clock.instant().plus(COOKIE_LIFETIME)) + "</Expiration><EncryptedData>" + cookie()
                        + "</EncryptedData></NewCookie><DriverSyncNotNeeded>true</DriverSyncNotNeeded>"
                        + "</SyncUpdatesResult>");
            }
            default -> throw new SoapFault("Client", "Server did not recognize the value of HTTP Header SOAPAction: "
                    + action + " (operations: GetConfig, GetCookie, SyncUpdates; GetAuthorizationCookie on SimpleAuth)");
        };
    }

    private static String updates() {
        StringBuilder sb = new StringBuilder();
        for (Update u : UPDATES) {
            sb.append("<UpdateInfo><ID>").append(u.revisionId()).append("</ID><Deployment><ID>").append(u.revisionId() + 1000)
                    .append("</ID><Action>Install</Action><IsAssigned>true</IsAssigned><LastChangeTime>2026-11-01"
                            + "</LastChangeTime><AutoSelect>0</AutoSelect><AutoDownload>0</AutoDownload>"
                            + "<SupersedenceBehavior>0</SupersedenceBehavior></Deployment><IsLeaf>true</IsLeaf>"
                            + "<Xml>&lt;UpdateIdentity UpdateID=\"").append(u.updateId())
                    .append("\" RevisionNumber=\"").append(u.revisionNumber())
                    .append("\" /&gt;&lt;Properties UpdateType=\"Software\" /&gt;&lt;LocalizedProperties&gt;"
                            + "&lt;Language&gt;en&lt;/Language&gt;&lt;Title&gt;")
                    .append(escape(escape(u.title()))).append("&lt;/Title&gt;&lt;/LocalizedProperties&gt;&lt;KBArticleID&gt;")
                    .append(u.kb()).append("&lt;/KBArticleID&gt;</Xml></UpdateInfo>");
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ cookies

    String cookie() {
        String exp = Long.toString(clock.instant().plus(COOKIE_LIFETIME).getEpochSecond());
        return Base64.getEncoder().encodeToString((exp + "|" + mac(exp)).getBytes(StandardCharsets.US_ASCII));
    }

    void check(String cookie, String what) throws SoapFault {
        String raw;
        try {
            raw = new String(Base64.getDecoder().decode(cookie.trim()), StandardCharsets.US_ASCII);
        } catch (IllegalArgumentException e) {
            throw new SoapFault("InvalidCookie", what + " is not base64");
        }
        int bar = raw.indexOf('|');
        if (bar < 1 || !MessageDigest.isEqual(mac(raw.substring(0, bar)).getBytes(StandardCharsets.US_ASCII),
                raw.substring(bar + 1).getBytes(StandardCharsets.US_ASCII))) {
            throw new SoapFault("InvalidCookie", what + " was not issued by this server");
        }
        long exp;
        try {
            exp = Long.parseLong(raw.substring(0, bar));
        } catch (NumberFormatException e) {
            throw new SoapFault("InvalidCookie", what + " has no expiry");
        }
        if (Instant.ofEpochSecond(exp).isBefore(clock.instant())) {
            throw new SoapFault("CookieExpired", what + " expired at " + Instant.ofEpochSecond(exp));
        }
    }

    private String mac(String s) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(key, "HmacSHA256"));
            return java.util.HexFormat.of().formatHex(m.doFinal(s.getBytes(StandardCharsets.US_ASCII)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    // ------------------------------------------------------------------ XML

    static Document parse(byte[] body) throws SoapFault {
        if (body == null || body.length == 0) {
            throw new SoapFault("Client", "empty request body (expected: a SOAP 1.1 envelope)");
        }
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(null);
            return b.parse(new ByteArrayInputStream(body));
        } catch (Exception e) {
            throw new SoapFault("Client", "malformed XML: " + e.getMessage());
        }
    }

    /** The element of {@code op} in the envelope's Body, in namespace {@code ns}. */
    static Element operation(Document doc, String op, String ns) throws SoapFault {
        Element env = doc.getDocumentElement();
        if (!"Envelope".equals(env.getLocalName()) || !SOAP_NS.equals(env.getNamespaceURI())) {
            throw new SoapFault("VersionMismatch", "not a SOAP 1.1 envelope: " + env.getNodeName());
        }
        NodeList bodies = env.getElementsByTagNameNS(SOAP_NS, "Body");
        if (bodies.getLength() != 1) {
            throw new SoapFault("Client", "the envelope has " + bodies.getLength() + " Body elements (expected: 1)");
        }
        NodeList calls = ((Element) bodies.item(0)).getElementsByTagNameNS(ns, op);
        if (calls.getLength() != 1) {
            throw new SoapFault("Client", "the Body has no " + op + " element in namespace " + ns
                    + " (the SOAPAction names " + op + ")");
        }
        return (Element) calls.item(0);
    }

    /** Text of the first descendant element with {@code localName} (any namespace), or null. */
    static String text(Element in, String localName) {
        NodeList l = in.getElementsByTagNameNS("*", localName);
        return l.getLength() == 0 ? null : l.item(0).getTextContent();
    }

    static String envelope(String ns, String element, String inner) {
        return "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"" + SOAP_NS + "\" "
                + "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">"
                + "<soap:Body><" + element + " xmlns=\"" + ns + "\">" + inner + "</" + element + "></soap:Body>"
                + "</soap:Envelope>";
    }

    /** A SOAP 1.1 fault envelope; WSUS puts its error code in {@code detail/ErrorCode}. */
    public static String fault(SoapFault f) {
        String soapCode = f.code().equals("VersionMismatch") ? "soap:VersionMismatch" : "soap:Client";
        return "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"" + SOAP_NS + "\"><soap:Body>"
                + "<soap:Fault><faultcode>" + soapCode + "</faultcode><faultstring>" + escape(f.getMessage())
                + "</faultstring><detail><ErrorCode>" + escape(f.code()) + "</ErrorCode></detail></soap:Fault>"
                + "</soap:Body></soap:Envelope>";
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
