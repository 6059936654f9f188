package org.cmglab.azure.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsResponseDecoder;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.handler.codec.dns.TcpDnsResponseDecoder;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.runtime.EventLoops;
import org.cmglab.proto.runtime.LabDns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The lab DNS over real UDP and TCP sockets, and through Netty's resolver ({@link LabDns}). */
class LabDnsServerTest {
    static final String SERVICE = "GraniteFalls.contoso.com";
    static final String DEPLOYMENT = "granitefalls.westus.cloudapp.azure.com";

    static EventLoopGroup group;
    static LabDnsServer server;
    static final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    static final ListAppender<ILoggingEvent> leaks = new ListAppender<>();

    @BeforeAll
    static void start() throws Exception {
        Logger serverLog = (Logger) LoggerFactory.getLogger(LabDnsServer.class);
        serverLog.setLevel(Level.DEBUG);
        logs.start();
        serverLog.addAppender(logs);
        leaks.start();
        ((Logger) LoggerFactory.getLogger("io.netty.util.ResourceLeakDetector")).addAppender(leaks);

        group = EventLoops.newGroup(2, "dns-test");
        server = LabDnsServer.start(new InetSocketAddress("127.0.0.1", 0), group);
        DnsZone z = server.zone();
        z.putA(DEPLOYMENT, "127.77.1.1");
        z.putCname(SERVICE, DEPLOYMENT);
        z.putA("granitefalls.blob.core.windows.net", "127.77.2.1");
        z.putA("login.microsoftonline.com", "127.77.0.10");
        z.putA("granitefalls.usgovcloudapp.net", "127.77.3.1");
        z.putA("x.blob.core.usgovcloudapi.net", "127.77.3.2");
    }

    @AfterAll
    static void stop() {
        server.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        // paranoid leak detection reports a leaked buffer once it is collected and another buffer is allocated
        System.gc();
        for (int i = 0; i < 64; i++) {
            ByteBufAllocator.DEFAULT.buffer(64).release();
        }
        assertThat(leaks.list).as("Netty buffer leaks").noneMatch(e -> e.getFormattedMessage().contains("LEAK"));
    }

    @BeforeEach
    void clearLogs() {
        logs.list.clear();
    }

    // ---------------------------------------------------------------- through Netty's resolver

    @Test
    void resolvesServiceDeploymentStorageAndUsGovNamesThroughLabDns() throws Exception {
        assertThat(resolve(SERVICE)).isEqualTo("127.77.1.1");
        assertThat(resolve("GRANITEFALLS.WestUS.CloudApp.Azure.Com")).isEqualTo("127.77.1.1");
        assertThat(resolve("granitefalls.blob.core.windows.net")).isEqualTo("127.77.2.1");
        assertThat(resolve("granitefalls.usgovcloudapp.net")).isEqualTo("127.77.3.1");
        assertThat(resolve("x.blob.core.usgovcloudapi.net")).isEqualTo("127.77.3.2");
        assertThatThrownBy(() -> resolve("nope.contoso.com")).isInstanceOf(UnknownHostException.class)
                .hasMessageContaining("nope.contoso.com");
        assertThatThrownBy(() -> resolve("example.org")).isInstanceOf(UnknownHostException.class)
                .hasMessageContaining("example.org");
    }

    @Test
    void runtimeChangesAreVisibleAtOnce() throws Exception {
        String name = "newcmg.eastus.cloudapp.azure.com";
        assertThat(udp(query(7, name, DnsRecordType.A)).code).isEqualTo("NXDOMAIN");
        server.zone().putA(name, "127.77.5.1");
        assertThat(resolve(name)).isEqualTo("127.77.5.1");
        assertThat(server.zone().describe()).contains(name + " A 127.77.5.1");
        server.zone().putA(name, "127.77.5.2");
        assertThat(tcp(query(8, name, DnsRecordType.A)).answers).containsExactly(name + ". A 127.77.5.2 ttl=60");
        assertThat(server.zone().remove(name.toUpperCase())).isTrue();
        assertThat(server.zone().remove(name)).isFalse();
        Reply gone = udp(query(9, name, DnsRecordType.A));
        assertThat(gone.code).isEqualTo("NXDOMAIN");
        assertThat(gone.authority).singleElement().asString().startsWith("cloudapp.azure.com. SOA");
        assertThatThrownBy(() -> resolve(name)).isInstanceOf(UnknownHostException.class);
        assertThat(server.zone().describe()).noneMatch(l -> l.startsWith(name));
    }

