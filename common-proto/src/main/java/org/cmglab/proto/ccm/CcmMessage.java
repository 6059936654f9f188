package org.cmglab.proto.ccm;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A decoded CcmMessaging message.
 *
 * @param header     the {@code <Msg>} header
 * @param bodyOnWire the {@code application/octet-stream} part exactly as received (what {@code PayloadSignature} signs)
 * @param bodyPlain  the uncompressed body, cut to {@code Body/@Offset}+{@code @Length} when those fit
 * @param bodyXml    {@code bodyPlain} decoded from UTF-16, trailing NUL / CR LF removed
 */
public record CcmMessage(CcmMsgHeader header, byte[] bodyOnWire, byte[] bodyPlain, String bodyXml) {

    /** Size limits for {@link #decode}. */
    public record Limits(int maxMessageBytes, int maxInflatedBytes, int maxHeaderBytes) {
        /** 1 MiB on the wire, 8 MiB inflated, 64 KiB header part. */
        public static final Limits DEFAULT = new Limits(1 << 20, 8 << 20, 64 << 10);
    }

    public CcmMessage {
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(bodyOnWire, "bodyOnWire");
        Objects.requireNonNull(bodyPlain, "bodyPlain");
        Objects.requireNonNull(bodyXml, "bodyXml");
    }

    /**
     * The uncompressed body bytes of a message: UTF-16LE of {@code xml}, the NUL terminator ({@code 00 00}) and an
     * ASCII CR LF, as sccmwtf writes them ({@code Body/@Length} is this length minus 2).
     */
    public static byte[] plainBody(String xml) {
        byte[] x = Utf16.leNul(xml);
        byte[] out = new byte[x.length + 2];
        System.arraycopy(x, 0, out, 0, x.length);
        out[x.length] = '\r';
        out[x.length + 1] = '\n';
        return out;
    }

    /**
     * Frames a message: header part {@code text/plain; charset=UTF-16} (UTF-16LE with BOM), body part
     * {@code application/octet-stream}. The header must already carry {@code Body/@Length} and the Hook3 flag that
     * match {@code bodyOnWire}.
     */
    public static byte[] frame(CcmMsgHeader header, byte[] bodyOnWire) {
        return CcmMultipart.encode(List.of(
                new CcmMultipart.Part(CcmMultipart.HEADER_TYPE, Utf16.withBom(header.toXml())),
                new CcmMultipart.Part(CcmMultipart.BODY_TYPE, bodyOnWire)));
    }

    /** Decodes a CcmMessaging request or reply body framed with the boundary of {@code contentType}. */
    public static CcmMessage decode(String contentType, byte[] bytes, Limits limits) {
        if (bytes.length > limits.maxMessageBytes()) {
            throw new CcmFormatException(CcmFormatException.Reason.TOO_LARGE,
                    "message of " + bytes.length + " bytes (limit " + limits.maxMessageBytes() + ")");
        }
        List<CcmMultipart.Part> parts = CcmMultipart.parse(contentType, bytes);
        CcmMultipart.Part head = null;
        CcmMultipart.Part body = null;
        for (CcmMultipart.Part p : parts) {
            String t = p.contentType().toLowerCase(Locale.ROOT);
            if (head == null && t.startsWith("text/plain")) {
                head = p;
            } else if (body == null && t.startsWith("application/octet-stream")) {
                body = p;
            }
        }
        if (head == null) {
            throw new CcmFormatException(CcmFormatException.Reason.MALFORMED_MULTIPART,
                    "no text/plain header part among " + parts);
        }
        if (head.body().length > limits.maxHeaderBytes()) {
            throw new CcmFormatException(CcmFormatException.Reason.TOO_LARGE,
                    "header part of " + head.body().length + " bytes (limit " + limits.maxHeaderBytes() + ")");
        }
        CcmMsgHeader header = CcmMsgHeader.parse(Utf16.decode(head.body()));
        byte[] onWire = body == null ? new byte[0] : body.body();
        byte[] plain = onWire;
        if (header.zlibCompressed()) {
            plain = Zlib.decompress(onWire, limits.maxInflatedBytes());
        } else if (onWire.length > limits.maxInflatedBytes()) {
            throw new CcmFormatException(CcmFormatException.Reason.TOO_LARGE, "body of " + onWire.length + " bytes");
        }
        byte[] cut = plain;
        Long len = header.bodyLength();
        if (len != null && header.bodyOffset() + len <= plain.length && len > 0) {
            cut = java.util.Arrays.copyOfRange(plain, (int) header.bodyOffset(), (int) (header.bodyOffset() + len));
        }
        String xml = cut.length == 0 ? "" : Utf16.stripTerminator(decodeBody(cut));
        return new CcmMessage(header, onWire, cut, xml);
    }

    private static String decodeBody(byte[] b) {
        // an odd length happens when a client counts the CR LF differently; drop one byte of the terminator
        if (b.length % 2 != 0 && (b[b.length - 1] == '\n' || b[b.length - 1] == 0 || b[b.length - 1] == '\r')) {
            return Utf16.decode(b, 0, b.length - 1);
        }
        return Utf16.decode(b);
    }

    /** A zlib header: CMF 0x78 and (CMF*256+FLG) % 31 == 0. */
    static boolean looksLikeZlib(byte[] b) {
        return b.length >= 2 && (b[0] & 0xFF) == 0x78 && (((b[0] & 0xFF) << 8) | (b[1] & 0xFF)) % 31 == 0;
    }

    /**
     * The exact UTF-16LE bytes of the first {@code <name ...>...</name>} element of the body as received (what the
     * registration signature signs), or null when the body has no such element.
     */
    public byte[] elementBytes(String name) {
        int bom = bodyPlain.length >= 2 && (bodyPlain[0] & 0xFF) == 0xFF && (bodyPlain[1] & 0xFF) == 0xFE ? 2 : 0;
        String text = bodyXml.startsWith("\uFEFF") ? bodyXml.substring(1) : bodyXml;
        int start = text.indexOf("<" + name);
        while (start >= 0 && start + name.length() + 1 < text.length()
                && Character.isLetterOrDigit(text.charAt(start + name.length() + 1))) {
            start = text.indexOf("<" + name, start + 1);
        }
        String close = "</" + name + ">";
        int end = start < 0 ? -1 : text.indexOf(close, start);
        if (start < 0 || end < 0) {
            return null;
        }
        end += close.length();
        int from = bom + start * 2;
        int to = bom + end * 2;
        if (to > bodyPlain.length) {
            return null;
        }
        return java.util.Arrays.copyOfRange(bodyPlain, from, to);
    }

    /** The body's XML as UTF-8 for logs (abbreviated). */
    public String bodyForLog(int max) {
        return bodyXml.length() <= max ? bodyXml : bodyXml.substring(0, max) + "...";
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
