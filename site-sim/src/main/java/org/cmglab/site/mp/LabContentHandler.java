package org.cmglab.site.mp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.stream.ChunkedInput;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lab's stand-in for distribution point content until the content issue: {@code GET
 * /SMS_DP_SMSPKG$/<package>/lab-<N>MiB.bin} (the product's DP content path, cmg-facts §1.6) streams N MiB
 * (1..1024) of deterministic bytes ({@link #byteAt(long)}), paced by the connection's writability
 * ({@code ChunkedWriteHandler}), so large responses through the CMG can be tested. Anything else goes on to the MP.
 */
final class LabContentHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(LabContentHandler.class);
    private static final Pattern PATH = Pattern.compile("/sms_dp_smspkg\\$/[a-z0-9]{1,16}/lab-(\\d{1,4})mib\\.bin");
    static final int CHUNK = 64 * 1024;

    /** The content's byte at {@code offset}: a fixed pattern a reader can check without a copy. */
    public static byte byteAt(long offset) {
        return (byte) ((offset * 31) ^ (offset >>> 11));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest req)) {
            ctx.fireChannelRead(msg);
            return;
        }
        String uri = req.uri();
        int q = uri.indexOf('?');
        String path = SmsAutResponder.percentDecode(q >= 0 ? uri.substring(0, q) : uri).toLowerCase(Locale.ROOT);
        Matcher m = PATH.matcher(path);
        boolean head = HttpMethod.HEAD.equals(req.method());
        if (!m.matches() || !(head || HttpMethod.GET.equals(req.method()))) {
            ctx.fireChannelRead(msg);
            return;
        }
        long mib = Long.parseLong(m.group(1));
        if (mib < 1 || mib > 1024) {
            ctx.fireChannelRead(msg); // the MP answers 404 as for any unknown path
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        req.release();
        long size = mib << 20;
        HttpResponse res = new DefaultHttpResponse(req.protocolVersion(), HttpResponseStatus.OK);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
        HttpUtil.setContentLength(res, size);
        HttpUtil.setKeepAlive(res, keepAlive);
        log.info("Lab DP content {}: {} bytes", path, size);
        ctx.write(res);
        var f = head ? ctx.writeAndFlush(io.netty.handler.codec.http.LastHttpContent.EMPTY_LAST_CONTENT)
                : ctx.writeAndFlush(new HttpChunkedInput(new PatternInput(size)));
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** {@code size} bytes of {@link #byteAt(long)}, 64 KiB per chunk. */
    private static final class PatternInput implements ChunkedInput<ByteBuf> {
        private final long size;
        private long offset;

        PatternInput(long size) {
            this.size = size;
        }

        @Override
        public boolean isEndOfInput() {
            return offset >= size;
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
            int n = (int) Math.min(CHUNK, size - offset);
            ByteBuf b = alloc.buffer(n);
            for (int i = 0; i < n; i++) {
                b.writeByte(byteAt(offset + i));
            }
            offset += n;
            return b;
        }

        @Override
        public long length() {
            return size;
        }

        @Override
        public long progress() {
            return offset;
        }
    }
}