    // ---------------------------------------------------------------- raw packets, UDP and TCP

    @Test
    void aRecordOverUdpAndTcp() throws Exception {
        for (boolean overTcp : new boolean[] {false, true}) {
            byte[] q = query(0x1234, "GraniteFalls.WestUS.cloudapp.azure.com", DnsRecordType.A);
            Reply r = overTcp ? tcp(q) : udp(q);
            assertThat(r.id).isEqualTo(0x1234);
            assertThat(r.code).isEqualTo("NOERROR");
            assertThat(r.authoritative).isTrue();
            assertThat(r.recursionAvailable).isFalse();
            assertThat(r.recursionDesired).isTrue();
            assertThat(r.questions).containsExactly("GraniteFalls.WestUS.cloudapp.azure.com. A");
            assertThat(r.answers).containsExactly("GraniteFalls.WestUS.cloudapp.azure.com. A 127.77.1.1 ttl=60");
        }
        assertThat(messages(Level.DEBUG)).anyMatch(m -> m.contains("answer granitefalls.westus.cloudapp.azure.com A"));
    }

    @Test
    void cnameChainIsFollowedInsideTheZone() throws Exception {
        for (boolean overTcp : new boolean[] {false, true}) {
            byte[] q = query(77, SERVICE, DnsRecordType.A);
            Reply r = overTcp ? tcp(q) : udp(q);
            assertThat(r.code).isEqualTo("NOERROR");
            assertThat(r.authoritative).isTrue();
            assertThat(r.answers).containsExactly(
                    SERVICE + ". CNAME " + DEPLOYMENT + ". ttl=60",
                    DEPLOYMENT + ". A 127.77.1.1 ttl=60");
        }
        Reply cnameOnly = udp(query(78, SERVICE.toLowerCase(), DnsRecordType.CNAME));
        assertThat(cnameOnly.answers).containsExactly("granitefalls.contoso.com. CNAME " + DEPLOYMENT + ". ttl=60");
    }

    @Test
    void aaaaAndOtherTypesOfAKnownNameAreEmptyNoError() throws Exception {
        for (DnsRecordType t : List.of(DnsRecordType.AAAA, DnsRecordType.MX, DnsRecordType.TXT)) {
            Reply r = udp(query(5, DEPLOYMENT, t));
            assertThat(r.code).as(t.name()).isEqualTo("NOERROR");
            assertThat(r.answers).as(t.name()).isEmpty();
            assertThat(r.questions).containsExactly(DEPLOYMENT + ". " + t.name());
            // the most specific lab zone: the parent of the record name
            assertThat(r.authority).singleElement().asString().startsWith("westus.cloudapp.azure.com. SOA");
        }
        assertThat(tcp(query(6, "granitefalls.usgovcloudapp.net", DnsRecordType.AAAA)).code).isEqualTo("NOERROR");
    }

    @Test
    void unknownNameInALabZoneIsNxdomainWithSoa() throws Exception {
        for (boolean overTcp : new boolean[] {false, true}) {
            byte[] q = query(11, "nope.contoso.com", DnsRecordType.A);
            Reply r = overTcp ? tcp(q) : udp(q);
            assertThat(r.code).isEqualTo("NXDOMAIN");
            assertThat(r.authoritative).isTrue();
            assertThat(r.answers).isEmpty();
            assertThat(r.authority).containsExactly(
                    "contoso.com. SOA ns.contoso.com. hostmaster.contoso.com. refresh=3600 retry=600 expire=86400"
                            + " minimum=60 ttl=60");
        }
        // a deleted (never created) deployment in Azure's own zones, and the US Government storage zone
        assertThat(udp(query(12, "gone.westus.cloudapp.azure.com", DnsRecordType.A)).code).isEqualTo("NXDOMAIN");
        assertThat(udp(query(13, "y.blob.core.usgovcloudapi.net", DnsRecordType.A)).code).isEqualTo("NXDOMAIN");
        assertThat(messages(Level.INFO)).anyMatch(m -> m.startsWith("NXDOMAIN nope.contoso.com A to 127.0.0.1:"));
    }

