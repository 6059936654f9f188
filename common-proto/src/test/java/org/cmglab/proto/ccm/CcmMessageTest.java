package org.cmglab.proto.ccm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class CcmMessageTest {

    static final String REG_HEADER = "<Msg ReplyCompression=\"zlib\" SchemaVersion=\"1.1\"><Body Type=\"ByteRange\" "
            + "Length=\"%d\" Offset=\"0\" /><CorrelationID>{00000000-0000-0000-0000-000000000000}</CorrelationID>"
            + "<Hooks><Hook3 Name=\"zlib-compress\" /></Hooks><ID>{5DD100CD-DF1D-45F5-BA17-A327F43465F8}</ID>"
            + "<Payload Type=\"inline\" /><Priority>0</Priority><Protocol>http</Protocol><ReplyMode>Sync</ReplyMode>"
            + "<ReplyTo>direct:CLIENT01:SccmMessaging</ReplyTo><SentTime>2026-01-01T00:00:00Z</SentTime>"
            + "<SourceHost>CLIENT01</SourceHost><TargetAddress>mp:MP_ClientRegistration</TargetAddress>"
            + "<TargetEndpoint>MP_ClientRegistration</TargetEndpoint><TargetHost>mp01.corp.contoso.com</TargetHost>"
            + "<Timeout>60000</Timeout></Msg>";

    static final String BODY = "<ClientRegistrationRequest><Data HashAlgorithm=\"1.2.840.113549.1.1.11\" SMSID=\"\">"
            + "<x/></Data><Signature><SignatureValue>AB</SignatureValue></Signature></ClientRegistrationRequest>";

    /** The request exactly as sccmwtf's sendRegistration concatenates it. */
    static byte[] sccmwtfBytes(String header, byte[] compressedBody) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes("--aAbBcCdDv1234567890VxXyYzZ\r\ncontent-type: text/plain; charset=UTF-16\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        o.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xFE});
        o.writeBytes(header.getBytes(StandardCharsets.UTF_16LE));
        o.writeBytes("\r\n--aAbBcCdDv1234567890VxXyYzZ\r\ncontent-type: application/octet-stream\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        o.writeBytes(compressedBody);
        o.writeBytes("\r\n--aAbBcCdDv1234567890VxXyYzZ--".getBytes(StandardCharsets.US_ASCII));
        return o.toByteArray();
    }

    static byte[] sccmwtfBody(String xml) {
        // Tools.encode_unicode(wrapper ending in "\x00") + "\r\n"
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes((xml + "\0").getBytes(StandardCharsets.UTF_16LE));
        o.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        return o.toByteArray();
    }

    @Test
    void framesByteForByteAsSccmwtf() {
        byte[] plain = sccmwtfBody(BODY);
        assertThat(CcmMessage.plainBody(BODY)).isEqualTo(plain);
        byte[] z = Zlib.compress(plain);
        String headerXml = String.format(REG_HEADER, plain.length - 2);
        CcmMsgHeader h = CcmMsgHeader.builder().replyCompression("zlib").body(plain.length - 2, 0)
                .zlibCompressed(true).id("{5DD100CD-DF1D-45F5-BA17-A327F43465F8}")
                .replyTo("direct:CLIENT01:SccmMessaging").sentTime("2026-01-01T00:00:00Z").sourceHost("CLIENT01")
                .target("MP_ClientRegistration").targetHost("mp01.corp.contoso.com").build();
        assertThat(h.toXml()).isEqualTo(headerXml);
        assertThat(CcmMessage.frame(h, z)).isEqualTo(sccmwtfBytes(headerXml, z));
        // zlib header as Python's zlib.compress (default level)
        assertThat(z[0] & 0xFF).isEqualTo(0x78);
        assertThat(z[1] & 0xFF).isEqualTo(0x9C);
    }

    @Test
    void decodesSccmwtfBytesAndCutsBodyToLength() {
        byte[] plain = sccmwtfBody(BODY);
        byte[] z = Zlib.compress(plain);
        byte[] wire = sccmwtfBytes(String.format(REG_HEADER, plain.length - 2), z);
        CcmMessage m = CcmMessage.decode(CcmMultipart.CONTENT_TYPE, wire, CcmMessage.Limits.DEFAULT);
        assertThat(m.header().endpoint()).isEqualTo("MP_ClientRegistration");
        assertThat(m.header().zlibCompressed()).isTrue();
        assertThat(m.header().bodyLength()).isEqualTo(plain.length - 2L);
        assertThat(m.bodyOnWire()).isEqualTo(z);
        assertThat(m.bodyXml()).isEqualTo(BODY);
        byte[] data = m.elementBytes("Data");
        String expect = BODY.substring(BODY.indexOf("<Data"), BODY.indexOf("</Data>") + 7);
        assertThat(data).isEqualTo(expect.getBytes(StandardCharsets.UTF_16LE));
    }

    @Test
    void uncompressedBodyWithoutHook3AndUnquotedBoundary() {
        // PXEThief style: no Hook3, plain UTF-16 body; another boundary, unquoted
        String header = "<Msg><ID/><SourceID>{AB}</SourceID><ReplyTo>direct:OSD</ReplyTo>"
                + "<TargetAddress>mp:[http]MP_PolicyManager</TargetAddress></Msg>";
        byte[] body = CcmMessage.plainBody("<RequestAssignments/>");
        byte[] wire = CcmMultipart.encode("------------638", List.of(
                new CcmMultipart.Part("text/plain; charset=UTF-16", Utf16.withBom(header)),
                new CcmMultipart.Part("application/octet-stream", body)));
        wire = (new String(wire, StandardCharsets.ISO_8859_1) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        CcmMessage m = CcmMessage.decode("multipart/mixed; boundary=------------638", wire, CcmMessage.Limits.DEFAULT);
        assertThat(m.header().endpoint()).isEqualTo("MP_PolicyManager");
        assertThat(m.bodyXml()).isEqualTo("<RequestAssignments/>");
    }

    @Test
    void hook2PropertiesRoundTrip() {
        CcmMsgHeader h = CcmMsgHeader.builder().clientAuth("AuthSenderMachine", "CLIENT01")
                .clientAuth("PublicKey", "0602").clientAuth("Token", "ClientToken:x;y\r\n").target("MP_PolicyManager")
                .sourceId("GUID:1").build();
        CcmMsgHeader p = CcmMsgHeader.parse(h.toXml());
        assertThat(p.clientAuth()).containsExactly(java.util.Map.entry("AuthSenderMachine", "CLIENT01"),
                java.util.Map.entry("PublicKey", "0602"), java.util.Map.entry("Token", "ClientToken:x;y\n")); // XML end-of-line normalisation
        assertThat(p.sourceId()).isEqualTo("GUID:1");
        assertThat(h.toXml()).contains("<Hook2 Name=\"clientauth\"><Property Name=\"AuthSenderMachine\">CLIENT01");
    }

    @Test
    void refusesZlibBomb() {
        byte[] zeros = new byte[4 << 20];
        byte[] z = Zlib.compress(zeros);
        assertThat(z.length).isLessThan(10_000);
        assertThatThrownBy(() -> Zlib.decompress(z, 1 << 20)).isInstanceOf(CcmFormatException.class)
                .extracting(e -> ((CcmFormatException) e).reason()).isEqualTo(CcmFormatException.Reason.ZLIB_BOMB);
        CcmMsgHeader h = CcmMsgHeader.builder().zlibCompressed(true).target("MP_LocationManager").build();
        byte[] wire = CcmMessage.frame(h, z);
        assertThatThrownBy(() -> CcmMessage.decode(CcmMultipart.CONTENT_TYPE, wire,
                new CcmMessage.Limits(1 << 20, 1 << 20, 64 << 10)))
                .extracting(e -> ((CcmFormatException) e).reason()).isEqualTo(CcmFormatException.Reason.ZLIB_BOMB);
    }

    @Test
    void refusesBadZlib() {
        CcmMsgHeader h = CcmMsgHeader.builder().zlibCompressed(true).target("MP_LocationManager").build();
        byte[] z = Zlib.compress(CcmMessage.plainBody("<a/>"));
        byte[] truncated = java.util.Arrays.copyOf(z, z.length - 6);
        for (byte[] bad : List.of(new byte[] {1, 2, 3, 4}, truncated)) {
            assertThatThrownBy(() -> CcmMessage.decode(CcmMultipart.CONTENT_TYPE, CcmMessage.frame(h, bad),
                    CcmMessage.Limits.DEFAULT)).extracting(e -> ((CcmFormatException) e).reason())
                    .isEqualTo(CcmFormatException.Reason.BAD_ZLIB);
        }
    }

    @Test
    void refusesBadUtf16() {
        byte[] odd = {(byte) 0xFF, (byte) 0xFE, '<', 0, 'M'};
        assertThatThrownBy(() -> Utf16.decode(odd)).extracting(e -> ((CcmFormatException) e).reason())
                .isEqualTo(CcmFormatException.Reason.BAD_UTF16);
        byte[] lone = {0x00, (byte) 0xD8, 'a', 0}; // unpaired high surrogate
        assertThatThrownBy(() -> Utf16.decode(lone)).extracting(e -> ((CcmFormatException) e).reason())
                .isEqualTo(CcmFormatException.Reason.BAD_UTF16);
        byte[] wire = CcmMultipart.encode(List.of(new CcmMultipart.Part(CcmMultipart.HEADER_TYPE, odd),
                new CcmMultipart.Part(CcmMultipart.BODY_TYPE, new byte[0])));
        assertThatThrownBy(() -> CcmMessage.decode(CcmMultipart.CONTENT_TYPE, wire, CcmMessage.Limits.DEFAULT))
                .isInstanceOf(CcmFormatException.class);
    }

    @Test
    void refusesMalformedMultipart() {
        byte[] good = CcmMessage.frame(CcmMsgHeader.builder().target("X").build(), new byte[] {1});
        String s = new String(good, StandardCharsets.ISO_8859_1);
        List<String> bad = List.of(s.substring(0, s.length() - 2), // no closing "--"
                s.replace("--aAbBcCdDv1234567890VxXyYzZ\r\ncontent-type: text/plain", "--other\r\ncontent-type: x"),
                "", "no delimiter at all", s.replace("content-type: text/plain; charset=UTF-16\r\n\r\n", "bogus\r\n\r\n"));
        for (String b : bad) {
            assertThatThrownBy(() -> CcmMessage.decode(CcmMultipart.CONTENT_TYPE, b.getBytes(StandardCharsets.ISO_8859_1),
                    CcmMessage.Limits.DEFAULT)).as(b).isInstanceOf(CcmFormatException.class)
                    .extracting(e -> ((CcmFormatException) e).reason())
                    .isEqualTo(CcmFormatException.Reason.MALFORMED_MULTIPART);
        }
        for (String ct : new String[] {null, "text/xml", "multipart/mixed", "multipart/mixed; boundary=\"x"}) {
            assertThatThrownBy(() -> CcmMessage.decode(ct, good, CcmMessage.Limits.DEFAULT))
                    .isInstanceOf(CcmFormatException.class);
        }
        assertThatThrownBy(() -> CcmMessage.decode(CcmMultipart.CONTENT_TYPE, good, new CcmMessage.Limits(10, 10, 10)))
                .extracting(e -> ((CcmFormatException) e).reason()).isEqualTo(CcmFormatException.Reason.TOO_LARGE);
    }

    @Test
    void refusesXxeAndDoctype() {
        String xxe = "<?xml version=\"1.0\"?><!DOCTYPE Msg [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                + "<Msg><TargetEndpoint>&x;</TargetEndpoint></Msg>";
        assertThatThrownBy(() -> CcmMsgHeader.parse(xxe)).extracting(e -> ((CcmFormatException) e).reason())
                .isEqualTo(CcmFormatException.Reason.BAD_XML);
        String laughs = "<!DOCTYPE a [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><Msg>&b;</Msg>";
        assertThatThrownBy(() -> SafeXml.parse(laughs)).isInstanceOf(CcmFormatException.class);
        assertThatThrownBy(() -> CcmMsgHeader.parse("<Msg><unclosed></Msg>")).isInstanceOf(CcmFormatException.class);
        assertThatThrownBy(() -> CcmMsgHeader.parse("<NotMsg/>")).extracting(e -> ((CcmFormatException) e).reason())
                .isEqualTo(CcmFormatException.Reason.MISSING_FIELD);
        assertThatThrownBy(() -> CcmMsgHeader.parse("<Msg><Body Length=\"-1\"/></Msg>"))
                .isInstanceOf(CcmFormatException.class);
    }
}
