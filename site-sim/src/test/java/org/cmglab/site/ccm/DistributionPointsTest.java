package org.cmglab.site.ccm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cmglab.proto.ccm.SafeXml;
import org.cmglab.proto.config.MpMessagingConfig;
import org.junit.jupiter.api.Test;

/** The site's other DPs in the MP's content location replies, and the admin action that places content on them. */
class DistributionPointsTest {
    private static final String CLOUD = "<LocationRecord><URL Name=\"https://cmg/x\"/><DPType>CLOUD</DPType>"
            + "</LocationRecord>";

    private static String request(String pkg, boolean internet) {
        int i = internet ? 1 : 0;
        return "<ContentLocationRequest SchemaVersion=\"1.00\"><Package ID=\"" + pkg + "\" Version=\"1\"/>"
                + "<ClientLocationInfo UseInternetDP=\"" + i + "\" OnInternet=\"" + i + "\"/></ContentLocationRequest>";
    }

    private static List<String> serverNames(String reply) {
        Matcher m = Pattern.compile("<ServerRemoteName>([^<]+)</ServerRemoteName><DPType>([A-Z]+)</DPType>")
                .matcher(reply);
        List<String> out = new java.util.ArrayList<>();
        while (m.find()) {
            out.add(m.group(1) + " " + m.group(2));
        }
        return out;
    }

    @Test
    void anIntranetLocationReplyListsEveryDpHoldingThePackageAfterTheMpsOwn() {
        DistributionPoints dps = new DistributionPoints("mp01.corp.contoso.com", true, 9128);
        assertThat(dps.place("P0100B01", 2)).containsExactly("dp02.corp.contoso.com", "dp03.corp.contoso.com");
        ContentLocationSource cloud = (pkg, v, internet) -> List.of(CLOUD);
        LocationReplies replies = new LocationReplies("P01", "MP01", "mp01.corp.contoso.com", true, 9128,
                MpMessagingConfig.defaults(), dps.then(cloud));

        String intranet = replies.reply(SafeXml.parse(request("P0100B01", false)), false, "GUID:A");
        assertThat(serverNames(intranet)).containsExactly("mp01.corp.contoso.com SERVER",
                "dp02.corp.contoso.com SERVER", "dp03.corp.contoso.com SERVER");
        assertThat(intranet).contains("URL Name=\"https://dp03.corp.contoso.com/SMS_DP_SMSPKG$/P0100B01\""
                + " Signature=\"https://dp03.corp.contoso.com/SMS_DP_SMSSIG$/P0100B01\"").endsWith(CLOUD
                + "</LocationRecords></Site></Sites><RelatedContentIDs/></ContentLocationReply>");
        // each DP's record has the MP DP's shape: the reply grows by one such record per DP
        String mpOnly = new LocationReplies("P01", "MP01", "mp01.corp.contoso.com", true, 9128,
                MpMessagingConfig.defaults(), cloud).reply(SafeXml.parse(request("P0100B01", false)), false, "GUID:A");
        assertThat(intranet.length() - mpOnly.length()).isEqualTo(2 * LocationReplies.dpRecord(
                "dp02.corp.contoso.com", true, 9128, "P0100B01").length());

        // internet clients never get on-premises DPs; other packages are on the MP's DP only
        assertThat(serverNames(replies.reply(SafeXml.parse(request("P0100B01", true)), false, "GUID:A"))).isEmpty();
        assertThat(serverNames(replies.reply(SafeXml.parse(request("P0100B02", false)), false, "GUID:A")))
                .containsExactly("mp01.corp.contoso.com SERVER");

        // count 0: back to the MP's DP alone
        assertThat(dps.place("P0100B01", 0)).isEmpty();
        assertThat(serverNames(replies.reply(SafeXml.parse(request("P0100B01", false)), false, "GUID:A")))
                .containsExactly("mp01.corp.contoso.com SERVER");
    }

    @Test
    void theAdminActionChecksItsInput() {
        DistributionPoints dps = new DistributionPoints("mp01.corp.contoso.com", false, 9128);
        assertThat(dps.adminPlace(Map.of("package", List.of("P0100B01"), "count", List.of("3"))))
                .containsEntry("distributionPoints", List.of("dp02.corp.contoso.com", "dp03.corp.contoso.com",
                        "dp04.corp.contoso.com"));
        assertThat(dps.describe()).containsOnlyKeys("P0100B01");
        assertThat(dps.locationRecords("P0100B01", "1", false).get(0))
                .contains("http://dp02.corp.contoso.com/SMS_DP_SMSPKG$/P0100B01", "Value=\"0\"");
        assertThatThrownBy(() -> dps.adminPlace(Map.of("package", List.of("P0100B01"), "count", List.of("many"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("count: many");
        assertThatThrownBy(() -> dps.adminPlace(Map.of("package", List.of("P0100B01"), "count", List.of("21"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0..20");
        assertThatThrownBy(() -> dps.adminPlace(Map.of("package", List.of("../x"), "count", List.of("1"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("package: ../x");
        assertThatThrownBy(() -> dps.adminPlace(Map.of("count", List.of("1"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("package: null");
    }
}
