package org.cmglab.site.mp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.cmglab.proto.runtime.EventLoops;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ManagementPointServerTest {

    private static EventLoopGroup group;

    @BeforeAll
    static void setUp() {
        group = EventLoops.newGroup(2, "mp-test");
    }

    @AfterAll
    static void tearDown() {
        group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void servesMplistOverLoopback() throws Exception {
        List<MpRequestRecord> records = new CopyOnWriteArrayList<>();
        SmsAutResponder responder = new SmsAutResponder(TestCerts.identity());
        try (ManagementPointServer server = ManagementPointServer.start(
                new InetSocketAddress("127.0.0.1", 0), null, responder, records::add, group)) {
            assertThat(server.boundAddress().getPort()).isPositive();
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            URI base = URI.create("http://127.0.0.1:" + server.boundAddress().getPort());
            HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(base.resolve("/SMS_MP/.sms_aut?MPLIST"))
                    .header("User-Agent", "SMS CCM 5.0 TS").timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).hasValue("text/xml");
            assertThat(r.headers().firstValue("server")).hasValue("Microsoft-IIS/10.0");
            assertThat(r.body()).isEqualTo(responder.reply("MPLIST").body());

            // second request on the same (keep-alive) client, different query
            HttpResponse<String> r2 = client.send(HttpRequest.newBuilder(
                    base.resolve("/sms_mp/.sms_aut?mpkeyinformationmedia")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r2.statusCode()).isEqualTo(200);
            assertThat(r2.body()).contains("x64UnknownMachineGUID=\"" + TestCerts.identity().unknownMachineGuidX64());

            assertThat(records).hasSize(2);
            assertThat(records.get(0).remoteAddress()).startsWith("127.0.0.1:");
            assertThat(records.get(0).headers()).containsEntry("User-Agent", "SMS CCM 5.0 TS");
        }
    }

    @Test
    void malformedRequestLineGets400AndClose() throws Exception {
        List<MpRequestRecord> records = new CopyOnWriteArrayList<>();
        try (ManagementPointServer server = ManagementPointServer.start(
                new InetSocketAddress("127.0.0.1", 0), null, new SmsAutResponder(TestCerts.identity()),
                records::add, group);
             Socket s = new Socket("127.0.0.1", server.boundAddress().getPort())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write("THIS IS NOT HTTP\u0001\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String resp = readAll(s.getInputStream());
            assertThat(resp).startsWith("HTTP/1.1 400 Bad Request\r\n");
            assertThat(resp.toLowerCase()).contains("connection: close");
            assertThat(resp).contains("HTTP Error 400. The request is badly formed.");
            assertThat(records).singleElement().satisfies(r -> assertThat(r.status()).isEqualTo(400));
        }
    }

    @Test
    void oversizedRequestLineGets400() throws Exception {
        try (ManagementPointServer server = ManagementPointServer.start(
                new InetSocketAddress("127.0.0.1", 0), null, new SmsAutResponder(TestCerts.identity()),
                null, group);
             Socket s = new Socket("127.0.0.1", server.boundAddress().getPort())) {
            s.setSoTimeout(5000);
            String longUri = "/SMS_MP/.sms_aut?" + "A".repeat(9000);
            s.getOutputStream().write(("GET " + longUri + " HTTP/1.1\r\nHost: x\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String resp = readAll(s.getInputStream());
            assertThat(resp).startsWith("HTTP/1.1 400 Bad Request\r\n");
        }
    }

    /** Reads until the server closes the connection (the 400 path closes). */
    private static String readAll(InputStream in) throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        int n;
        while ((n = in.read(buf)) >= 0) {
            bos.write(buf, 0, n);
        }
        return bos.toString(StandardCharsets.ISO_8859_1);
    }
}
