package org.cmglab.netdev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.config.NetworkDeviceConfig;
import org.cmglab.proto.config.NetworkDeviceConfig.Hop;
import org.cmglab.proto.config.NetworkDeviceConfig.Rules;
import org.cmglab.proto.config.NetworkDeviceConfig.VerbBlock;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.Test;

class NetworkDeviceConfigTest {
    static Hop hop(String name, Rules rules) {
        return new Hop(name, null, null, null, new Endpoint("127.0.0.1", 0), null, "mp01.corp.contoso.com",
                new Endpoint("127.0.0.1", 80), false, null, rules);
    }

    @Test
    void jsonRoundTripKeepsRulesAndDefaults() {
        NetworkDeviceConfig c = new NetworkDeviceConfig("fw01", List.of(hop("cp-mp", new Rules(List.of("Range"),
                List.of(new VerbBlock("PROPFIND", null), new VerbBlock("BITS_POST", "RESET"))))), null,
                new Endpoint("127.0.0.1", 0), null);
        NetworkDeviceConfig back = Json.read(Json.write(c), NetworkDeviceConfig.class);
        assertThat(back).isEqualTo(c);
        assertThat(back.hops().get(0).step()).isEqualTo("NET");
        assertThat(back.hops().get(0).rules().blockVerbs()).extracting(VerbBlock::action).containsExactly("reject", "reset");
        assertThat(hop("x", null).rules()).isEqualTo(Rules.ALLOW_ALL);
    }

    @Test
    void badConfigsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> new NetworkDeviceConfig("fw", List.of(), null, new Endpoint("127.0.0.1", 0), null))
                .hasMessageContaining("at least one");
        assertThatThrownBy(() -> new NetworkDeviceConfig("fw", List.of(hop("a", null), hop("a", null)), null,
                new Endpoint("127.0.0.1", 0), null)).hasMessageContaining("distinct");
        assertThatThrownBy(() -> hop("bad name", null)).hasMessageContaining("name");
        assertThatThrownBy(() -> new Rules(List.of("Bad Header"), null)).hasMessageContaining("HTTP token");
        assertThatThrownBy(() -> new Rules(null, List.of(new VerbBlock("GET", null), new VerbBlock("GET", "reset"))))
                .hasMessageContaining("at most once");
        assertThatThrownBy(() -> new VerbBlock("GET", "drop")).hasMessageContaining("reject or reset");
        assertThatThrownBy(() -> new Endpoint("10.0.0.1", 443)).hasMessageContaining("127.0.0.0/8");
    }
}
