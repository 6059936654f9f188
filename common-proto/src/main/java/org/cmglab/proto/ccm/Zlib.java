package org.cmglab.proto.ccm;

import java.io.ByteArrayOutputStream;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/** zlib (RFC 1950: deflate with the zlib header and Adler-32) as Hook3 {@code zlib-compress} and the replies use. */
public final class Zlib {
    private Zlib() {}

    /** Python's {@code zlib.compress(data)} (level 6 is zlib's default, header {@code 78 9C}). */
    public static byte[] compress(byte[] data) {
        Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION);
        try {
            d.setInput(data);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, data.length / 2));
            byte[] buf = new byte[8192];
            while (!d.finished()) {
                int n = d.deflate(buf);
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    /**
     * Inflates a complete zlib stream.
     *
     * @param maxOut the decompressed-size cap; more output is a zlib bomb
     * @throws CcmFormatException {@code BAD_ZLIB} for a broken or truncated stream, {@code ZLIB_BOMB} past the cap
     */
    public static byte[] decompress(byte[] data, int maxOut) {
        Inflater inf = new Inflater();
        try {
            inf.setInput(data);
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(maxOut, Math.max(256, data.length * 4)));
            byte[] buf = new byte[8192];
            int loops = 0;
            while (!inf.finished()) {
                if (++loops > (long) maxOut + 1024) {
                    throw new CcmFormatException(CcmFormatException.Reason.BAD_ZLIB, "zlib stream makes no progress");
                }
                int n = inf.inflate(buf);
                if (n == 0) {
                    if (inf.needsInput()) {
                        throw new CcmFormatException(CcmFormatException.Reason.BAD_ZLIB,
                                "truncated zlib stream (" + data.length + " bytes)");
                    }
                    if (inf.needsDictionary()) {
                        throw new CcmFormatException(CcmFormatException.Reason.BAD_ZLIB,
                                "zlib stream needs a preset dictionary");
                    }
                }
                if (out.size() + n > maxOut) {
                    throw new CcmFormatException(CcmFormatException.Reason.ZLIB_BOMB,
                            "zlib body inflates beyond " + maxOut + " bytes (" + data.length + " compressed)");
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw new CcmFormatException(CcmFormatException.Reason.BAD_ZLIB, "not a zlib stream: " + e.getMessage(), e);
        } finally {
            inf.end();
        }
    }
}
