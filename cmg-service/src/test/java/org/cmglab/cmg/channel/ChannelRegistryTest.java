package org.cmglab.cmg.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import java.util.Set;
import org.cmglab.proto.channel.ChannelHello;
import org.cmglab.proto.channel.ChannelProtocol;
import org.junit.jupiter.api.Test;

/** Which hellos {@link ChannelRegistry#tryAdd} registers, and why it refuses the others. */
class ChannelRegistryTest {
    static final String MP = "72057594037927939";
    static final String SUP = "72057594037927940";

    static GatewayChannel channel(EmbeddedChannel parent, String connectionId, String... roles) {
        List<ChannelHello.Role> r = java.util.Arrays.stream(roles).map(id -> new ChannelHello.Role(id, "MP")).toList();
        return new GatewayChannel(parent, new ChannelHello(ChannelProtocol.UPGRADE_TOKEN, connectionId,
                "cmgcp01.corp.contoso.com", "P01", "TCP-TLS", r), "TCP-TLS", 10140, "CN=cmgcp01");
    }

    @Test
    void registersAHelloThatServesAtLeastOnePublishedRole() {
        ChannelRegistry reg = new ChannelRegistry(Set.of(MP));
        EmbeddedChannel parent = new EmbeddedChannel();
        assertThat(reg.tryAdd(channel(parent, "a", "72057594037927999", MP))).isNull();
        assertThat(reg.status()).extracting(GatewayChannel.Status::connectionId).containsExactly("a");
        parent.finishAndReleaseAll();
    }

    @Test
    void refusesAHelloThatServesNoPublishedRole() {
        ChannelRegistry reg = new ChannelRegistry(Set.of(MP, SUP));
        EmbeddedChannel parent = new EmbeddedChannel();
        assertThat(reg.tryAdd(channel(parent, "a", "72057594037927999")))
                .contains("serves none of the roles this CMG publishes").contains("72057594037927999");
        assertThat(reg.status()).isEmpty();
        parent.finishAndReleaseAll();
    }

    @Test
    void withoutPublishedRolesAnyHelloIsRegistered() {
        ChannelRegistry reg = new ChannelRegistry();
        EmbeddedChannel parent = new EmbeddedChannel();
        assertThat(reg.tryAdd(channel(parent, "a", "72057594037927999"))).isNull();
        assertThat(reg.status()).hasSize(1);
        parent.finishAndReleaseAll();
    }

    @Test
    void refusesAConnectionIdThatAnOpenChannelHoldsAndAdmitsItOnceThatOneIsClosed() {
        ChannelRegistry reg = new ChannelRegistry(Set.of(MP));
        EmbeddedChannel first = new EmbeddedChannel();
        EmbeddedChannel second = new EmbeddedChannel();
        EmbeddedChannel third = new EmbeddedChannel();
        assertThat(reg.tryAdd(channel(first, "same", MP))).isNull();
        assertThat(reg.tryAdd(channel(second, "same", MP))).contains("connection id same is already in use");
        assertThat(reg.status()).hasSize(1);
        first.close();
        assertThat(reg.tryAdd(channel(third, "same", MP))).isNull();
        first.finishAndReleaseAll();
        second.finishAndReleaseAll();
        third.finishAndReleaseAll();
    }
}
