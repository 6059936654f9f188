package org.cmglab.site.mp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MpHttpHandlerTest {

    private final SmsAutResponder responder = new SmsAutResponder(TestCerts.identity());
    private final List<MpRequestRecord> records = new ArrayList<>();

    private EmbeddedChannel channel() {
        return new EmbeddedChannel(new MpHttpHandler(responder, records::add));
    }

    private static FullHttpRequest req(HttpMethod m, String uri) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, m, uri);
        r.headers().set(HttpHeaderNames.HOST, "mp01.corp.cmglab.test");
        r.headers().set("User-Agent", "SMS CCM 5.0 TS");
        return r;
    }

    private static String body(FullHttpResponse r) {
        return r.content().toString(StandardCharsets.UTF_8);
    }

    @Test
    void getMplist200() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(req(HttpMethod.GET, "/SMS_MP/.sms_aut?MPLIST"));
        FullHttpResponse r = ch.readOutbound();
        try {
            assertThat(r.status().code()).isEqualTo(200);
            assertThat(r.status().reasonPhrase()).isEqualTo("OK");
            assertThat(r.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("text/xml");
            assertThat(r.headers().get(HttpHeaderNames.SERVER)).isEqualTo("Microsoft-IIS/10.0");
            assertThat(r.headers().get(HttpHeaderNames.DATE)).endsWith(" GMT");
            byte[] expected = responder.reply("MPLIST").body();
            assertThat(r.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(expected.length);
            byte[] got = new byte[r.content().readableBytes()];
            r.content().getBytes(r.content().readerIndex(), got);
            assertThat(got).isEqualTo(expected);
            assertThat(ch.isOpen()).isTrue();
        } finally {
            r.release();
        }
        assertThat(records).hasSize(1);
        MpRequestRecord rec = records.get(0);
        assertThat(rec.method()).isEqualTo("GET");
        assertThat(rec.uri()).isEqualTo("/SMS_MP/.sms_aut?MPLIST");
        assertThat(rec.status()).isEqualTo(200);
        assertThat(rec.bodyBytes()).isEqualTo(responder.reply("MPLIST").bodyLength());
        assertThat(rec.headers()).containsEntry("User-Agent", "SMS CCM 5.0 TS").containsKey("host");
        assertThat(rec.tls()).isFalse();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void headHasLengthButNoBody() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(req(HttpMethod.HEAD, "/SMS_MP/.sms_aut?MPCERT"));
        FullHttpResponse r = ch.readOutbound();
        try {
            assertThat(r.status().code()).isEqualTo(200);
            assertThat(r.content().readableBytes()).isZero();
            assertThat(r.headers().getInt(HttpHeaderNames.CONTENT_LENGTH))
                    .isEqualTo(responder.reply("MPCERT").bodyLength());
        } finally {
            r.release();
        }
        assertThat(records).singleElement().satisfies(x -> assertThat(x.method()).isEqualTo("HEAD"));
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"POST", "PUT", "CCM_POST", "DELETE"})
    void otherVerbsOnSmsAut405WithAllow(String verb) {
        EmbeddedChannel ch = channel();
        FullHttpRequest rq = req(HttpMethod.valueOf(verb), "/SMS_MP/.sms_aut?MPLIST");
        rq.content().writeBytes("x=1".getBytes(StandardCharsets.US_ASCII));
        ch.writeInbound(rq);
        FullHttpResponse r = ch.readOutbound();
        try {
            assertThat(r.status().code()).isEqualTo(405);
            assertThat(r.headers().get(HttpHeaderNames.ALLOW)).isEqualTo("GET, HEAD");
            assertThat(r.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(r.content().readableBytes());
            assertThat(body(r)).contains("405 - HTTP verb used to access this page is not allowed.");
        } finally {
            r.release();
        }
        assertThat(records).singleElement().satisfies(x -> assertThat(x.status()).isEqualTo(405));
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/SMS_MP/.sms_pol?x", "/SMS_MP", "/ccm_system/request", "/SMS_MP/.sms_autx?MPLIST"})
    void unknownPath404(String uri) {
        EmbeddedChannel ch = channel();
        ch.writeInbound(req(HttpMethod.GET, uri));
        FullHttpResponse r = ch.readOutbound();
        try {
            assertThat(r.status().code()).isEqualTo(404);
            assertThat(r.headers().get(HttpHeaderNames.SERVER)).isEqualTo("Microsoft-IIS/10.0");
            assertThat(body(r)).contains("HTTP Error 404");
        } finally {
            r.release();
        }
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/sms_mp/.sms_aut?mplist", "/SMS_MP/.SMS_AUT?MPLIST", "/Sms_Mp/.Sms_Aut?MpList",
            "/SMS_MP/%2Esms_aut?MPLIST"})
    void pathAndQueryAreCaseInsensitive(String uri) {
        EmbeddedChannel ch = channel();
        ch.writeInbound(req(HttpMethod.GET, uri));
        FullHttpResponse r = ch.readOutbound();
        try {
            assertThat(r.status().code()).isEqualTo(200);
            assertThat(body(r)).startsWith("<MPList>");
        } finally {
            r.release();
        }
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void keepAliveHonoured() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(req(HttpMethod.GET, "/SMS_MP/.sms_aut?MPLIST"));
        FullHttpResponse r1 = ch.readOutbound();
        assertThat(r1.headers().contains(HttpHeaderNames.CONNECTION)).isFalse(); // HTTP/1.1 default keep-alive
        r1.release();
        assertThat(ch.isOpen()).isTrue();
        ch.writeInbound(req(HttpMethod.GET, "/SMS_MP/.sms_aut?MPKEYINFORMATION"));
        FullHttpResponse r2 = ch.readOutbound();
        assertThat(r2.status().code()).isEqualTo(200);
        r2.release();
        assertThat(ch.isOpen()).isTrue();

        FullHttpRequest close = req(HttpMethod.GET, "/SMS_MP/.sms_aut?MPLIST");
        close.headers().set(HttpHeaderNames.CONNECTION, "close");
        ch.writeInbound(close);
        FullHttpResponse r3 = ch.readOutbound();
        assertThat(r3.headers().get(HttpHeaderNames.CONNECTION)).isEqualToIgnoringCase("close");
        r3.release();
        ch.runPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        assertThat(records).hasSize(3);
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void http10WithoutKeepAliveCloses() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "/SMS_MP/.sms_aut?MPLIST"));
        FullHttpResponse r = ch.readOutbound();
        assertThat(r.status().code()).isEqualTo(200);
        r.release();
        assertThat(ch.isOpen()).isFalse();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void wireLevelHeadAndMalformedThroughCodec() {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(8192, 16384, 8192),
                new HttpObjectAggregator(1 << 20), new MpHttpHandler(responder, records::add));
        ch.writeInbound(Unpooled.copiedBuffer(
                "HEAD /SMS_MP/.sms_aut?MPLIST HTTP/1.1\r\nHost: mp\r\n\r\n", StandardCharsets.US_ASCII));
        String head = drain(ch);
        assertThat(head).startsWith("HTTP/1.1 200 OK\r\n").contains("content-length: "
                + responder.reply("MPLIST").bodyLength()).endsWith("\r\n\r\n");
        ch.writeInbound(Unpooled.copiedBuffer("GARBAGE\u0001 / HTTP/9.9 x\r\n\r\n", StandardCharsets.ISO_8859_1));
        String bad = drain(ch);
        assertThat(bad).startsWith("HTTP/1.1 400 Bad Request\r\n").contains("Microsoft-HTTPAPI/2.0");
        ch.runPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        assertThat(records).extracting(MpRequestRecord::status).containsExactly(200, 400);
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void observerFailureDoesNotBreakResponse() {
        EmbeddedChannel ch = new EmbeddedChannel(new MpHttpHandler(responder, rec -> {
            throw new IllegalStateException("boom");
        }));
        ch.writeInbound(req(HttpMethod.GET, "/SMS_MP/.sms_aut?MPLIST"));
        FullHttpResponse r = ch.readOutbound();
        assertThat(r.status().code()).isEqualTo(200);
        r.release();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    private static String drain(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) o;
            sb.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return sb.toString();
    }
}
