package org.cmglab.webproxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of the proxy before a tunnel exists: reads one {@code CONNECT host:port} request, checks it
 * (CONNECT only; the host an IPv4 literal in 127.0.0.0/8; the port in the allowed list), connects upstream on the
 * same event loop, answers {@code 200 Connection established}, then removes the HTTP codec and itself and relays bytes
 * both ways ({@link TunnelRelayHandler}). Refusals: 405 for another method, 400 for a malformed target, 403 for a
 * target outside loopback or a port not allowed, 502 when the upstream does not accept; each closes the connection
 * and logs the reason.
 */
final class ConnectRequestHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectRequestHandler.class);
    static final int CONNECT_TIMEOUT_MILLIS = 5_000;

    private final ProxyState state;
    private final Supplier<Bootstrap> upstream;
    private boolean requested;

    /** @param upstream a bootstrap for the upstream side (group, channel class); this handler sets the rest */
    ConnectRequestHandler(ProxyState state, Supplier<Bootstrap> upstream) {
        this.state = state;
        this.upstream = upstream;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        state.accepted.incrementAndGet();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (!(msg instanceof HttpRequest req) || requested) {
                return; // the request's empty last content, or bytes before the tunnel is up
            }
            requested = true;
            if (state.blackhole()) {
                log.info("blackhole: CONNECT {} from {} swallowed (no answer)", req.uri(), remote(ctx));
                return;
            }
            if (!req.decoderResult().isSuccess()) {
                refuse(ctx, HttpResponseStatus.BAD_REQUEST, "malformed request: " + req.decoderResult().cause());
                return;
            }
            if (!HttpMethod.CONNECT.equals(req.method())) {
                refuse(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "only CONNECT is supported (got " + req.method()
                        + " " + req.uri() + ")");
                return;
            }
            InetSocketAddress target;
            try {
                target = parseTarget(req.uri());
            } catch (IllegalArgumentException e) {
                refuse(ctx, HttpResponseStatus.BAD_REQUEST, e.getMessage());
                return;
            }
            if (!target.getAddress().isLoopbackAddress()) {
                refuse(ctx, HttpResponseStatus.FORBIDDEN, "CONNECT " + req.uri() + " denied: only 127.0.0.0/8 is reachable");
                return;
            }
            if (!state.allowed(target.getPort())) {
                refuse(ctx, HttpResponseStatus.FORBIDDEN, "CONNECT " + req.uri() + " denied: port " + target.getPort()
                        + " is not allowed by the proxy policy");
                return;
            }
            connect(ctx, req.uri(), target);
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void connect(ChannelHandlerContext ctx, String uri, InetSocketAddress target) {
        Channel client = ctx.channel();
        client.config().setAutoRead(false);
        Bootstrap b = upstream.get().group(client.eventLoop())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
                .handler(new TunnelRelayHandler(client, state, state.bytesDown));
        b.connect(target).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                state.failed.incrementAndGet();
                refuse(ctx, HttpResponseStatus.BAD_GATEWAY, "CONNECT " + uri + ": upstream did not accept: "
                        + f.cause().getMessage());
                return;
            }
            Channel up = f.channel();
            if (!client.isActive()) {
                up.close();
                return;
            }
            state.tunnels.incrementAndGet();
            state.open.put(client, up);
            client.closeFuture().addListener(x -> state.open.remove(client));
            log.info("CONNECT {} from {}: tunnel open", uri, remote(ctx));
            FullHttpResponse ok = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    new HttpResponseStatus(200, "Connection established"));
            client.writeAndFlush(ok).addListener((ChannelFutureListener) w -> {
                if (!w.isSuccess()) {
                    up.close();
                    return;
                }
                // codec out, relay in: bytes after the 200 are the client's TLS, not HTTP
                io.netty.channel.ChannelPipeline p = client.pipeline();
                p.addLast(new TunnelRelayHandler(up, state, state.bytesUp));
                p.remove(this);
                p.remove(HttpServerCodec.class);
                up.config().setAutoRead(true);
                client.config().setAutoRead(true);
            });
        });
    }

    /** {@code 127.x.y.z:port} (an IPv4 literal: the proxy resolves no names). */
    static InetSocketAddress parseTarget(String uri) {
        int colon = uri == null ? -1 : uri.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("CONNECT target " + uri + " (expected: <IPv4 address>:<port>)");
        }
        String host = uri.substring(0, colon);
        String portText = uri.substring(colon + 1);
        if (!host.matches("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}") || !portText.matches("\\d{1,5}")) {
            throw new IllegalArgumentException("CONNECT target " + uri + " (expected: <IPv4 address>:<port>; the proxy "
                    + "does not resolve names)");
        }
        int port = Integer.parseInt(portText);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("CONNECT target " + uri + " (expected: port 1..65535)");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("CONNECT target " + uri + " (" + e.getMessage() + ")", e);
        }
    }

    private void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String why) {
        if (status.code() != HttpResponseStatus.BAD_GATEWAY.code()) {
            state.denied.incrementAndGet();
        }
        log.warn("{} to {}: {}", status.code(), remote(ctx), why);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(why + "\n", StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN);
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        HttpUtil.setContentLength(res, res.content().readableBytes());
        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }

    private static String remote(ChannelHandlerContext ctx) {
        return String.valueOf(ctx.channel().remoteAddress());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection failed: {}", cause.toString());
        ctx.close();
    }
}
