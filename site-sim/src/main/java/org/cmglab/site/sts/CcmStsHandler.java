package org.cmglab.site.sts;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.cmglab.proto.runtime.Json;
import org.cmglab.site.mp.MpRequestRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MP's {@code CCM_STS} endpoint ({@code POST /CCM_STS}, reached through the CMG as
 * {@code /CCM_Proxy_ServerAuth/<id>/CCM_STS}): exchanges an Entra token or a client token for a CCM token, per
 * docs/client-auth.md. Sits in the MP pipeline before the MP handler and passes every other request on.
 * Answers 200 {@code {"access_token","token_type":"Bearer","expires_in":28800}}; 401 {@code invalid_token} for a
 * refused token, 400 for a bad form, 405 for other verbs. Writes CCM_STS.log (logger {@code CCM_STS}).
 * Verifying and signing are in-memory: safe on the event loop.
 */
@ChannelHandler.Sharable
public final class CcmStsHandler extends ChannelInboundHandlerAdapter {
    static final String PATH = "/ccm_sts";
    private static final Logger log = LoggerFactory.getLogger("CCM_STS");

    private final CcmStsExchange exchange;
    private final Consumer<MpRequestRecord> observer;

    public CcmStsHandler(CcmStsExchange exchange, Consumer<MpRequestRecord> observerOrNull) {
        this.exchange = Objects.requireNonNull(exchange, "exchange");
        this.observer = observerOrNull == null ? r -> { } : observerOrNull;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest req) || !req.decoderResult().isSuccess() || !isStsPath(req.uri())) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            CcmStsExchange.Result r;
            if (!HttpMethod.POST.equals(req.method())) {
                log.warn("CCM_STS: {} refused: only POST", req.method());
                r = CcmStsExchange.Result.error(405, "invalid_request", "CCM_STS accepts only POST");
            } else {
                Map<String, String> headers = new LinkedHashMap<>();
                req.headers().forEach(e -> headers.putIfAbsent(e.getKey().toLowerCase(Locale.ROOT), e.getValue()));
                String contentType = req.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
                Map<String, List<String>> form = contentType.toLowerCase(Locale.ROOT)
                        .startsWith("application/x-www-form-urlencoded")
                        ? new QueryStringDecoder(req.content().toString(StandardCharsets.UTF_8), StandardCharsets.UTF_8,
                        false, 32).parameters() : null;
                r = exchange.exchange(headers, form);
            }
            send(ctx, req, r);
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    static boolean isStsPath(String uri) {
        int q = uri.indexOf('?');
        String path = (q >= 0 ? uri.substring(0, q) : uri).toLowerCase(Locale.ROOT);
        return path.equals(PATH) || path.equals(PATH + "/");
    }

    private void send(ChannelHandlerContext ctx, FullHttpRequest req, CcmStsExchange.Result r) {
        byte[] body = Json.writeCompact(r.body()).getBytes(StandardCharsets.UTF_8);
        FullHttpResponse res = new DefaultFullHttpResponse(req.protocolVersion(),
                HttpResponseStatus.valueOf(r.status()), Unpooled.wrappedBuffer(body));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8")
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .set(HttpHeaderNames.SERVER, "Microsoft-IIS/10.0")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        if (r.status() == 401) {
            res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"");
        }
        if (r.status() == 405) {
            res.headers().set(HttpHeaderNames.ALLOW, "POST");
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        HttpUtil.setKeepAlive(res, keepAlive);
        Map<String, String> headers = new LinkedHashMap<>();
        req.headers().forEach(e -> headers.merge(e.getKey(), e.getValue(), (a, b) -> a + ", " + b));
        try {
            observer.accept(new MpRequestRecord(req.method().name(), req.uri(), headers, r.status(), body.length,
                    String.valueOf(ctx.channel().remoteAddress()), ctx.pipeline().get(SslHandler.class) != null));
        } catch (RuntimeException e) {
            log.debug("observer failed: {}", e.toString());
        }
        if (keepAlive) {
            ctx.writeAndFlush(res, ctx.voidPromise());
        } else {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
