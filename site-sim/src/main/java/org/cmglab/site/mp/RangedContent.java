package org.cmglab.site.mp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.stream.ChunkedInput;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code HEAD} and ranged {@code GET} of the lab DP content ({@code /SMS_DP_SMSPKG$/<pkg>/lab-<N>MiB.bin}, the bytes
 * of {@link LabContentHandler#byteAt(long)}), the way BITS downloads: HEAD for the size ({@code Accept-Ranges:
 * bytes}), then {@code Range: bytes=a-b} → 206 with {@code Content-Range: bytes a-b/size}; an unsatisfiable range →
 * 416 with {@code Content-Range: bytes *}{@code /size}. One range per request (a multi-range or unreadable
 * {@code Range} is ignored, RFC 9110 §14.2, and {@link LabContentHandler} sends the whole file).
 */
final class RangedContent {
    private static final Logger log = LoggerFactory.getLogger(RangedContent.class);
    private static final Pattern PATH = Pattern.compile("/sms_dp_smspkg\\$/[a-z0-9_.{}-]{1,80}/lab-(\\d{1,4})mib\\.bin");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d{0,18})-(\\d{0,18})");

    private RangedContent() {}

    static boolean wants(FullHttpRequest req, String path) {
        Matcher m = PATH.matcher(path);
        if (!m.matches()) {
            return false;
        }
        long mib = Long.parseLong(m.group(1));
        if (mib < 1 || mib > 1024) {
            return false;
        }
        if (HttpMethod.HEAD.equals(req.method())) {
            return true;
        }
        String range = req.headers().get(HttpHeaderNames.RANGE);
        return HttpMethod.GET.equals(req.method()) && range != null && RANGE.matcher(range.trim()).matches()
                && !range.trim().equals("bytes=-");
    }

    /** Answers; {@code done} gets the status. Releases {@code req}. */
    static void serve(ChannelHandlerContext ctx, FullHttpRequest req, String path, boolean keepAlive, IntConsumer done) {
        Matcher pm = PATH.matcher(path);
        pm.matches();
        long size = Long.parseLong(pm.group(1)) << 20;
        boolean head = HttpMethod.HEAD.equals(req.method());
        String range = req.headers().get(HttpHeaderNames.RANGE);
        HttpResponse res;
        long first = 0;
        long length = size;
        if (head) {
            res = new DefaultHttpResponse(req.protocolVersion(), HttpResponseStatus.OK);
        } else {
            Matcher m = RANGE.matcher(range.trim());
            m.matches();
            String a = m.group(1);
            String b = m.group(2);
            long last;
            if (a.isEmpty()) { // suffix: the last n bytes
                long n = Long.parseLong(b);
                first = Math.max(0, size - n);
                last = size - 1;
            } else {
                first = Long.parseLong(a);
                last = b.isEmpty() ? size - 1 : Math.min(Long.parseLong(b), size - 1);
            }
            if (first >= size || (!b.isEmpty() && !a.isEmpty() && Long.parseLong(b) < first) || (a.isEmpty()
                    && Long.parseLong(b) == 0)) {
                res = new DefaultHttpResponse(req.protocolVersion(), HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE);
                res.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size);
                log.info("Lab DP content {}: Range {} not satisfiable (size {})", path, range, size);
                head = true; // no body
                length = 0;
            } else {
                res = new DefaultHttpResponse(req.protocolVersion(), HttpResponseStatus.PARTIAL_CONTENT);
                res.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes " + first + "-" + last + "/" + size);
                length = last - first + 1;
                log.info("Lab DP content {}: {} → 206 bytes {}-{}/{}", path, range, first, last, size);
            }
        }
        req.release();
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream")
                .set(HttpHeaderNames.ACCEPT_RANGES, "bytes").set(HttpHeaderNames.SERVER, MpHttpHandler.SERVER);
        HttpUtil.setContentLength(res, head && res.status().code() == 200 ? size : length);
        HttpUtil.setKeepAlive(res, keepAlive);
        done.accept(res.status().code());
        ctx.write(res);
        var f = head ? ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
                : ctx.writeAndFlush(new HttpChunkedInput(new RangeInput(first, length)));
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** {@code length} bytes of the pattern from {@code offset}, 64 KiB per chunk. */
    private static final class RangeInput implements ChunkedInput<ByteBuf> {
        private final long end;
        private long offset;
        private final long start;

        RangeInput(long offset, long length) {
            this.start = offset;
            this.offset = offset;
            this.end = offset + length;
        }

        @Override
        public boolean isEndOfInput() {
            return offset >= end;
        }

        @Override
        public void close() {}

        @Deprecated
        @Override
        public ByteBuf readChunk(ChannelHandlerContext ctx) {
            return readChunk(ctx.alloc());
        }

        @Override
        public ByteBuf readChunk(ByteBufAllocator alloc) {
            if (isEndOfInput()) {
                return null;
            }
            int n = (int) Math.min(LabContentHandler.CHUNK, end - offset);
            byte[] chunk = new byte[n];
            for (int i = 0; i < n; i++) {
                chunk[i] = LabContentHandler.byteAt(offset + i);
            }
            ByteBuf b = alloc.buffer(n).writeBytes(chunk);
            offset += n;
            return b;
        }

        @Override
        public long length() {
            return end - start;
        }

        @Override
        public long progress() {
            return offset - start;
        }
    }
}
