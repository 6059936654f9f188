package org.cmglab.proto.ccm;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code multipart/mixed} framing of CcmMessaging, byte for byte as the public clients write it (sccmwtf,
 * SCCMSecrets): {@code --B CRLF content-type: T CRLF CRLF <bytes>} for the first part, {@code CRLF --B CRLF ...}
 * between parts and {@code CRLF --B--} at the end (no trailing CRLF). The parser accepts any boundary from the
 * Content-Type header, quoted or not, a preamble, several part headers, LF-only header lines and a trailing CRLF.
 */
public final class CcmMultipart {
    /** The boundary every ConfigMgr client and the product's replies use. */
    public static final String BOUNDARY = "aAbBcCdDv1234567890VxXyYzZ";
    public static final String CONTENT_TYPE = "multipart/mixed; boundary=\"" + BOUNDARY + "\"";
    public static final String HEADER_TYPE = "text/plain; charset=UTF-16";
    public static final String BODY_TYPE = "application/octet-stream";

    static final int MAX_PARTS = 16;
    static final int MAX_PART_HEADER_BYTES = 2048;

    private CcmMultipart() {}

    /** One part: its {@code content-type} and its bytes exactly as on the wire. */
    public record Part(String contentType, byte[] body) {
        public Part {
            Objects.requireNonNull(contentType, "contentType");
            Objects.requireNonNull(body, "body");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Part p && p.contentType.equals(contentType) && Arrays.equals(p.body, body);
        }

        @Override
        public int hashCode() {
            return contentType.hashCode() * 31 + Arrays.hashCode(body);
        }

        @Override
        public String toString() {
            return "Part[" + contentType + ", " + body.length + " bytes]";
        }
    }

    /** Encodes the parts with {@link #BOUNDARY}. */
    public static byte[] encode(List<Part> parts) {
        return encode(BOUNDARY, parts);
    }

    public static byte[] encode(String boundary, List<Part> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean first = true;
        for (Part p : parts) {
            String head = (first ? "" : "\r\n") + "--" + boundary + "\r\ncontent-type: " + p.contentType() + "\r\n\r\n";
            out.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(p.body());
            first = false;
        }
        out.writeBytes(("\r\n--" + boundary + "--").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** The {@code boundary} parameter of a {@code multipart/*} Content-Type. */
    public static String boundary(String contentType) {
        if (contentType == null) {
            throw malformed("no Content-Type (expected: multipart/mixed; boundary=...)");
        }
        String lower = contentType.toLowerCase(Locale.ROOT);
        if (!lower.trim().startsWith("multipart/")) {
            throw malformed("Content-Type " + contentType + " (expected: multipart/mixed)");
        }
        int i = lower.indexOf("boundary=");
        if (i < 0) {
            throw malformed("Content-Type " + contentType + " has no boundary");
        }
        String b = contentType.substring(i + "boundary=".length()).trim();
        if (b.startsWith("\"")) {
            int end = b.indexOf('"', 1);
            if (end < 0) {
                throw malformed("unterminated quoted boundary in " + contentType);
            }
            b = b.substring(1, end);
        } else {
            int end = b.indexOf(';');
            b = (end >= 0 ? b.substring(0, end) : b).trim();
        }
        if (b.isEmpty() || b.length() > 70) {
            throw malformed("boundary of " + b.length() + " characters (expected: 1..70)");
        }
        return b;
    }

    /** Parses a body framed with the boundary of {@code contentType}. */
    public static List<Part> parse(String contentType, byte[] body) {
        return parseWithBoundary(boundary(contentType), body);
    }

    public static List<Part> parseWithBoundary(String boundary, byte[] body) {
        byte[] delim = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        int pos = indexOf(body, delim, 0);
        if (pos < 0 || (pos > 0 && body[pos - 1] != '\n')) {
            throw malformed("no opening delimiter --" + boundary);
        }
        List<Part> parts = new ArrayList<>();
        while (true) {
            int after = pos + delim.length;
            if (startsWith(body, after, "--")) {
                break; // closing delimiter
            }
            // the rest of the delimiter line: optional whitespace then CRLF or LF
            int eol = after;
            while (eol < body.length && (body[eol] == ' ' || body[eol] == '\t')) {
                eol++;
            }
            if (startsWith(body, eol, "\r\n")) {
                eol += 2;
            } else if (eol < body.length && body[eol] == '\n') {
                eol += 1;
            } else {
                throw malformed(eol >= body.length ? "missing closing delimiter --" + boundary + "--"
                        : "garbage after delimiter at byte " + after);
            }
            if (parts.size() >= MAX_PARTS) {
                throw malformed("more than " + MAX_PARTS + " parts");
            }
            // headers
            Map<String, String> headers = new LinkedHashMap<>();
            int h = eol;
            while (true) {
                int lineEnd = indexOf(body, new byte[] {'\n'}, h);
                if (lineEnd < 0 || lineEnd - eol > MAX_PART_HEADER_BYTES) {
                    throw malformed("part headers not terminated within " + MAX_PART_HEADER_BYTES + " bytes");
                }
                int contentEnd = lineEnd > h && body[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
                String line = new String(body, h, contentEnd - h, StandardCharsets.ISO_8859_1);
                h = lineEnd + 1;
                if (line.isEmpty()) {
                    break;
                }
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    throw malformed("bad part header line: " + abbreviate(line));
                }
                headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
            int next = indexOf(body, delim, h);
            while (next >= 0 && !(next >= 1 && body[next - 1] == '\n')) {
                next = indexOf(body, delim, next + 1);
            }
            if (next < 0) {
                throw malformed("missing closing delimiter --" + boundary + "--");
            }
            int end = next - 1;
            if (end > h && body[end - 1] == '\r') {
                end--;
            }
            if (end < h) {
                end = h;
            }
            parts.add(new Part(headers.getOrDefault("content-type", ""), Arrays.copyOfRange(body, h, end)));
            pos = next;
        }
        if (parts.isEmpty()) {
            throw malformed("no parts");
        }
        return parts;
    }

    static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = Math.max(0, from); i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static boolean startsWith(byte[] b, int at, String s) {
        if (at + s.length() > b.length) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (b[at + i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }

    private static CcmFormatException malformed(String why) {
        return new CcmFormatException(CcmFormatException.Reason.MALFORMED_MULTIPART, why);
    }
}
