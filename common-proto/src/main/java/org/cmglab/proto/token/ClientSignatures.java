package org.cmglab.proto.token;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.HexFormat;

/**
 * The client's {@code CCMClientIDSignature} / {@code CCMClientTimestampSignature} (docs/client-auth.md, "Message
 * signing"): RSA-SHA256 PKCS#1 v1.5 over UTF-16LE(value) + {@code 00 00}, output byte-reversed (CryptoAPI order),
 * upper-case hex.
 */
public final class ClientSignatures {
    private ClientSignatures() {}

    /** The signature header value for {@code value}. */
    public static String sign(PrivateKey key, String value) {
        try {
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initSign(key);
            s.update(signedBytes(value));
            return HexFormat.of().withUpperCase().formatHex(reverse(s.sign()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign with the client's key: " + e.getMessage(), e);
        }
    }

    /** Whether {@code hexSignature} is a valid signature of {@code value} by {@code key}; false for bad hex. */
    public static boolean verify(PublicKey key, String value, String hexSignature) {
        if (value == null || hexSignature == null) {
            return false;
        }
        try {
            byte[] sig = reverse(HexFormat.of().parseHex(hexSignature.trim()));
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initVerify(key);
            s.update(signedBytes(value));
            return s.verify(sig);
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            return false;
        }
    }

    /** UTF-16LE(value) followed by the two-byte terminator. */
    static byte[] signedBytes(String value) {
        byte[] b = value.getBytes(StandardCharsets.UTF_16LE);
        byte[] out = new byte[b.length + 2];
        System.arraycopy(b, 0, out, 0, b.length);
        return out;
    }

    private static byte[] reverse(byte[] b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[b.length - 1 - i];
        }
        return r;
    }
}