    @Test
    void namesOutsideEveryLabZoneAreRefusedWithoutRecursion() throws Exception {
        for (boolean overTcp : new boolean[] {false, true}) {
            byte[] q = query(21, "example.org", DnsRecordType.A);
            Reply r = overTcp ? tcp(q) : udp(q);
            assertThat(r.code).isEqualTo("REFUSED");
            assertThat(r.recursionAvailable).isFalse();
            assertThat(r.answers).isEmpty();
            assertThat(r.authority).isEmpty();
            assertThat(r.questions).containsExactly("example.org. A");
        }
        // a parent of a lab zone is not a lab zone
        assertThat(udp(query(22, "azure.com", DnsRecordType.A)).code).isEqualTo("REFUSED");
        assertThat(udp(query(23, "com", DnsRecordType.A)).code).isEqualTo("REFUSED");
        assertThat(messages(Level.INFO)).anyMatch(m -> m.startsWith("REFUSED example.org A to 127.0.0.1:"));
        assertThat(server.zone().zones()).contains("contoso.com", "microsoftonline.com", "cloudapp.azure.com",
                "blob.core.windows.net", "usgovcloudapp.net", "blob.core.usgovcloudapi.net").doesNotContain("com");
    }

    @Test
    void twoQuestionsAreFormerr() throws Exception {
        Reply r = udp(query(31, 2, DEPLOYMENT, DnsRecordType.A));
        assertThat(r.id).isEqualTo(31);
        assertThat(r.code).isEqualTo("FORMERR");
        assertThat(r.answers).isEmpty();
        assertThat(tcp(query(32, 2, DEPLOYMENT, DnsRecordType.A)).code).isEqualTo("FORMERR");
        assertThat(messages(Level.WARN)).anyMatch(m -> m.contains("2 questions in one query"));
    }

