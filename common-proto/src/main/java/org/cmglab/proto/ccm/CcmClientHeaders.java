package org.cmglab.proto.ccm;

import java.security.PrivateKey;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The identity headers a client adds to its HTTP requests (cmg-facts §2.5, §3.5): {@code CCMClientID},
 * {@code CCMClientIDSignature}, {@code CCMClientTimestamp}, {@code CCMClientTimestampSignature}; and for secret
 * policies {@code ClientToken: GUID:<id>;<timestamp>;2} with {@code ClientTokenSignature}. Every signature is
 * {@link CcmSignatures#sign} over UTF-16LE(value) + {@code 00 00}.
 */
public final class CcmClientHeaders {
    private CcmClientHeaders() {}

    public static final String CCM_CLIENT_ID = "CCMClientID";
    public static final String CCM_CLIENT_ID_SIGNATURE = "CCMClientIDSignature";
    public static final String CCM_CLIENT_TIMESTAMP = "CCMClientTimestamp";
    public static final String CCM_CLIENT_TIMESTAMP_SIGNATURE = "CCMClientTimestampSignature";
    /** The spelling of the product documentation (network-device allow lists). */
    public static final String CCM_CLIENT_TIMESTAMPS_SIGNATURE = "CCMClientTimestampsSignature";
    public static final String CLIENT_TOKEN = "ClientToken";
    public static final String CLIENT_TOKEN_SIGNATURE = "ClientTokenSignature";

    /** {@code yyyy-MM-ddTHH:mm:ssZ}, UTC, seconds precision. */
    public static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

    public static String timestamp(Instant t) {
        return TIMESTAMP.format(t.truncatedTo(ChronoUnit.SECONDS));
    }

    /** The four {@code CCMClient*} headers for {@code clientId} (e.g. {@code GUID:<SMSID>}) at {@code now}. */
    public static Map<String, String> ccmClient(String clientId, PrivateKey key, Instant now) {
        String ts = timestamp(now);
        Map<String, String> h = new LinkedHashMap<>();
        h.put(CCM_CLIENT_ID, clientId);
        h.put(CCM_CLIENT_ID_SIGNATURE, CcmSignatures.sign(key, Utf16.leNul(clientId)));
        h.put(CCM_CLIENT_TIMESTAMP, ts);
        h.put(CCM_CLIENT_TIMESTAMP_SIGNATURE, CcmSignatures.sign(key, Utf16.leNul(ts)));
        return h;
    }

    /** {@code ClientToken: GUID:<smsId>;<timestamp>;2} and its signature ({@code smsId} with or without GUID:). */
    public static Map<String, String> clientToken(String smsId, PrivateKey key, Instant now) {
        String id = smsId.regionMatches(true, 0, "GUID:", 0, 5) ? smsId.substring(5) : smsId;
        String token = "GUID:" + id + ";" + timestamp(now) + ";2";
        Map<String, String> h = new LinkedHashMap<>();
        h.put(CLIENT_TOKEN, token);
        h.put(CLIENT_TOKEN_SIGNATURE, CcmSignatures.sign(key, Utf16.leNul(token)));
        return h;
    }
}
