package org.cmglab.cmg.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.cmglab.proto.channel.ChannelHello;
import org.cmglab.proto.channel.ChannelPipelines;
import org.cmglab.proto.channel.ChannelProtocol;
import org.cmglab.proto.channel.ChannelSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A connection point that opens a new channel for the same slot (same connection point, transport and port on this
 * instance) while the CMG still holds the old one (e.g. a silent, black-holed channel whose PING deadline has not
 * passed on the CMG's side yet): the CMG routes no new request to the old channel from that moment.
 */
class ChannelRegistrySupersedeTest {
    static final String ROLE = "72057594037927939";
    static final String CP1 = "cmgcp01.corp.contoso.com";
    static final String CERT1 = "CN=" + CP1;
    private final List<EmbeddedChannel> parents = new ArrayList<>();

    @AfterEach
    void close() {
        parents.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    /** A registered channel on an EmbeddedChannel with the CMG side's real HTTP/2 pipeline. */
    GatewayChannel channel(ChannelRegistry r, String id, String connector, String cert, String transport, int port) {
        EmbeddedChannel parent = new EmbeddedChannel();
        ChannelPipelines.installGatewaySide(parent, ChannelSettings.defaults(), "test " + id,
                new ChannelInboundHandlerAdapter());
        parents.add(parent);
        GatewayChannel c = new GatewayChannel(parent, new ChannelHello(ChannelProtocol.UPGRADE_TOKEN, id, connector,
                "P01", transport, List.of(new ChannelHello.Role(ROLE, "MP"))), transport, port, cert);
        r.add(c);
        return c;
    }

    static Set<String> picks(ChannelRegistry r, int n) {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < n; i++) {
            GatewayChannel c = r.pick(ROLE);
            ids.add(c == null ? "none" : c.hello().connectionId());
        }
        return ids;
    }

    @Test
    void aNewChannelOfTheSameConnectionPointAndPortTakesTheOldOneOutOfRotationAtOnce() {
        ChannelRegistry r = new ChannelRegistry();
        GatewayChannel old = channel(r, "conn-old", CP1, CERT1, "HTTPS", 10125);
        assertThat(picks(r, 4)).containsExactly("conn-old");

        GatewayChannel fresh = channel(r, "conn-new", CP1.toUpperCase(java.util.Locale.ROOT), CERT1, "HTTPS", 10125);

        assertThat(picks(r, 6)).as("every new request goes to the new channel").containsExactly("conn-new");
        assertThat(old.supersededBy()).isEqualTo("conn-new");
        assertThat(old.parent().isActive()).as("the old channel is not closed (streams in flight finish)").isTrue();
        assertThat(old.status().ready()).isFalse();
        assertThat(old.status().supersededBy()).isEqualTo("conn-new");
        assertThat(fresh.status().ready()).isTrue();
        assertThat(fresh.supersededBy()).isNull();
        assertThat(r.status()).hasSize(2);
        // a retry after a failure on the new channel has nowhere else to go: never the superseded one
        assertThat(r.pick(ROLE, fresh)).isNull();
        assertThat(r.anyReady()).isTrue();
    }

    @Test
    void otherConnectionPointsOtherCertificatesAndOtherPortsKeepTheirChannels() {
        ChannelRegistry r = new ChannelRegistry();
        channel(r, "cp1-https", CP1, CERT1, "HTTPS", 10125);
        channel(r, "cp2-https", "cmgcp02.corp.contoso.com", "CN=cmgcp02.corp.contoso.com", "HTTPS", 10125);
        // same name, another certificate: not the same connection point
        channel(r, "cp1-other-cert", CP1, "CN=someone-else", "HTTPS", 10125);
        // the same connection point's TCP-TLS channel replacing its HTTPS fallback drains that one itself
        channel(r, "cp1-tcp-tls", CP1, CERT1, "TCP-TLS", 10141);

        assertThat(picks(r, 12)).containsExactlyInAnyOrder("cp1-https", "cp2-https", "cp1-other-cert", "cp1-tcp-tls");
        assertThat(r.status()).allSatisfy(s -> assertThat(s.supersededBy()).isNull());
    }

    @Test
    void aChannelIsSupersededOnceByTheFirstNewerChannelAndTheNewestServes() {
        ChannelRegistry r = new ChannelRegistry();
        GatewayChannel a = channel(r, "a", CP1, CERT1, "HTTPS", 443);
        GatewayChannel b = channel(r, "b", CP1, CERT1, "HTTPS", 443);
        GatewayChannel c = channel(r, "c", CP1, CERT1, "HTTPS", 443);
        assertThat(a.supersededBy()).isEqualTo("b");
        assertThat(b.supersededBy()).isEqualTo("c");
        assertThat(c.supersededBy()).isNull();
        assertThat(picks(r, 5)).containsExactly("c");
        // the newest channel closes first: the one it replaced serves again (a replacement the CMG refuses or that dies
        // must not leave the instance without a channel while the connection point sees its own channel as fine)
        c.parent().close();
        r.remove(c);
        assertThat(picks(r, 5)).containsExactly("b");
        assertThat(b.supersededBy()).isNull();
        assertThat(a.supersededBy()).isEqualTo("b");
        // and when that one closes too, the oldest still open channel serves (its PING deadline removes it if dead)
        b.parent().close();
        r.remove(b);
        assertThat(picks(r, 5)).containsExactly("a");
    }
}
