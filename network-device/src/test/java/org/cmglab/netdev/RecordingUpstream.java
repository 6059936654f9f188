package org.cmglab.netdev;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.stream.ChunkedStream;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.cmglab.proto.runtime.EventLoops;

/**
 * A fake upstream for the device tests: records every request (method, URI, header names as sent, body, which
 * connection) and answers {@code 200 "ok <n> bytes"}; {@code GET /big?<n>} streams n bytes chunked.
 */
final class RecordingUpstream implements AutoCloseable {
    record Seen(String method, String uri, List<Map.Entry<String, String>> headers, byte[] body, String connection) {
        String header(String name) {
            return headers.stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue)
                    .findFirst().orElse(null);
        }

        List<String> names() {
            return headers.stream().map(Map.Entry::getKey).toList();
        }
    }

    final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final Channel server;

    RecordingUpstream(EventLoopGroup group, SslContext tlsOrNull) {
        server = new ServerBootstrap().group(group).channel(EventLoops.serverChannelClass())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tlsOrNull != null) {
                            ch.pipeline().addLast(tlsOrNull.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(), new ChunkedWriteHandler(),
                                new HttpObjectAggregator(1 << 20), new Recorder());
                    }
                }).bind("127.0.0.1", 0).syncUninterruptibly().channel();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
    }

    private final class Recorder extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            List<Map.Entry<String, String>> h = new ArrayList<>();
            req.headers().forEach(e -> h.add(Map.entry(e.getKey(), e.getValue())));
            seen.add(new Seen(req.method().name(), req.uri(), h, ByteBufUtil.getBytes(req.content()),
                    ctx.channel().id().asShortText()));
            if (req.uri().startsWith("/big?")) {
                int n = Integer.parseInt(req.uri().substring(5));
                DefaultHttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                HttpUtil.setTransferEncodingChunked(r, true);
                ctx.write(r);
                ctx.writeAndFlush(new HttpChunkedInput(new ChunkedStream(new ByteArrayInputStream(new byte[n]), 8192)));
                return;
            }
            byte[] body = ("ok " + req.content().readableBytes() + " bytes").getBytes(StandardCharsets.UTF_8);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(body));
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length).set("X-Upstream", "yes");
            ctx.writeAndFlush(r);
        }
    }
}
