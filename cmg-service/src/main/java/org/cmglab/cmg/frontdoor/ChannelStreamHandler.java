package org.cmglab.cmg.frontdoor;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.util.ReferenceCountUtil;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.channel.ChannelProtocol;
import org.cmglab.proto.channel.HeaderNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only handler of one request stream on the CMG side: turns the connection point's HTTP/2 response back into
 * the HTTP/1.1 response the client expects (status line with its original reason phrase, original header names)
 * and streams the body with backpressure: the stream is read only while the client connection is writable, so a
 * slow client holds at most one stream window of data here.
 */
final class ChannelStreamHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ChannelStreamHandler.class);

    private final Channel client;
    private final ForwardedRequest request;
    private final Runnable onComplete;
    private final Retry retry;
    private ScheduledFuture<?> timeout;
    private boolean responseStarted;
    private boolean completed;
    private Channel stream;

    /** Offered a request whose stream failed before any response byte reached the client. */
    interface Retry {
        /** @return true when the request is sent again elsewhere (this handler then stays silent) */
        boolean tryAgain(String why);
    }

    ChannelStreamHandler(Channel client, ForwardedRequest request, Runnable onComplete) {
        this(client, request, onComplete, null);
    }

    /** @param retry null = a failure is always answered to the client (502) */
    ChannelStreamHandler(Channel client, ForwardedRequest request, Runnable onComplete, Retry retry) {
        this.client = client;
        this.request = request;
        this.onComplete = onComplete;
        this.retry = retry;
    }

    /** Hands the request to {@link #retry} if nothing was sent to the client yet and it takes it. */
    private boolean retried(String why) {
        if (completed || responseStarted || retry == null || !retry.tryAgain(why)) {
            return false;
        }
        completed = true;
        cancelTimeout();
        return true;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        stream = ctx.channel();
        timeout = ctx.executor().schedule(() -> {
            if (!completed) {
                log.warn("MessageID {}: no response from the connection point within {} ms, resetting the stream",
                        request.messageId(), request.timeoutMillis());
                request.failure(504, "CMGService_GatewayTimeout", "F4", "timeout",
                        "no response from the connection point within " + request.timeoutMillis() + " ms");
                fail(504, "CMGService_GatewayTimeout", "the connection point did not answer in time");
                ctx.close();
            }
        }, request.timeoutMillis(), TimeUnit.MILLISECONDS);
    }

    /** Called by the front door when the client connection's writability changes. */
    void clientWritabilityChanged() {
        if (client.isWritable() && stream != null && stream.isActive()) {
            stream.read();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (completed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof Http2HeadersFrame h) {
            onHeaders(h);
            if (h.isEndStream()) {
                finish(ctx, LastHttpContent.EMPTY_LAST_CONTENT);
            }
        } else if (msg instanceof Http2DataFrame d) {
            if (!responseStarted) {
                d.release();
                protocolError(ctx, "DATA before HEADERS on the response stream");
                return;
            }
            request.responseBytes(d.content().readableBytes());
            if (d.isEndStream()) {
                finish(ctx, new DefaultLastHttpContent(d.content()));
            } else {
                client.write(new DefaultHttpContent(d.content()));
            }
        } else if (msg instanceof Http2ResetFrame r) {
            String why = "the connection point reset the stream (" + r.errorCode() + ")";
            if (retried(why)) {
                ctx.close();
                return;
            }
            protocolError(ctx, why);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        client.flush();
        if (!completed && client.isWritable()) {
            ctx.read();
        }
    }

    private void onHeaders(Http2HeadersFrame h) {
        Http2Headers in = h.headers();
        if (responseStarted) {
            return; // trailers: ignored (HTTP/1.1 clients of the CMG never see them)
        }
        int code;
        try {
            code = Integer.parseInt(String.valueOf(in.status()));
        } catch (NumberFormatException e) {
            code = 502;
        }
        CharSequence reasonCs = in.get(ChannelProtocol.H2_REASON);
        String reason = reasonCs == null ? HttpResponseStatus.valueOf(code).reasonPhrase() : reasonCs.toString();
        HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, new HttpResponseStatus(code, reason));
        Map<String, String> names = HeaderNames.decode(in.get(ChannelProtocol.H2_HEADER_NAMES));
        for (Map.Entry<CharSequence, CharSequence> e : in) {
            String n = e.getKey().toString();
            if (n.startsWith(":") || n.startsWith("cmg-")) {
                continue;
            }
            res.headers().add(names.getOrDefault(n, n), e.getValue());
        }
        if (!h.isEndStream() && !HttpUtil.isContentLengthSet(res)) {
            res.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        responseStarted = true;
        // the deadline is for the connection point's answer, not for the whole body: a large download to a slow
        // client may take as long as the client needs (backpressure keeps it bounded in memory)
        cancelTimeout();
        request.responseHeaders(code, reason);
        client.write(res);
    }

    private void finish(ChannelHandlerContext ctx, LastHttpContent last) {
        completed = true;
        cancelTimeout();
        client.writeAndFlush(last).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                log.debug("MessageID {}: client went away while the response was written", request.messageId());
            }
        });
        request.completed();
        onComplete.run();
    }

    private void protocolError(ChannelHandlerContext ctx, String why) {
        log.warn("MessageID {}: {}", request.messageId(), why);
        request.failure(502, "CMGService_BadGateway", "F4", "channel-error", why);
        fail(502, "CMGService_BadGateway", why);
        ctx.close();
    }

    private void fail(int status, String reason, String detail) {
        if (completed) {
            return;
        }
        completed = true;
        cancelTimeout();
        if (!responseStarted) {
            request.sendError(status, reason, detail);
        } else {
            client.close(); // the client sees a truncated response, as it would from IIS
        }
        onComplete.run();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!completed && !retried("the channel closed before the connection point answered")) {
            String why = "the channel closed before the connection point answered";
            request.failure(502, "CMGService_BadGateway", "F4", "channel-closed", why);
            fail(502, "CMGService_BadGateway", why);
        }
        cancelTimeout();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        protocolError(ctx, "stream failed: " + cause);
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }
}
