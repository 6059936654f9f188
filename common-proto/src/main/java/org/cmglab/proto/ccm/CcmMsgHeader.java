package org.cmglab.proto.ccm;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The {@code <Msg>} header part of a CcmMessaging message (cmg-facts §2.3). {@link #toXml()} writes the elements in
 * the order and spelling of the public clients (sccmwtf): {@code Body, CorrelationID, Hooks, ID, Payload, Priority,
 * Protocol, ReplyMode, ReplyTo, SentTime, SourceID, SourceHost, TargetAddress, TargetEndpoint, TargetHost, Timeout};
 * null fields are left out. {@link #parse(String)} reads any order.
 *
 * @param schemaVersion     {@code SchemaVersion} attribute, e.g. {@code 1.1}
 * @param replyCompression  {@code ReplyCompression} attribute ({@code zlib}) or null
 * @param bodyLength        {@code Body/@Length}: the uncompressed body's byte length without the trailing CR LF
 * @param bodyOffset        {@code Body/@Offset}
 * @param correlationId     {@code CorrelationID}, e.g. {@code {00000000-0000-0000-0000-000000000000}}
 * @param clientAuth        Hook2 {@code clientauth} properties in order (empty: no Hook2)
 * @param zlibCompressed    Hook3 {@code zlib-compress} present: the body part is zlib-compressed
 * @param id                {@code ID}, e.g. {@code {5DD100CD-...}}
 * @param replyTo           {@code ReplyTo}, e.g. {@code direct:CLIENT01:SccmMessaging}
 * @param sentTime          {@code SentTime}, e.g. {@code 2026-01-01T00:00:00Z}
 * @param sourceId          {@code SourceID}, e.g. {@code GUID:...} (absent before registration)
 * @param sourceHost        {@code SourceHost}
 * @param targetAddress     {@code TargetAddress}, e.g. {@code mp:MP_ClientRegistration}
 * @param targetEndpoint    {@code TargetEndpoint}, e.g. {@code MP_ClientRegistration}
 * @param targetHost        {@code TargetHost}
 * @param timeout           {@code Timeout} in ms
 */
public record CcmMsgHeader(String schemaVersion, String replyCompression, Long bodyLength, long bodyOffset,
                           String correlationId, Map<String, String> clientAuth, boolean zlibCompressed, String id,
                           String replyTo, String sentTime, String sourceId, String sourceHost, String targetAddress,
                           String targetEndpoint, String targetHost, Long timeout) {

    public static final String NULL_CORRELATION = "{00000000-0000-0000-0000-000000000000}";

    public CcmMsgHeader {
        clientAuth = Collections.unmodifiableMap(new LinkedHashMap<>(clientAuth == null ? Map.of() : clientAuth));
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.schemaVersion = schemaVersion;
        b.replyCompression = replyCompression;
        b.bodyLength = bodyLength;
        b.bodyOffset = bodyOffset;
        b.correlationId = correlationId;
        b.clientAuth.putAll(clientAuth);
        b.zlibCompressed = zlibCompressed;
        b.id = id;
        b.replyTo = replyTo;
        b.sentTime = sentTime;
        b.sourceId = sourceId;
        b.sourceHost = sourceHost;
        b.targetAddress = targetAddress;
        b.targetEndpoint = targetEndpoint;
        b.targetHost = targetHost;
        b.timeout = timeout;
        return b;
    }

    /** The header XML (no declaration, no whitespace), as it goes into the UTF-16 header part. */
    public String toXml() {
        StringBuilder s = new StringBuilder(512);
        s.append("<Msg");
        if (replyCompression != null) {
            s.append(" ReplyCompression=\"").append(SafeXml.esc(replyCompression)).append('"');
        }
        s.append(" SchemaVersion=\"").append(SafeXml.esc(schemaVersion == null ? "1.1" : schemaVersion)).append("\">");
        if (bodyLength != null) {
            s.append("<Body Type=\"ByteRange\" Length=\"").append(bodyLength).append("\" Offset=\"").append(bodyOffset)
                    .append("\" />");
        }
        el(s, "CorrelationID", correlationId);
        if (!clientAuth.isEmpty() || zlibCompressed) {
            s.append("<Hooks>");
            if (!clientAuth.isEmpty()) {
                s.append("<Hook2 Name=\"clientauth\">");
                clientAuth.forEach((k, v) -> {
                    s.append("<Property Name=\"").append(SafeXml.esc(k)).append("\">");
                    if ("Token".equals(k)) {
                        s.append("<![CDATA[").append(v.replace("]]>", "]]]]><![CDATA[>")).append("]]>");
                    } else {
                        s.append(SafeXml.esc(v));
                    }
                    s.append("</Property>");
                });
                s.append("</Hook2>");
            }
            if (zlibCompressed) {
                s.append("<Hook3 Name=\"zlib-compress\" />");
            }
            s.append("</Hooks>");
        }
        el(s, "ID", id);
        s.append("<Payload Type=\"inline\" />");
        s.append("<Priority>0</Priority><Protocol>http</Protocol><ReplyMode>Sync</ReplyMode>");
        el(s, "ReplyTo", replyTo);
        el(s, "SentTime", sentTime);
        el(s, "SourceID", sourceId);
        el(s, "SourceHost", sourceHost);
        el(s, "TargetAddress", targetAddress);
        el(s, "TargetEndpoint", targetEndpoint);
        el(s, "TargetHost", targetHost);
        if (timeout != null) {
            el(s, "Timeout", Long.toString(timeout));
        }
        return s.append("</Msg>").toString();
    }

    private static void el(StringBuilder s, String name, String v) {
        if (v != null) {
            s.append('<').append(name).append('>').append(SafeXml.esc(v)).append("</").append(name).append('>');
        }
    }

    /** Parses the header XML (XXE-safe); {@code Msg} must be the root. */
    public static CcmMsgHeader parse(String xml) {
        Document d = SafeXml.parse(xml);
        Element msg = d.getDocumentElement();
        if (!"Msg".equals(msg.getTagName())) {
            throw new CcmFormatException(CcmFormatException.Reason.MISSING_FIELD,
                    "header root <" + msg.getTagName() + "> (expected: <Msg>)");
        }
        Builder b = builder();
        b.schemaVersion = attr(msg, "SchemaVersion");
        b.replyCompression = attr(msg, "ReplyCompression");
        Element body = SafeXml.child(msg, "Body");
        if (body != null) {
            b.bodyLength = parseLong(attr(body, "Length"), "Body/@Length");
            Long off = parseLong(attr(body, "Offset"), "Body/@Offset");
            b.bodyOffset = off == null ? 0 : off;
        }
        b.correlationId = SafeXml.childText(msg, "CorrelationID");
        Element hooks = SafeXml.child(msg, "Hooks");
        if (hooks != null) {
            for (Node n = hooks.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (!(n instanceof Element h)) {
                    continue;
                }
                String name = h.getAttribute("Name");
                if ("zlib-compress".equalsIgnoreCase(name)) {
                    b.zlibCompressed = true;
                } else if ("clientauth".equalsIgnoreCase(name)) {
                    for (Node p = h.getFirstChild(); p != null; p = p.getNextSibling()) {
                        if (p instanceof Element pe && "Property".equals(pe.getTagName())) {
                            b.clientAuth.put(pe.getAttribute("Name"), pe.getTextContent());
                        }
                    }
                }
            }
        }
        b.id = SafeXml.childText(msg, "ID");
        b.replyTo = SafeXml.childText(msg, "ReplyTo");
        b.sentTime = SafeXml.childText(msg, "SentTime");
        b.sourceId = SafeXml.childText(msg, "SourceID");
        b.sourceHost = SafeXml.childText(msg, "SourceHost");
        b.targetAddress = SafeXml.childText(msg, "TargetAddress");
        b.targetEndpoint = SafeXml.childText(msg, "TargetEndpoint");
        b.targetHost = SafeXml.childText(msg, "TargetHost");
        b.timeout = parseLong(SafeXml.childText(msg, "Timeout"), "Timeout");
        return b.build();
    }

    /**
     * The endpoint the message is for: {@code TargetEndpoint}, else the part of {@code TargetAddress} after
     * {@code mp:} and an optional {@code [http]} (as in {@code mp:[http]MP_LocationManager}).
     */
    public String endpoint() {
        if (targetEndpoint != null && !targetEndpoint.isBlank()) {
            return targetEndpoint;
        }
        if (targetAddress == null) {
            return null;
        }
        String a = targetAddress;
        int colon = a.indexOf(':');
        a = colon >= 0 ? a.substring(colon + 1) : a;
        if (a.startsWith("[")) {
            int end = a.indexOf(']');
            a = end >= 0 ? a.substring(end + 1) : a;
        }
        return a.isBlank() ? null : a;
    }

    private static String attr(Element e, String name) {
        return e.hasAttribute(name) ? e.getAttribute(name) : null;
    }

    private static Long parseLong(String v, String what) {
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            long l = Long.parseLong(v.trim());
            if (l < 0) {
                throw new NumberFormatException("negative");
            }
            return l;
        } catch (NumberFormatException e) {
            throw new CcmFormatException(CcmFormatException.Reason.MISSING_FIELD, what + " = " + v
                    + " (expected: a non-negative integer)");
        }
    }

    /** Mutable builder; {@link #build()} copies. */
    public static final class Builder {
        private String schemaVersion = "1.1";
        private String replyCompression;
        private Long bodyLength;
        private long bodyOffset;
        private String correlationId = NULL_CORRELATION;
        private final Map<String, String> clientAuth = new LinkedHashMap<>();
        private boolean zlibCompressed;
        private String id;
        private String replyTo;
        private String sentTime;
        private String sourceId;
        private String sourceHost;
        private String targetAddress;
        private String targetEndpoint;
        private String targetHost;
        private Long timeout = 60000L;

        public Builder schemaVersion(String v) { schemaVersion = v; return this; }
        public Builder replyCompression(String v) { replyCompression = v; return this; }
        public Builder body(long length, long offset) { bodyLength = length; bodyOffset = offset; return this; }
        public Builder correlationId(String v) { correlationId = v; return this; }
        public Builder clientAuth(String name, String value) {
            clientAuth.put(Objects.requireNonNull(name), Objects.requireNonNull(value, name));
            return this;
        }
        public Builder zlibCompressed(boolean v) { zlibCompressed = v; return this; }
        public Builder id(String v) { id = v; return this; }
        public Builder replyTo(String v) { replyTo = v; return this; }
        public Builder sentTime(String v) { sentTime = v; return this; }
        public Builder sourceId(String v) { sourceId = v; return this; }
        public Builder sourceHost(String v) { sourceHost = v; return this; }
        /** Sets {@code TargetEndpoint} and {@code TargetAddress mp:<endpoint>}. */
        public Builder target(String endpoint) {
            targetEndpoint = endpoint;
            targetAddress = "mp:" + endpoint;
            return this;
        }
        public Builder targetAddress(String v) { targetAddress = v; return this; }
        public Builder targetEndpoint(String v) { targetEndpoint = v; return this; }
        public Builder targetHost(String v) { targetHost = v; return this; }
        public Builder timeout(Long v) { timeout = v; return this; }

        public CcmMsgHeader build() {
            return new CcmMsgHeader(schemaVersion, replyCompression, bodyLength, bodyOffset, correlationId,
                    clientAuth, zlibCompressed, id, replyTo, sentTime, sourceId, sourceHost, targetAddress,
                    targetEndpoint, targetHost, timeout);
        }
    }
}
