package org.cmglab.site.mp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SiteVerbsHandlerTest {
    final ReceivedRequestRecorder received = new ReceivedRequestRecorder();
    final List<MpRequestRecord> served = new ArrayList<>();
    final EmbeddedChannel ch = new EmbeddedChannel(new ChunkedWriteHandler(),
            received, new SiteVerbsHandler(new BitsUploadHandler(), served::add),
            new LabContentHandler());

    @AfterEach
    void noLeaks() {
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    static FullHttpRequest req(String method, String uri, byte[] body, String... headers) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method), uri,
                body == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        for (int i = 0; i < headers.length; i += 2) {
            r.headers().add(headers[i], headers[i + 1]);
        }
        r.headers().setInt("Content-Length", body == null ? 0 : body.length);
        return r;
    }

    /** The response head and its body bytes. */
    record Reply(HttpResponse head, byte[] body) {
        String header(String n) {
            return head.headers().get(n);
        }

        int status() {
            return head.status().code();
        }
    }

    Reply exchange(FullHttpRequest r) {
        ch.writeInbound(r);
        ch.runPendingTasks();
        Object first = ch.readOutbound();
        assertThat(first).as("a response").isInstanceOf(HttpResponse.class);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        Object o = first;
        while (true) {
            if (o instanceof HttpContent c) {
                ByteBuf b = c.content();
                byte[] bytes = new byte[b.readableBytes()];
                b.getBytes(b.readerIndex(), bytes);
                body.writeBytes(bytes);
            } else if (o instanceof ByteBuf b) {
                byte[] bytes = new byte[b.readableBytes()];
                b.getBytes(b.readerIndex(), bytes);
                body.writeBytes(bytes);
            }
            boolean last = o instanceof LastHttpContent;
            if (o != first) {
                ReferenceCountUtil.release(o);
            }
            if (last) {
                break;
            }
            o = ch.readOutbound();
            if (o == null) {
                break;
            }
        }
        HttpResponse head = (HttpResponse) first;
        ReferenceCountUtil.release(first);
        return new Reply(head, body.toByteArray());
    }

    @Test
    void bitsUploadPingCreateFragmentsCloseAndTheBodyArrivesIntact() throws Exception {
        String u = "/CCM_Incoming/{8E8F21B0-1111-2222-3333-444455556666}.xml";
        Reply ping = exchange(req("BITS_POST", u, null, "BITS-Packet-Type", "Ping"));
        assertThat(ping.status()).isEqualTo(200);
        assertThat(ping.header("BITS-Packet-Type")).isEqualTo("Ack");

        Reply create = exchange(req("BITS_POST", u, null, "BITS-Packet-Type", "Create-Session",
                "BITS-Supported-Protocols", BitsUploadHandler.PROTOCOL));
        assertThat(create.header("BITS-Protocol")).isEqualTo(BitsUploadHandler.PROTOCOL);
        String sid = create.header("BITS-Session-Id");
        assertThat(sid).matches("\\{[0-9a-f-]{36}}");

        byte[] data = "<Report>0123456789</Report>".getBytes(StandardCharsets.UTF_8);
        int half = 10;
        Reply f1 = exchange(req("BITS_POST", u, java.util.Arrays.copyOfRange(data, 0, half), "BITS-Packet-Type",
                "Fragment", "BITS-Session-Id", sid, "Content-Range", "bytes 0-" + (half - 1) + "/" + data.length));
        assertThat(f1.header("BITS-Received-Content-Range")).isEqualTo(Integer.toString(half));
        Reply gap = exchange(req("BITS_POST", u, java.util.Arrays.copyOfRange(data, half + 2, data.length),
                "BITS-Packet-Type", "Fragment", "BITS-Session-Id", sid, "Content-Range",
                "bytes " + (half + 2) + "-" + (data.length - 1) + "/" + data.length));
        assertThat(gap.status()).isEqualTo(416);
        assertThat(gap.header("BITS-Received-Content-Range")).isEqualTo(Integer.toString(half));
        Reply f2 = exchange(req("BITS_POST", u, java.util.Arrays.copyOfRange(data, half - 3, data.length),
                "BITS-Packet-Type", "Fragment", "BITS-Session-Id", sid, "Content-Range",
                "bytes " + (half - 3) + "-" + (data.length - 1) + "/" + data.length));
        assertThat(f2.header("BITS-Received-Content-Range")).as("overlap counted once").isEqualTo(Integer.toString(data.length));
        Reply close = exchange(req("BITS_POST", u, null, "BITS-Packet-Type", "Close-Session", "BITS-Session-Id", sid));
        assertThat(close.status()).isEqualTo(200);
        assertThat(close.header("X-CMGLab-Upload-SHA256"))
                .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)));
        Reply again = exchange(req("BITS_POST", u, null, "BITS-Packet-Type", "Close-Session", "BITS-Session-Id", sid));
        assertThat(again.status()).isEqualTo(400);
        assertThat(again.header("BITS-Error-Code")).isEqualTo(BitsUploadHandler.E_NOT_FOUND);
        assertThat(served).extracting(MpRequestRecord::method).containsOnly("BITS_POST");
    }

    @Test
    void badBitsPacketsGet400WithTheBitsErrorCode() {
        Reply type = exchange(req("BITS_POST", "/CCM_Incoming/x.xml", null, "BITS-Packet-Type", "Dance"));
        assertThat(type.status()).isEqualTo(400);
        assertThat(type.header("BITS-Error-Code")).isEqualTo(BitsUploadHandler.E_INVALIDARG);
        assertThat(new String(type.body(), StandardCharsets.UTF_8)).contains("Create-Session");
        Reply traversal = exchange(req("BITS_POST", "/CCM_Incoming/..%2F..%2Fwindows%2Fx", null, "BITS-Packet-Type", "Ping"));
        assertThat(traversal.status()).isEqualTo(400);
        Reply proto = exchange(req("BITS_POST", "/CCM_Incoming/x.xml", null, "BITS-Packet-Type", "Create-Session",
                "BITS-Supported-Protocols", "{00000000-0000-0000-0000-000000000000}"));
        assertThat(proto.header("BITS-Error-Code")).isEqualTo(BitsUploadHandler.E_PROTOCOL);
        Reply range = exchange(req("BITS_POST", "/CCM_Incoming/x.xml", new byte[3], "BITS-Packet-Type", "Fragment",
                "BITS-Session-Id", "{nope}", "Content-Range", "bytes 0-2/3"));
        assertThat(range.header("BITS-Error-Code")).isEqualTo(BitsUploadHandler.E_NOT_FOUND);
    }

    @Test
    void propfindListsThePackageAsWebDavMultistatus() {
        Reply one = exchange(req("PROPFIND", "/SMS_DP_SMSPKG$/Content_5c1e0c2c-1.1", null, "Depth", "1"));
        assertThat(one.status()).isEqualTo(207);
        assertThat(one.header("Content-Type")).startsWith("text/xml");
        String xml = new String(one.body(), StandardCharsets.UTF_8);
        assertThat(xml).contains("<D:href>/SMS_DP_SMSPKG$/Content_5c1e0c2c-1.1/</D:href>")
                .contains("<D:collection/>")
                .contains("<D:href>/SMS_DP_SMSPKG$/Content_5c1e0c2c-1.1/lab-1MiB.bin</D:href>")
                .contains("<D:getcontentlength>1048576</D:getcontentlength>");
        Reply zero = exchange(req("PROPFIND", "/SMS_DP_SMSPKG$/P0100001", null, "Depth", "0"));
        assertThat(new String(zero.body(), StandardCharsets.UTF_8)).doesNotContain("lab-1MiB.bin");
        assertThat(exchange(req("PROPFIND", "/SMS_DP_SMSPKG$/P0100001", null)).status()).as("no Depth = infinity")
                .isEqualTo(403);
        assertThat(exchange(req("PROPFIND", "/SMS_DP_SMSPKG$/P0100001", null, "Depth", "infinity")).status())
                .isEqualTo(403);
    }

    @Test
    void headAndRangedGetAnswer206WithContentRange() {
        String u = "/SMS_DP_SMSPKG$/P0100001/lab-1MiB.bin";
        Reply head = exchange(req("HEAD", u, null));
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("Content-Length")).isEqualTo("1048576");
        assertThat(head.header("Accept-Ranges")).isEqualTo("bytes");
        assertThat(head.body()).isEmpty();

        Reply r = exchange(req("GET", u, null, "Range", "bytes=100-199"));
        assertThat(r.status()).isEqualTo(206);
        assertThat(r.header("Content-Range")).isEqualTo("bytes 100-199/1048576");
        assertThat(r.body()).hasSize(100);
        for (int i = 0; i < 100; i++) {
            assertThat(r.body()[i]).isEqualTo(LabContentHandler.byteAt(100 + i));
        }
        Reply suffix = exchange(req("GET", u, null, "Range", "bytes=-10"));
        assertThat(suffix.header("Content-Range")).isEqualTo("bytes 1048566-1048575/1048576");
        Reply open = exchange(req("GET", u, null, "Range", "bytes=1048000-"));
        assertThat(open.body()).hasSize(576);
        Reply beyond = exchange(req("GET", u, null, "Range", "bytes=2000000-"));
        assertThat(beyond.status()).isEqualTo(416);
        assertThat(beyond.header("Content-Range")).isEqualTo("bytes */1048576");
        // without a single byte range, LabContentHandler streams the whole file
        String path = "/sms_dp_smspkg$/p0100001/lab-1mib.bin";
        FullHttpRequest plain = req("GET", u, null);
        FullHttpRequest multi = req("GET", u, null, "Range", "bytes=0-1,5-6");
        try {
            assertThat(RangedContent.wants(plain, path)).isFalse();
            assertThat(RangedContent.wants(multi, path)).isFalse();
        } finally {
            plain.release();
            multi.release();
        }
    }

    @Test
    void everyRequestIsRecordedWithItsHeadersAsSpelledOnTheWire() throws Exception {
        exchange(req("HEAD", "/SMS_DP_SMSPKG$/P0100001/lab-1MiB.bin", null, "CCMClientTimestampsSignature", "AB",
                "CCMClientID", "GUID:1", "traceparent", "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01"));
        List<ReceivedRequestRecorder.Received> got = received.received("0123456789abcdef0123456789abcdef");
        assertThat(got).singleElement().satisfies(r -> {
            assertThat(r.method()).isEqualTo("HEAD");
            assertThat(r.bodyBytes()).isZero();
        });
        assertThat(received.received(null)).hasSize(1);
        assertThat(got.get(0).firstValues()).containsEntry("CCMClientTimestampsSignature", "AB")
                .containsEntry("CCMClientID", "GUID:1");
    }
}
