package org.cmglab.proto.flow;

import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * W3C Trace Context ({@code traceparent}) helpers. The lab ties the hops of one client request together with
 * the standard header, which real proxies and IIS pass through untouched; the CMG starts a trace when the
 * client did not send one.
 */
public final class TraceContext {
    public static final String HEADER = "traceparent";
    private static final Pattern VALID = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}");
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private TraceContext() {}

    /** The trace id of a valid {@code traceparent} value, or null. */
    public static String traceId(String traceparent) {
        if (traceparent == null) {
            return null;
        }
        var m = VALID.matcher(traceparent.trim());
        return m.matches() && !m.group(1).equals("0".repeat(32)) ? m.group(1) : null;
    }

    public static String newTraceId() {
        return hex(16);
    }

    /** A new {@code traceparent} value in trace {@code traceId} with a fresh span id. */
    public static String traceparent(String traceId) {
        return "00-" + traceId + "-" + hex(8) + "-01";
    }

    private static String hex(int bytes) {
        char[] out = new char[bytes * 2];
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int i = 0; i < bytes; i++) {
            int b = r.nextInt(256);
            out[2 * i] = HEX[b >>> 4];
            out[2 * i + 1] = HEX[b & 15];
        }
        return new String(out);
    }
}
