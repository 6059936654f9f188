package org.cmglab.site.mp;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cmglab.proto.flow.TraceContext;

/**
 * Records what reached the MP exactly as received, before any handler answers: method, request-target, every header
 * with its name as spelled on the wire (values cut at {@value #MAX_VALUE} characters), body length and SHA-256, in a
 * ring of the last {@value #CAPACITY} requests. site-sim's admin action {@code POST /received?trace=<id>} returns
 * them; the header/verb matrix (docs/network-device.md) uses it to show that {@code Range} and the
 * {@code CCMClient*} headers arrive unchanged. Passes every message on. Shared by all MP connections (thread-safe).
 */
public final class ReceivedRequestRecorder extends ChannelInboundHandlerAdapter {
    static final int MAX_VALUE = 512;
    static final int CAPACITY = 512;

    private final ArrayDeque<Received> ring = new ArrayDeque<>();

    @Override
    public boolean isSharable() {
        return true;
    }

    /** One request as the MP received it. */
    public record Received(String traceId, String method, String uri, List<List<String>> headers, int bodyBytes,
                           String bodySha256) {
        /** First value of each header name, names as received. */
        public Map<String, String> firstValues() {
            Map<String, String> m = new LinkedHashMap<>();
            for (List<String> h : headers) {
                m.putIfAbsent(h.get(0), h.get(1));
            }
            return m;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FullHttpRequest req && req.decoderResult().isSuccess()) {
            List<List<String>> headers = new ArrayList<>();
            for (Map.Entry<String, String> e : req.headers()) {
                String v = e.getValue();
                headers.add(List.of(e.getKey(), v.length() > MAX_VALUE ? v.substring(0, MAX_VALUE) + "…" : v));
            }
            Received r = new Received(TraceContext.traceId(req.headers().get(TraceContext.HEADER)), req.method().name(),
                    req.uri(), headers, req.content().readableBytes(), sha256(req));
            synchronized (ring) {
                if (ring.size() >= CAPACITY) {
                    ring.removeFirst();
                }
                ring.addLast(r);
            }
        }
        ctx.fireChannelRead(msg);
    }

    /** The recorded requests of one trace (oldest first), or all when {@code traceId} is null. */
    public List<Received> received(String traceId) {
        synchronized (ring) {
            return ring.stream().filter(r -> traceId == null || traceId.equals(r.traceId())).toList();
        }
    }

    private static String sha256(FullHttpRequest req) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(req.content().nioBuffer());
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
