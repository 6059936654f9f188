package org.cmglab.cmg.frontdoor;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import org.cmglab.cmg.content.ContentService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the content service's answers (flows C4: the client's request with its content access token, C5: the
 * manifest with SAS URLs) on the connection's event loop; the token and storage work runs in {@link ContentService}.
 */
final class ContentAnswers {
    private static final Logger log = LoggerFactory.getLogger(ContentAnswers.class);

    private ContentAnswers() {}

    static void answer(ChannelHandlerContext ctx, FullHttpRequest req, FrontDoorContext fd, String traceId, String what,
                       boolean keepAlive) {
        String shown = what.replaceAll("sig=[^&]*", "sig=…");
        if (fd.content() == null) {
            String why = "this CMG is not content-enabled (no cloud distribution point)";
            Responses.send(ctx, 404, "Not Found", why, keepAlive);
            fd.events().event("C4", "request").trace(traceId).from("client-sim").to(fd.instance()).protocol("HTTPS")
                    .port(fd.frontDoorPort()).auth("content token").outcome("not-found").status(404)
                    .detail(shown + " → 404: " + why).emit();
            return;
        }
        long t0 = System.nanoTime();
        String clientId = req.headers().get(ContentService.CLIENT_ID_HEADER);
        // one request in flight per connection (docs/concurrency.md rule 3): no further reads until this is answered
        ctx.channel().config().setAutoRead(false);
        fd.content().answer(req.method().name(), req.uri(), clientId).whenComplete((a, err) -> ctx.executor().execute(() -> {
            ctx.channel().config().setAutoRead(true);
            ContentService.Answer ans = err == null ? a : new ContentService.Answer(503, "Service Unavailable",
                    "content service error", err.toString());
            fd.events().event("C4", "request").trace(traceId).from("client-sim").to(fd.instance()).protocol("HTTPS")
                    .port(fd.frontDoorPort()).auth("content token").outcome(ans.ok() ? "ok" : "refused")
                    .status(ans.status()).latencyNanos(System.nanoTime() - t0)
                    .detail(shown + (ans.ok() ? "" : " → " + ans.status() + ": " + ans.detail())).emit();
            if (!ans.ok()) {
                log.warn("{} from {} refused: {} ({})", shown, ctx.channel().remoteAddress(), ans.status(),
                        ans.detail());
                if (ctx.channel().isActive()) {
                    Responses.send(ctx, ans.status(), ans.reason(), ans.body(), keepAlive);
                }
                return;
            }
            byte[] b = ans.body().getBytes(StandardCharsets.UTF_8);
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(b));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/xml; charset=utf-8");
            res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
            HttpUtil.setContentLength(res, b.length);
            HttpUtil.setKeepAlive(res, keepAlive);
            if (!ctx.channel().isActive()) {
                res.release();
                return;
            }
            var f = ctx.writeAndFlush(res);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
            fd.events().event("C5", "response").trace(traceId).from(fd.instance()).to("client-sim").protocol("HTTPS")
                    .port(fd.frontDoorPort()).auth("content token").outcome("ok").status(200)
                    .latencyNanos(System.nanoTime() - t0).detail("content manifest with SAS URLs (" + b.length
                            + " bytes)").emit();
        }));
    }
}
