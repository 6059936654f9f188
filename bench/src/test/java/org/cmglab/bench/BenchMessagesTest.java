package org.cmglab.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import org.cmglab.proto.ccm.CcmMessage;
import org.cmglab.proto.ccm.CcmMultipart;
import org.junit.jupiter.api.Test;

class BenchMessagesTest {
    private static final String DEVICE = "GUID:0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0";

    @Test
    void w1RequestIsAboutTwoKilobytesAndAValidLocationMessage() {
        byte[] b = BenchMessages.w1Request(DEVICE, "P0100B01", "P01", Instant.parse("2026-11-29T09:00:00Z"));
        assertThat(b.length).isBetween(1800, 2600);
        CcmMessage m = CcmMessage.decode(CcmMultipart.CONTENT_TYPE, b, CcmMessage.Limits.DEFAULT);
        assertThat(m.header().endpoint()).isEqualTo("MP_LocationManager");
        assertThat(m.header().sourceId()).isEqualTo(DEVICE);
        assertThat(m.header().replyCompression()).isEqualTo("none");
        assertThat(m.bodyXml()).startsWith("<ContentLocationRequest").contains("ID=\"P0100B01\"", "OnInternet=\"0\"");
    }

    @Test
    void contentUrlIsFoundInAUtf16ReplyAtEitherAlignment() {
        String xml = "<LocationRecord><URL Name=\"https://GraniteFalls.contoso.com:20443/downloadrestservice.svc/"
                + "getcontentxmlsecure?pid=P0100B05&amp;cid=P0100B05&amp;sig=abc\" Signature=\"\"/></LocationRecord>";
        byte[] utf16 = xml.getBytes(StandardCharsets.UTF_16LE);
        for (int pad = 0; pad < 2; pad++) {
            byte[] reply = new byte[pad + 5 + utf16.length];
            System.arraycopy("--ab\n".getBytes(StandardCharsets.US_ASCII), 0, reply, pad, 5);
            System.arraycopy(utf16, 0, reply, pad + 5, utf16.length);
            assertThat(BenchMessages.contentUrl(reply)).isEqualTo("https://GraniteFalls.contoso.com:20443/"
                    + "downloadrestservice.svc/getcontentxmlsecure?pid=P0100B05&cid=P0100B05&sig=abc");
        }
        assertThat(BenchMessages.contentUrl("<LocationRecord/>".getBytes(StandardCharsets.UTF_16LE))).isNull();
    }

    @Test
    void theDistributionPointsOfAUtf16LocationReplyAreReadInOrderAtEitherAlignment() {
        StringBuilder xml = new StringBuilder("<ContentLocationReply><LocationRecords>");
        for (String dp : new String[] {"mp01.corp.contoso.com", "dp02.corp.contoso.com", "dp03.corp.contoso.com"}) {
            xml.append("<LocationRecord><URL Name=\"https://").append(dp).append("/SMS_DP_SMSPKG$/P0100B01\"/>")
                    .append("<ServerRemoteName>").append(dp).append("</ServerRemoteName><DPType>SERVER</DPType>")
                    .append("</LocationRecord>");
        }
        xml.append("<LocationRecord><ServerRemoteName>cmg</ServerRemoteName><DPType>CLOUD</DPType></LocationRecord>")
                .append("</LocationRecords></ContentLocationReply>");
        byte[] utf16 = xml.toString().getBytes(StandardCharsets.UTF_16LE);
        for (int pad = 0; pad < 2; pad++) {
            byte[] reply = new byte[pad + 5 + utf16.length];
            System.arraycopy("--ab\n".getBytes(StandardCharsets.US_ASCII), 0, reply, pad, 5);
            System.arraycopy(utf16, 0, reply, pad + 5, utf16.length);
            assertThat(BenchMessages.distributionPoints(reply)).containsExactly("mp01.corp.contoso.com",
                    "dp02.corp.contoso.com", "dp03.corp.contoso.com");
        }
        assertThat(BenchMessages.distributionPoints("<LocationRecords/>".getBytes(StandardCharsets.UTF_16LE))).isEmpty();
    }

    @Test
    void deviceIdComesFromTheTokenPayload() {
        String payload = Base64.getUrlEncoder().withoutPadding()
                .encodeToString(("{\"DeviceId\":\"" + DEVICE + "\",\"Type\":\"UDA\"}").getBytes(StandardCharsets.UTF_8));
        assertThat(BenchMessages.deviceId("eyJhbGciOiJSUzI1NiJ9." + payload + ".sig")).isEqualTo(DEVICE);
        String none = Base64.getUrlEncoder().withoutPadding().encodeToString("{}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> BenchMessages.deviceId("a." + none + ".b")).hasMessageContaining("no DeviceId");
        assertThatThrownBy(() -> BenchMessages.deviceId("nodots")).hasMessageContaining("not a JWT");
    }
}
