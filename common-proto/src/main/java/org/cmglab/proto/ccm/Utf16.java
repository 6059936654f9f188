package org.cmglab.proto.ccm;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** UTF-16 as CcmMessaging uses it: little-endian, with a BOM in the header part, without one in bodies. */
public final class Utf16 {
    private Utf16() {}

    /** UTF-16LE preceded by the BOM {@code FF FE} (Python's {@code str.encode('utf-16')} on x86). */
    public static byte[] withBom(String s) {
        byte[] le = s.getBytes(StandardCharsets.UTF_16LE);
        byte[] out = new byte[le.length + 2];
        out[0] = (byte) 0xFF;
        out[1] = (byte) 0xFE;
        System.arraycopy(le, 0, out, 2, le.length);
        return out;
    }

    /** UTF-16LE without BOM. */
    public static byte[] le(String s) {
        return s.getBytes(StandardCharsets.UTF_16LE);
    }

    /** UTF-16LE of {@code s} followed by the two-byte NUL terminator: what the CCM signatures sign. */
    public static byte[] leNul(String s) {
        byte[] le = le(s);
        byte[] out = new byte[le.length + 2];
        System.arraycopy(le, 0, out, 0, le.length);
        return out;
    }

    /**
     * Strictly decodes UTF-16: a leading BOM ({@code FF FE} little-, {@code FE FF} big-endian) is honoured and
     * dropped, no BOM means little-endian; odd lengths and unpaired surrogates are refused.
     */
    public static String decode(byte[] b, int off, int len) {
        if (len % 2 != 0) {
            throw new CcmFormatException(CcmFormatException.Reason.BAD_UTF16,
                    "UTF-16 text of odd length " + len + " bytes");
        }
        java.nio.charset.Charset cs = StandardCharsets.UTF_16LE;
        if (len >= 2 && (b[off] & 0xFF) == 0xFF && (b[off + 1] & 0xFF) == 0xFE) {
            off += 2;
            len -= 2;
        } else if (len >= 2 && (b[off] & 0xFF) == 0xFE && (b[off + 1] & 0xFF) == 0xFF) {
            off += 2;
            len -= 2;
            cs = StandardCharsets.UTF_16BE;
        }
        try {
            return cs.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b, off, len)).toString();
        } catch (CharacterCodingException e) {
            throw new CcmFormatException(CcmFormatException.Reason.BAD_UTF16, "not UTF-16: " + e, e);
        }
    }

    public static String decode(byte[] b) {
        return decode(b, 0, b.length);
    }

    /** {@code s} without trailing NUL characters (bodies end with {@code \0}, sometimes also CR LF). */
    public static String stripTerminator(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == '\0' || s.charAt(end - 1) == '\r' || s.charAt(end - 1) == '\n'
                || s.charAt(end - 1) == '\u0a0d')) {
            end--;
        }
        return s.substring(0, end);
    }
}
