package org.cmglab.proto.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The channel protocol end to end between two EmbeddedChannels whose bytes are pumped into each other. */
class ChannelProtocolTest {
    private static final ChannelSettings SETTINGS = ChannelSettings.defaults().withPing(Duration.ofSeconds(1),
            Duration.ofSeconds(1));

    private EmbeddedChannel gw;
    private EmbeddedChannel cp;
    private Promise<Void> upgraded;
    private volatile Throwable gwError;
    private volatile Throwable cpError;
    private final Map<String, String> responses = new ConcurrentHashMap<>();

    @AfterEach
    void tearDown() {
        if (gw != null) {
            gw.finishAndReleaseAll();
        }
        if (cp != null) {
            cp.finishAndReleaseAll();
        }
    }

    /** Gateway front door that accepts the upgrade or refuses it with {@code refusal}. */
    private void connect(HttpResponseStatus refusal) {
        gw = new EmbeddedChannel(new HttpServerCodec(), new HttpObjectAggregator(8192),
                new SimpleChannelInboundHandler<FullHttpRequest>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                        if (refusal == null && GatewayUpgrade.isUpgradeRequest(req)) {
                            assertThat(req.headers().get(ChannelProtocol.HDR_CONNECTOR)).isEqualTo("cmgcp01.corp.contoso.com");
                            GatewayUpgrade.accept(ctx, List.of(ctx.pipeline().firstContext().name(),
                                    ctx.pipeline().context(HttpObjectAggregator.class).name()), SETTINGS, "gw",
                                    new ChannelInboundHandlerAdapter() {
                                        @Override
                                        public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
                                            gwError = cause;
                                            c.close();
                                        }
                                    });
                        } else {
                            var res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                    refusal == null ? HttpResponseStatus.BAD_REQUEST : refusal,
                                    Unpooled.copiedBuffer("channel refused: untrusted connector", StandardCharsets.UTF_8));
                            HttpUtil.setContentLength(res, res.content().readableBytes());
                            ctx.writeAndFlush(res);
                        }
                    }
                });
        cp = new EmbeddedChannel();
        upgraded = cp.eventLoop().newPromise();
        cp.pipeline().addLast(new HttpClientCodec(), new ConnectorUpgradeHandler("granitefalls.contoso.com", "conn-1",
                "cmgcp01.corp.contoso.com", "P01", upgraded,
                ctx -> ChannelPipelines.installConnectorSide(ctx.channel(), SETTINGS, "cp", new EchoStreams(),
                        new ChannelInboundHandlerAdapter() {
                            @Override
                            public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
                                cpError = cause;
                                c.close();
                            }
                        })));
        pump();
    }

    private void pump() {
        for (int round = 0; round < 100; round++) {
            boolean moved = false;
            gw.runPendingTasks();
            cp.runPendingTasks();
            for (Object o; (o = gw.readOutbound()) != null; ) {
                moved = true;
                if (cp.isActive()) {
                    cp.writeInbound(o);
                } else {
                    ReferenceCountUtil.release(o);
                }
            }
            for (Object o; (o = cp.readOutbound()) != null; ) {
                moved = true;
                if (gw.isActive()) {
                    gw.writeInbound(o);
                } else {
                    ReferenceCountUtil.release(o);
                }
            }
            if (!moved) {
                return;
            }
        }
    }

    private Http2StreamChannel request(String path, String body, boolean end) {
        Future<Http2StreamChannel> f = new Http2StreamChannelBootstrap(gw).handler(new ResponseCollector()).open();
        gw.runPendingTasks();
        assertThat(f.isSuccess()).as("stream open: %s", f.cause()).isTrue();
        Http2StreamChannel s = f.getNow();
        s.attr(PATH).set(path);
        s.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().method("CCM_POST").path(path)
                .scheme("https").authority("granitefalls.contoso.com")));
        if (end) {
            s.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(body, StandardCharsets.UTF_8), true));
        } else {
            s.flush();
        }
        return s;
    }

    @Test
    void upgradedChannelMultiplexesManyStreams() {
        connect(null);
        assertThat(upgraded.isSuccess()).as("upgrade: %s", upgraded.cause()).isTrue();
        assertThat(cp.pipeline().get(HttpClientCodec.class)).isNull();
        assertThat(gw.pipeline().get(HttpServerCodec.class)).isNull();
        for (int i = 0; i < 40; i++) {
            request("/CCM_Proxy_MutualAuth/72057594037927939/ccm_system/request?n=" + i, "body-" + i, true);
        }
        pump();
        assertThat(responses).hasSize(40);
        for (int i = 0; i < 40; i++) {
            assertThat(responses.get("/CCM_Proxy_MutualAuth/72057594037927939/ccm_system/request?n=" + i))
                    .isEqualTo("CCM_POST body-" + i);
        }
    }

    @Test
    void refusedUpgradeCarriesStatusAndReason() {
        connect(HttpResponseStatus.FORBIDDEN);
        assertThat(upgraded.isDone()).isTrue();
        assertThat(upgraded.cause()).isInstanceOf(ChannelRefusedException.class)
                .hasMessageContaining("403").hasMessageContaining("untrusted connector");
        assertThat(((ChannelRefusedException) upgraded.cause()).status()).isEqualTo(403);
        assertThat(cp.isActive()).isFalse();
    }

    @Test
    void unansweredPingClosesTheChannelAndAnsweredPingKeepsIt() {
        connect(null);
        PingKeepaliveHandler gwPing = gw.pipeline().get(PingKeepaliveHandler.class);
        // answered: the PING travels, the ACK comes back, the deadline passes harmlessly
        gw.pipeline().fireUserEventTriggered(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
        pump();
        gw.advanceTimeBy(2, TimeUnit.SECONDS);
        gw.runScheduledPendingTasks();
        assertThat(gw.isActive()).isTrue();
        assertThat(gwPing.lastRttNanos()).isGreaterThanOrEqualTo(0);
        // half-open: the peer goes silent (we stop pumping)
        gw.pipeline().fireUserEventTriggered(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
        gw.runPendingTasks();
        gw.advanceTimeBy(2, TimeUnit.SECONDS);
        gw.runScheduledPendingTasks();
        assertThat(gwPing.timedOut()).isTrue();
        assertThat(gw.isActive()).isFalse();
    }

    @Test
    void garbageOnAnEstablishedChannelClosesOnlyThatChannel() {
        connect(null);
        gw.writeInbound(Unpooled.copiedBuffer(new byte[] {0, 0, 5, 4, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5} /* SETTINGS of length 5: FRAME_SIZE_ERROR */));
        gw.runPendingTasks();
        assertThat(gw.isActive()).isFalse();
        assertThat(gwError).hasMessageContaining("Frame length 5 invalid");
        // the other side is still a working endpoint until it notices the GOAWAY/close
        assertThat(cp.isOpen()).isTrue();
    }

    @Test
    void oversizedFrameIsAFrameSizeErrorThatClosesOnlyThatChannel() {
        connect(null);
        // a DATA frame header announcing 1 MiB on stream 1: above the 64 KiB maximum frame size both sides advertise
        gw.writeInbound(Unpooled.copiedBuffer(new byte[] {0x10, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3}));
        gw.runPendingTasks();
        assertThat(gw.isActive()).isFalse();
        assertThat(gwError).hasMessageContaining("exceeds maximum");
        pump(); // the GOAWAY that went out reaches the connection point, which is not harmed by it
        assertThat(cpError).isNull();
    }

    @Test
    void truncatedFrameWaitsForTheRestAndTheConnectionEndingMidFrameLeaksNothing() {
        connect(null);
        assertThat(upgraded.isSuccess()).isTrue();
        // a SETTINGS-sized header announcing 100 bytes, of which 10 arrive: the decoder waits for the rest
        gw.writeInbound(Unpooled.copiedBuffer(new byte[] {0, 0, 100, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
        gw.runPendingTasks();
        assertThat(gwError).isNull();
        assertThat(gw.isActive()).as("a frame still arriving is not an error").isTrue();
        // the connection ends mid-frame: closed, the partial frame released (leak detection is paranoid)
        gw.close();
        gw.runPendingTasks();
        assertThat(gw.isActive()).isFalse();
        assertThat(gwError).isNull();
    }

    @Test
    void garbageFromTheCmgClosesTheConnectionPointSideWithTheReason() {
        connect(null);
        assertThat(upgraded.isSuccess()).isTrue();
        cp.writeInbound(Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\n\r\nnot http/2", StandardCharsets.ISO_8859_1));
        cp.runPendingTasks();
        assertThat(cp.isActive()).isFalse();
        assertThat(cpError).isNotNull();
        assertThat(gwError).isNull();
    }

    @Test
    void goAwayDrainsInFlightStreamsAndRefusesNewOnes() {
        connect(null);
        Http2StreamChannel inflight = request("/CCM_Proxy_MutualAuth/1/SMS_MP/.sms_aut?MPLIST", "", false);
        pump();
        cp.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
        pump();
        inflight.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.copiedBuffer("late", StandardCharsets.UTF_8), true));
        pump();
        assertThat(responses).containsEntry("/CCM_Proxy_MutualAuth/1/SMS_MP/.sms_aut?MPLIST", "CCM_POST late");
        Future<Http2StreamChannel> f = new Http2StreamChannelBootstrap(gw).handler(new ResponseCollector()).open();
        gw.runPendingTasks();
        if (f.isSuccess()) {
            // Netty opens the child lazily; the first write is what fails after GOAWAY
            var w = f.getNow().writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().method("GET")
                    .path("/x").scheme("https").authority("a"), true));
            gw.runPendingTasks();
            assertThat(w.isSuccess()).isFalse();
        } else {
            assertThat(f.cause()).isNotNull();
        }
    }

    @Test
    void drainWaitsForStreamsInFlightThenCloses() {
        connect(null);
        Http2StreamChannel inflight = request("/CCM_Proxy_MutualAuth/1/SMS_MP/.sms_aut?MPLIST", "", false);
        pump();
        var drained = ChannelDrain.drain(gw, Duration.ofSeconds(30));
        pump();
        assertThat(drained.isDone()).as("still one stream in flight").isFalse();
        assertThat(gw.isActive()).isTrue();
        inflight.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.copiedBuffer("last", StandardCharsets.UTF_8), true));
        pump();
        assertThat(responses).containsEntry("/CCM_Proxy_MutualAuth/1/SMS_MP/.sms_aut?MPLIST", "CCM_POST last");
        gw.advanceTimeBy(50, TimeUnit.MILLISECONDS);
        gw.runScheduledPendingTasks();
        gw.runPendingTasks();
        assertThat(drained.isDone()).isTrue();
        assertThat(gw.isActive()).isFalse();
    }

    @Test
    void drainGivesUpAfterTheGracePeriod() {
        connect(null);
        request("/CCM_Proxy_MutualAuth/1/stuck", "", false);
        pump();
        var drained = ChannelDrain.drain(gw, Duration.ofSeconds(2));
        pump();
        gw.advanceTimeBy(3, TimeUnit.SECONDS);
        gw.runScheduledPendingTasks();
        gw.runScheduledPendingTasks();
        gw.runPendingTasks();
        assertThat(drained.isDone()).isTrue();
        assertThat(gw.isActive()).isFalse();
    }

    /** CP side: answers each stream with "METHOD body" once the request ends. */
    private static final class EchoStreams extends ChannelInitializer<Http2StreamChannel> {
        @Override
        protected void initChannel(Http2StreamChannel ch) {
            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                private String method;
                private final StringBuilder body = new StringBuilder();

                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    boolean end = false;
                    if (msg instanceof Http2HeadersFrame h) {
                        method = h.headers().method().toString();
                        end = h.isEndStream();
                    } else if (msg instanceof Http2DataFrame d) {
                        body.append(d.content().toString(StandardCharsets.UTF_8));
                        end = d.isEndStream();
                    }
                    ReferenceCountUtil.release(msg);
                    if (end) {
                        ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")));
                        ctx.writeAndFlush(new DefaultHttp2DataFrame(
                                Unpooled.copiedBuffer(method + " " + body, StandardCharsets.UTF_8), true));
                    }
                }
            });
        }
    }

    /** GW side: records "path → body" of each completed response. */
    @ChannelHandler.Sharable
    private final class ResponseCollector extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Http2StreamChannel s = (Http2StreamChannel) ctx.channel();
            String key = s.attr(PATH).get();
            if (msg instanceof Http2HeadersFrame h) {
                assertThat(h.headers().status().toString()).isEqualTo("200");
            } else if (msg instanceof Http2DataFrame d) {
                ByteBuf c = d.content();
                s.attr(BODY).set((s.attr(BODY).get() == null ? "" : s.attr(BODY).get()) + c.toString(StandardCharsets.UTF_8));
                if (d.isEndStream()) {
                    responses.put(key, s.attr(BODY).get());
                }
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.fireChannelActive();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            ctx.fireUserEventTriggered(evt);
        }
    }

    private static final io.netty.util.AttributeKey<String> PATH = io.netty.util.AttributeKey.valueOf("test-path");
    private static final io.netty.util.AttributeKey<String> BODY = io.netty.util.AttributeKey.valueOf("test-body");
}
