package org.cmglab.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.runtime.EventLoops;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CmgClientTest {
    static final String SERVICE = "GraniteFalls.contoso.com";
    static LabCa ca;
    static IssuedCert cmgCert;
    static EventLoopGroup group;

    @BeforeAll
    static void setUp() {
        ca = LabCa.createEphemeral();
        cmgCert = ca.issue(CertSpec.server(SERVICE, List.of(SERVICE), List.of()));
        group = EventLoops.newGroup(2, "cmg-client-test");
    }

    @AfterAll
    static void tearDown() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    @Test
    void silentServerEndsAsNoResponseWithinTheResponseTimeout() throws Exception {
        try (TinyCmg cmg = new TinyCmg(group, cmgCert, ca.root(), true)) {
            FlowEventLog events = new FlowEventLog("client-sim", null);
            CmgClient client = new CmgClient(group, events, Duration.ofSeconds(5), Duration.ofMillis(300));
            CmgTarget target = new CmgTarget(SERVICE, cmg.port(), new InetSocketAddress("127.0.0.1", cmg.port()),
                    "127.0.0.1");
            String trace = TraceContext.newTraceId();
            long t0 = System.nanoTime();
            MpListResult r = client.get(target, "/x", trace, List.of(ca.root()), null);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            assertThat(r.exitCode()).isEqualTo(5);
            assertThat(r.error()).contains("no response within");
            assertThat(cmg.take().uri()).isEqualTo("/x");
            assertThat(events.snapshot(trace)).singleElement().satisfies(e -> {
                assertThat(e.outcome()).isEqualTo("no-response");
                assertThat(e.latencyMs()).isGreaterThanOrEqualTo(300.0);
            });
        }
    }

    @Test
    void mplistParserReadsMpsAndRefusesDoctypes() {
        assertThat(MpListParser.parse(TinyCmg.MPLIST.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .containsExactly(new MpListResult.Mp("MP01", "mp01.corp.contoso.com"),
                        new MpListResult.Mp("MP02", "mp02.corp.contoso.com"));
        assertThat(MpListParser.parse("<MPList></MPList>".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .isEmpty();
        byte[] xxe = ("<?xml version=\"1.0\"?><!DOCTYPE MPList [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                + "<MPList><MP Name=\"&x;\" FQDN=\"a\"/></MPList>").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MpListParser.parse(xxe))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an MPLIST reply");
    }

    @Test
    void hostHeaderAndOriginOmitTheDefaultPort() {
        CmgTarget t443 = new CmgTarget(SERVICE, 443, new InetSocketAddress("127.0.0.1", 443), "127.0.0.1");
        assertThat(t443.hostHeader()).isEqualTo(SERVICE);
        assertThat(t443.origin()).isEqualTo("https://" + SERVICE);
        CmgTarget t8443 = new CmgTarget(SERVICE, 8443, new InetSocketAddress("127.0.0.1", 8443), "127.0.0.1");
        assertThat(t8443.hostHeader()).isEqualTo(SERVICE + ":8443");
    }
}