    @Test
    void garbageUdpPacketsAreDroppedOrFormerrAndTheServerKeepsAnswering() throws Exception {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            s.setSoTimeout(300);
            // shorter than a header: dropped, no answer
            send(s, new byte[] {1, 2, 3});
            assertThatThrownBy(() -> receive(s)).isInstanceOf(SocketTimeoutException.class);
            // a readable header, then a label that runs past the end of the packet: FORMERR with the same id
            byte[] bad = {0x42, 0x42, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 63, 'a', 'b', 'c'};
            send(s, bad);
            s.setSoTimeout(3000);
            Reply formerr = decodeUdp(receive(s));
            assertThat(formerr.id).isEqualTo(0x4242);
            assertThat(formerr.code).isEqualTo("FORMERR");
            // oversized: dropped, no answer
            byte[] big = java.util.Arrays.copyOf(query(0x4343, DEPLOYMENT, DnsRecordType.A), 5000);
            send(s, big);
            await().atMost(Duration.ofSeconds(5)).until(() -> messages(Level.WARN).stream()
                    .anyMatch(m -> m.contains("UDP packet") && m.contains("oversized")));
            s.setSoTimeout(300);
            assertThatThrownBy(() -> receive(s)).isInstanceOf(SocketTimeoutException.class);
        }
        assertThat(udp(query(41, DEPLOYMENT, DnsRecordType.A)).answers).containsExactly(
                DEPLOYMENT + ". A 127.77.1.1 ttl=60");
        assertThat(messages(Level.WARN))
                .anyMatch(m -> m.contains("3-byte UDP packet") && m.contains("shorter than a DNS header"))
                .anyMatch(m -> m.startsWith("FORMERR to 127.0.0.1:") && m.contains("cannot decode the query"));
        assertThat(logs.list).allMatch(e -> e.getThrowableProxy() == null);
    }

    @Test
    void brokenTcpFramingClosesTheConnectionAndTheServerKeepsAnswering() throws Exception {
        // a connection that ends after one byte of the length prefix
        try (Socket s = new Socket("127.0.0.1", server.boundAddress().getPort())) {
            s.getOutputStream().write(0);
            s.getOutputStream().flush();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> messages(Level.WARN).stream()
                .anyMatch(m -> m.contains("ended in the middle of a message (truncated length prefix)")));
        // an oversized length: the server closes the connection
        try (Socket s = new Socket("127.0.0.1", server.boundAddress().getPort())) {
            s.setSoTimeout(3000);
            s.getOutputStream().write(new byte[] {(byte) 0xff, (byte) 0xff, 1, 2, 3});
            s.getOutputStream().flush();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(messages(Level.WARN)).anyMatch(m -> m.contains("message length 65535 is oversized"));
        assertThat(tcp(query(51, SERVICE, DnsRecordType.A)).answers).hasSize(2);
    }

    @Test
    void udpAndTcpShareThePortOnLoopbackOnly() {
        InetSocketAddress a = server.boundAddress();
        assertThat(a.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(a.getPort()).isPositive();
        assertThatThrownBy(() -> LabDnsServer.start(new InetSocketAddress("0.0.0.0", 0), group))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("127.0.0.0/8");
        // the same port is taken for both protocols: a second server on it cannot start
        assertThatThrownBy(() -> LabDnsServer.start(a, group)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot bind the lab DNS on 127.0.0.1:" + a.getPort());
    }

    @Test
    void zoneRejectsBadRecords() {
        DnsZone z = new LabDnsZone();
        assertThatThrownBy(() -> z.putA("cmg.westus.cloudapp.azure.com", "10.0.0.1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("127.0.0.0/8");
        assertThatThrownBy(() -> z.putA("nodots", "127.0.0.1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least two labels");
        assertThatThrownBy(() -> z.putA("bad..name.com", "127.0.0.1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid label");
        assertThatThrownBy(() -> z.putCname("a.contoso.com", "A.contoso.com."))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("itself");
        z.putCname("Loop1.contoso.com", "loop2.contoso.com");
        z.putCname("loop2.contoso.com", "loop1.contoso.com");
        assertThat(z.describe()).containsExactly("loop1.contoso.com CNAME loop2.contoso.com",
                "loop2.contoso.com CNAME loop1.contoso.com");
    }

    @Test
    void cnameLoopsAndDanglingTargetsEndCleanly() throws Exception {
        server.zone().putCname("loop1.contoso.com", "loop2.contoso.com");
        server.zone().putCname("loop2.contoso.com", "loop1.contoso.com");
        server.zone().putCname("dangling.contoso.com", "missing.contoso.com");
        server.zone().putCname("out.contoso.com", "somewhere.example.org");
        try {
            assertThat(udp(query(61, "loop1.contoso.com", DnsRecordType.A)).answers).hasSize(2);
            Reply dangling = udp(query(62, "dangling.contoso.com", DnsRecordType.A));
            assertThat(dangling.code).isEqualTo("NXDOMAIN");
            assertThat(dangling.answers).containsExactly(
                    "dangling.contoso.com. CNAME missing.contoso.com. ttl=60");
            Reply out = udp(query(63, "out.contoso.com", DnsRecordType.A));
            assertThat(out.code).isEqualTo("NOERROR");
            assertThat(out.answers).containsExactly("out.contoso.com. CNAME somewhere.example.org. ttl=60");
        } finally {
            server.zone().remove("loop1.contoso.com");
            server.zone().remove("loop2.contoso.com");
            server.zone().remove("dangling.contoso.com");
            server.zone().remove("out.contoso.com");
        }
    }

    // ---------------------------------------------------------------- helpers

    static String resolve(String name) throws UnknownHostException {
        InetAddress a = LabDns.resolve(group, server.boundAddress(), name, Duration.ofSeconds(3));
        return a.getHostAddress();
    }

    static List<String> messages(Level level) {
        List<String> out = new ArrayList<>();
        for (ILoggingEvent e : List.copyOf(logs.list)) {
            if (e.getLevel() == level) {
                out.add(e.getFormattedMessage());
            }
        }
        return out;
    }

    static byte[] query(int id, String name, DnsRecordType type) {
        return query(id, 1, name, type);
    }

    /** A query with RD set and {@code questions} copies of the question. */
    static byte[] query(int id, int questions, String name, DnsRecordType type) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(id >> 8);
        b.write(id);
        b.write(0x01); // RD
        b.write(0x00);
        b.write(0);
        b.write(questions);
        b.writeBytes(new byte[6]);
        for (int i = 0; i < questions; i++) {
            for (String label : name.split("\\.")) {
                byte[] l = label.getBytes(StandardCharsets.US_ASCII);
                b.write(l.length);
                b.writeBytes(l);
            }
            b.write(0);
            b.write(type.intValue() >> 8);
            b.write(type.intValue());
            b.write(0);
            b.write(1); // IN
        }
        return b.toByteArray();
    }

    static Reply udp(byte[] q) throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            s.setSoTimeout(3000);
            send(s, q);
            return decodeUdp(receive(s));
        }
    }

    static void send(DatagramSocket s, byte[] data) throws IOException {
        s.send(new java.net.DatagramPacket(data, data.length, server.boundAddress()));
    }

    static byte[] receive(DatagramSocket s) throws IOException {
        java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[4096], 4096);
        s.receive(p);
        return java.util.Arrays.copyOf(p.getData(), p.getLength());
    }

    static Reply decodeUdp(byte[] data) {
        EmbeddedChannel ch = new EmbeddedChannel(new DatagramDnsResponseDecoder());
        try {
            ch.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(data), new InetSocketAddress("127.0.0.1", 1),
                    server.boundAddress()));
            DnsResponse res = ch.readInbound();
            try {
                return Reply.of(res);
            } finally {
                res.release();
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    static Reply tcp(byte[] q) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.boundAddress().getPort())) {
            s.setSoTimeout(3000);
            OutputStream out = s.getOutputStream();
            out.write(q.length >> 8);
            out.write(q.length);
            out.write(q);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            int len = in.readUnsignedShort();
            byte[] body = new byte[len];
            in.readFully(body);
            EmbeddedChannel ch = new EmbeddedChannel(new TcpDnsResponseDecoder());
            try {
                ByteBuf framed = Unpooled.buffer(len + 2).writeShort(len).writeBytes(body);
                ch.writeInbound(framed);
                DnsResponse res = ch.readInbound();
                try {
                    return Reply.of(res);
                } finally {
                    res.release();
                }
            } finally {
                ch.finishAndReleaseAll();
            }
        }
    }

    /** A decoded answer, records as "owner TYPE value ttl=N". */
    record Reply(int id, String code, boolean authoritative, boolean recursionAvailable, boolean recursionDesired,
                 List<String> questions, List<String> answers, List<String> authority) {
        static Reply of(DnsResponse r) {
            List<String> questions = new ArrayList<>();
            for (int i = 0; i < r.count(DnsSection.QUESTION); i++) {
                DnsRecord q = r.recordAt(DnsSection.QUESTION, i);
                questions.add(q.name() + " " + q.type().name());
            }
            String code = r.code().toString().replaceAll("\\(.*", "").toUpperCase(java.util.Locale.ROOT);
            return new Reply(r.id(), code, r.isAuthoritativeAnswer(),
                    r.isRecursionAvailable(), r.isRecursionDesired(), questions, records(r, DnsSection.ANSWER),
                    records(r, DnsSection.AUTHORITY));
        }

        static List<String> records(DnsResponse r, DnsSection section) {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < r.count(section); i++) {
                DnsRecord rec = r.recordAt(section, i);
                ByteBuf c = ((DnsRawRecord) rec).content().duplicate();
                String value;
                if (rec.type() == DnsRecordType.A) {
                    value = (c.readByte() & 0xff) + "." + (c.readByte() & 0xff) + "." + (c.readByte() & 0xff) + "."
                            + (c.readByte() & 0xff);
                } else if (rec.type() == DnsRecordType.CNAME) {
                    value = DefaultDnsRecordDecoder.decodeName(c);
                } else if (rec.type() == DnsRecordType.SOA) {
                    value = DefaultDnsRecordDecoder.decodeName(c) + " " + DefaultDnsRecordDecoder.decodeName(c);
                    c.readInt(); // serial changes with every update
                    value += " refresh=" + c.readInt() + " retry=" + c.readInt() + " expire=" + c.readInt()
                            + " minimum=" + c.readInt();
                } else {
                    value = "?";
                }
                out.add(rec.name() + " " + rec.type().name() + " " + value + " ttl=" + rec.timeToLive());
            }
            return out;
        }
    }
}
