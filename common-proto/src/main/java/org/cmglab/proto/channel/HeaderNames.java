package org.cmglab.proto.channel;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * HTTP/2 forces header names to lower case; the channel carries the original spelling (e.g. {@code CCMClientID},
 * {@code CCMClientTimestampSignature}) in {@link ChannelProtocol#H2_HEADER_NAMES} so the far side restores it
 * byte for byte.
 */
public final class HeaderNames {
    private HeaderNames() {}

    /** Comma-separated distinct original names (header names never contain commas). */
    public static String encode(Iterable<String> originalNames) {
        Set<String> seen = new LinkedHashSet<>();
        for (String n : originalNames) {
            seen.add(n);
        }
        return String.join(",", seen);
    }

    /** lower-case name → original name; empty for null. */
    public static Map<String, String> decode(CharSequence encoded) {
        Map<String, String> m = new LinkedHashMap<>();
        if (encoded == null || encoded.length() == 0) {
            return m;
        }
        for (String n : encoded.toString().split(",")) {
            String t = n.trim();
            if (!t.isEmpty()) {
                m.put(t.toLowerCase(Locale.ROOT), t);
            }
        }
        return m;
    }

    /** Hop-by-hop and HTTP/2-forbidden request/response headers that never cross the channel. */
    public static boolean isHopByHop(String lowerName) {
        return switch (lowerName) {
            case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "host",
                 "trailer", "http2-settings" -> true;
            default -> false;
        };
    }
}
