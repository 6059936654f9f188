package org.cmglab.proto.pki;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.ssl.SslContext;
import java.util.List;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.Test;

/** Every TLS context of the lab: TLS 1.2+ only, forward-secret AEAD suites, host names verified by clients. */
class TlsPolicyTest {
    static final LabCa CA = LabCa.createEphemeral();

    @Test
    void serverAndClientContextsOfferOnlyTls12PlusWithEcdheAead() throws Exception {
        IssuedCert server = CA.issue(CertSpec.server("cmg.lab.test", List.of("cmg.lab.test"), List.of()));
        for (SslContext ctx : List.of(TlsContexts.server(server, ClientAuthMode.NONE, List.of()),
                TlsContexts.server(server, ClientAuthMode.DEFERRED, List.of(CA.root())),
                TlsContexts.client(List.of(CA.root()), null))) {
            assertThat(ctx.cipherSuites()).isNotEmpty().allSatisfy(c -> assertThat(c)
                    .matches("TLS_(AES|CHACHA20)_.*|TLS_ECDHE_(ECDSA|RSA)_WITH_(AES_(128|256)_GCM|CHACHA20_POLY1305)_SHA(256|384)|"
                            + "ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)|TLS_.*_SHA(256|384)"));
            SSLEngine engine = ctx.newEngine(io.netty.buffer.ByteBufAllocator.DEFAULT);
            try {
                assertThat(engine.getEnabledProtocols()).doesNotContain("SSLv3", "TLSv1", "TLSv1.1")
                        .contains("TLSv1.2");
                assertThat(engine.getEnabledCipherSuites()).noneMatch(c -> c.contains("CBC") || c.contains("_RSA_WITH_")
                        && !c.contains("ECDHE") || c.contains("NULL") || c.contains("RC4") || c.contains("3DES"));
            } finally {
                io.netty.util.ReferenceCountUtil.release(engine);
            }
        }
    }

    @Test
    void clientContextsVerifyTheServerHostName() throws Exception {
        SslContext client = TlsContexts.client(List.of(CA.root()), null);
        SSLEngine engine = client.newEngine(io.netty.buffer.ByteBufAllocator.DEFAULT, "cmg.lab.test", 443);
        try {
            assertThat(engine.getSSLParameters().getEndpointIdentificationAlgorithm()).isEqualTo("HTTPS");
        } finally {
            io.netty.util.ReferenceCountUtil.release(engine);
        }
    }
}
