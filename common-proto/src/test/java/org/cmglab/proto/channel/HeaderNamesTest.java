package org.cmglab.proto.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The channel's header-name fidelity for the headers network devices must allow (cmg-facts §3.5, §8). */
class HeaderNamesTest {
    static final List<String> CCM = List.of("Range", "CCMClientID", "CCMClientIDSignature", "CCMClientTimestamp",
            "CCMClientTimestampSignature", "CCMClientTimestampsSignature", "BITS-Packet-Type", "BITS-Session-Id",
            "Content-Range", "Depth");

    @Test
    void bothTimestampSignatureSpellingsAndEveryCcmHeaderRoundTripWithTheirSpelling() {
        Map<String, String> back = HeaderNames.decode(HeaderNames.encode(CCM));
        assertThat(back).hasSize(CCM.size());
        for (String n : CCM) {
            assertThat(back).containsEntry(n.toLowerCase(java.util.Locale.ROOT), n);
        }
        assertThat(back.get("ccmclienttimestampsignature")).isEqualTo("CCMClientTimestampSignature");
        assertThat(back.get("ccmclienttimestampssignature")).isEqualTo("CCMClientTimestampsSignature");
    }

    @Test
    void onlyHopByHopHeadersAreDropped() {
        for (String n : CCM) {
            assertThat(HeaderNames.isHopByHop(n.toLowerCase(java.util.Locale.ROOT))).as(n).isFalse();
        }
        assertThat(HeaderNames.isHopByHop("connection")).isTrue();
        assertThat(HeaderNames.isHopByHop("transfer-encoding")).isTrue();
        assertThat(HeaderNames.decode(null)).isEmpty();
        assertThat(HeaderNames.encode(List.of("A", "A", "B"))).isEqualTo("A,B");
    }
}
