package org.cmglab.site.mp;

import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code BITS_POST /CCM_Incoming/<file>}: the server side of the BITS upload protocol (cmg-facts §8, [MS-BPAU]) —
 * {@code Ping}, {@code Create-Session} (answers {@code BITS-Protocol} and a new {@code BITS-Session-Id}),
 * {@code Fragment} ({@code Content-Range: bytes a-b/total}, contiguous; answers {@code BITS-Received-Content-Range}),
 * {@code Close-Session}, {@code Cancel-Session}. Every reply carries {@code BITS-Packet-Type: Ack}; errors add
 * {@code BITS-Error-Code} and {@code BITS-Error-Context}.
 *
 * <p>Uploads are not stored: a session keeps its byte count and a running SHA-256, which {@code Close-Session}
 * returns in the lab's {@code X-CMGLab-Upload-SHA256} header so tests can show the body arrived intact. At most
 * {@value #MAX_SESSIONS} sessions and {@value #MAX_UPLOAD} bytes per upload.
 */
final class BitsUploadHandler {
    private static final Logger log = LoggerFactory.getLogger(BitsUploadHandler.class);
    static final String PREFIX = "/ccm_incoming/";
    static final String PROTOCOL = "{7df0354d-249b-430f-820d-3d2a9bef4931}";
    static final int MAX_SESSIONS = 256;
    static final long MAX_UPLOAD = 64L << 20;
    static final String E_INVALIDARG = "0x80070057";
    static final String E_NOT_FOUND = "0x80070002";
    static final String E_PROTOCOL = "0x8020003E";
    private static final Pattern FILE = Pattern.compile("[a-z0-9._{}-]{1,128}");
    private static final Pattern RANGE = Pattern.compile("bytes (\\d{1,12})-(\\d{1,12})/(\\d{1,12})");

    private final Map<String, Session> sessions = new ConcurrentHashMap<>();

    /** One upload: what was received so far. Guarded by itself. */
    static final class Session {
        final String file;
        final MessageDigest digest;
        long received;
        long total = -1;

        Session(String file) {
            this.file = file;
            try {
                this.digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    FullHttpResponse handle(FullHttpRequest req, String path) {
        String file = path.substring(PREFIX.length());
        if (!FILE.matcher(file).matches() || file.contains("..")) {
            return error(HttpResponseStatus.BAD_REQUEST, E_INVALIDARG, "upload target " + file
                    + " (expected: a file name under /CCM_Incoming/, no folders)");
        }
        String type = req.headers().get("BITS-Packet-Type", "");
        String id = req.headers().get("BITS-Session-Id");
        switch (type.toLowerCase(Locale.ROOT)) {
            case "ping":
                return ack();
            case "create-session": {
                String supported = req.headers().get("BITS-Supported-Protocols", "");
                if (!supported.toLowerCase(Locale.ROOT).contains(PROTOCOL)) {
                    return error(HttpResponseStatus.BAD_REQUEST, E_PROTOCOL, "BITS-Supported-Protocols " + supported
                            + " (expected: " + PROTOCOL + ")");
                }
                if (sessions.size() >= MAX_SESSIONS) {
                    return error(HttpResponseStatus.SERVICE_UNAVAILABLE, "0x80070008", "too many open upload sessions ("
                            + MAX_SESSIONS + ")");
                }
                String sid = "{" + UUID.randomUUID() + "}";
                sessions.put(sid, new Session(file));
                log.info("BITS upload session {} created for /CCM_Incoming/{}", sid, file);
                FullHttpResponse r = ack();
                r.headers().set("BITS-Protocol", PROTOCOL).set("BITS-Session-Id", sid).set("Accept-Encoding", "Identity");
                return r;
            }
            case "fragment":
                return fragment(req, id, file);
            case "close-session": {
                Session s = id == null ? null : sessions.remove(id);
                if (s == null) {
                    return error(HttpResponseStatus.BAD_REQUEST, E_NOT_FOUND, "no upload session " + id);
                }
                synchronized (s) {
                    if (s.total >= 0 && s.received != s.total) {
                        return error(HttpResponseStatus.BAD_REQUEST, E_INVALIDARG, "Close-Session after " + s.received
                                + " of " + s.total + " bytes");
                    }
                    String sha = HexFormat.of().formatHex(s.digest.digest());
                    log.info("BITS upload session {} closed: /CCM_Incoming/{} {} bytes SHA-256 {}", id, s.file,
                            s.received, sha);
                    FullHttpResponse r = ack();
                    r.headers().set("BITS-Session-Id", id).set("X-CMGLab-Upload-SHA256", sha)
                            .set("X-CMGLab-Upload-Bytes", Long.toString(s.received));
                    return r;
                }
            }
            case "cancel-session": {
                if (id == null || sessions.remove(id) == null) {
                    return error(HttpResponseStatus.BAD_REQUEST, E_NOT_FOUND, "no upload session " + id);
                }
                FullHttpResponse r = ack();
                r.headers().set("BITS-Session-Id", id);
                return r;
            }
            default:
                return error(HttpResponseStatus.BAD_REQUEST, E_INVALIDARG, "BITS-Packet-Type " + type
                        + " (expected: Ping, Create-Session, Fragment, Close-Session or Cancel-Session)");
        }
    }

    private FullHttpResponse fragment(FullHttpRequest req, String id, String file) {
        Session s = id == null ? null : sessions.get(id);
        if (s == null) {
            return error(HttpResponseStatus.BAD_REQUEST, E_NOT_FOUND, "no upload session " + id);
        }
        String cr = req.headers().get(HttpHeaderNames.CONTENT_RANGE, "");
        Matcher m = RANGE.matcher(cr.trim());
        if (!m.matches()) {
            return error(HttpResponseStatus.BAD_REQUEST, E_INVALIDARG, "Content-Range " + cr
                    + " (expected: bytes <first>-<last>/<total>)");
        }
        long first = Long.parseLong(m.group(1));
        long last = Long.parseLong(m.group(2));
        long total = Long.parseLong(m.group(3));
        int n = req.content().readableBytes();
        if (last < first || last >= total || last - first + 1 != n || total > MAX_UPLOAD) {
            return error(HttpResponseStatus.BAD_REQUEST, E_INVALIDARG, "Content-Range " + cr + " with " + n
                    + " body bytes (expected: last-first+1 = body length, last < total <= " + MAX_UPLOAD + ")");
        }
        synchronized (s) {
            if (s.total >= 0 && s.total != total) {
                return error(HttpResponseStatus.BAD_REQUEST, E_INVALIDARG, "total " + total + " differs from "
                        + s.total + " of earlier fragments");
            }
            s.total = total;
            if (first > s.received) {
                // a gap: tell the client where to resume (MS-BPAU: 416 with the received range)
                FullHttpResponse r = error(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, E_INVALIDARG,
                        "fragment starts at " + first + " but " + s.received + " bytes were received");
                r.headers().set("BITS-Received-Content-Range", Long.toString(s.received)).set("BITS-Session-Id", id);
                return r;
            }
            long skip = s.received - first; // a resent overlap is acknowledged, not counted twice
            if (skip < n) {
                java.nio.ByteBuffer b = req.content().nioBuffer();
                b.position(b.position() + (int) skip);
                s.digest.update(b);
                s.received = last + 1;
            }
            FullHttpResponse r = ack();
            r.headers().set("BITS-Session-Id", id).set("BITS-Received-Content-Range", Long.toString(s.received));
            return r;
        }
    }

    private static FullHttpResponse ack() {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        r.headers().set("BITS-Packet-Type", "Ack").setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        return r;
    }

    static FullHttpResponse error(HttpResponseStatus status, String code, String why) {
        log.warn("BITS upload refused with {} {}: {}", status.code(), code, why);
        FullHttpResponse r = SiteVerbsHandler.text(status, why);
        r.headers().set("BITS-Packet-Type", "Ack").set("BITS-Error-Code", code).set("BITS-Error-Context", "0x5");
        return r;
    }
}
