package org.cmglab.proto.ccm;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The signatures of CcmMessaging: RSA PKCS#1 v1.5 with SHA-256, the signature bytes reversed (CryptoAPI's
 * little-endian order) and written as upper-case hex; and the CryptoAPI {@code PUBLICKEYBLOB} of the signing key.
 */
public final class CcmSignatures {
    private CcmSignatures() {}

    public static final String SHA256_RSA_OID = "1.2.840.113549.1.1.11";
    private static final HexFormat HEX = HexFormat.of().withUpperCase();

    /** {@code sign(data)} reversed, upper hex (sccmwtf {@code CryptoTools.sign(...).hex().upper()}). */
    public static String sign(PrivateKey key, byte[] data) {
        try {
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initSign(key);
            s.update(data);
            return HEX.formatHex(reverse(s.sign()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign: " + e.getMessage(), e);
        }
    }

    /** Verifies a reversed-hex signature; false for a wrong signature, bad hex or a wrong length. */
    public static boolean verify(PublicKey key, byte[] data, String reversedHex) {
        if (reversedHex == null) {
            return false;
        }
        String h = reversedHex.trim();
        if (h.isEmpty() || h.length() % 2 != 0 || h.length() > 2048 || !h.matches("[0-9A-Fa-f]+")) {
            return false;
        }
        try {
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initVerify(key);
            s.update(data);
            return s.verify(reverse(HexFormat.of().parseHex(h)));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * The CryptoAPI {@code PUBLICKEYBLOB} ({@code BLOBHEADER} 06 02 00 00 00 A4 00 00, {@code RSAPUBKEY} "RSA1",
     * bit length, public exponent, modulus little-endian) in upper hex.
     */
    public static String publicKeyBlob(RSAPublicKey key) {
        int bits = key.getModulus().bitLength();
        int bytes = (bits + 7) / 8;
        byte[] out = new byte[20 + bytes];
        byte[] head = {0x06, 0x02, 0x00, 0x00, 0x00, (byte) 0xA4, 0x00, 0x00, 'R', 'S', 'A', '1'};
        System.arraycopy(head, 0, out, 0, head.length);
        putLe32(out, 12, bytes * 8);
        putLe32(out, 16, key.getPublicExponent().intValueExact());
        byte[] n = unsigned(key.getModulus(), bytes);
        for (int i = 0; i < bytes; i++) {
            out[20 + i] = n[bytes - 1 - i];
        }
        return HEX.formatHex(out);
    }

    /** Parses a {@code PUBLICKEYBLOB} hex string back into an RSA public key. */
    public static RSAPublicKey parsePublicKeyBlob(String hex) {
        byte[] b;
        try {
            b = HexFormat.of().parseHex(hex.trim());
        } catch (IllegalArgumentException e) {
            throw new CcmFormatException(CcmFormatException.Reason.MISSING_FIELD, "PublicKey is not hex");
        }
        if (b.length < 20 || b[0] != 0x06 || b[1] != 0x02 || b[8] != 'R' || b[9] != 'S' || b[10] != 'A' || b[11] != '1') {
            throw new CcmFormatException(CcmFormatException.Reason.MISSING_FIELD,
                    "PublicKey is not a PUBLICKEYBLOB with an RSA1 key");
        }
        int bits = getLe32(b, 12);
        int bytes = bits / 8;
        if (bits <= 0 || bits > 16384 || bits % 8 != 0 || b.length != 20 + bytes) {
            throw new CcmFormatException(CcmFormatException.Reason.MISSING_FIELD,
                    "PublicKey blob of " + b.length + " bytes for " + bits + " bits");
        }
        long exp = getLe32(b, 16) & 0xFFFFFFFFL;
        byte[] be = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            be[i] = b[20 + bytes - 1 - i];
        }
        try {
            return (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(
                    new RSAPublicKeySpec(new BigInteger(1, be), BigInteger.valueOf(exp)));
        } catch (GeneralSecurityException e) {
            throw new CcmFormatException(CcmFormatException.Reason.MISSING_FIELD, "PublicKey: " + e.getMessage());
        }
    }

    /** Whether two RSA keys are the same key. */
    public static boolean sameKey(PublicKey a, PublicKey b) {
        return a instanceof RSAPublicKey ra && b instanceof RSAPublicKey rb
                && ra.getModulus().equals(rb.getModulus()) && ra.getPublicExponent().equals(rb.getPublicExponent());
    }

    public static String hex(byte[] b) {
        return HEX.formatHex(b);
    }

    public static String lowerHex(byte[] b) {
        return HEX.formatHex(b).toLowerCase(Locale.ROOT);
    }

    static byte[] reverse(byte[] in) {
        byte[] out = new byte[in.length];
        for (int i = 0; i < in.length; i++) {
            out[i] = in[in.length - 1 - i];
        }
        return out;
    }

    private static byte[] unsigned(BigInteger v, int len) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[len];
        int copy = Math.min(raw.length, len);
        System.arraycopy(raw, raw.length - copy, out, len - copy, copy);
        return out;
    }

    private static void putLe32(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
        b[at + 2] = (byte) (v >>> 16);
        b[at + 3] = (byte) (v >>> 24);
    }

    private static int getLe32(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
    }
}
