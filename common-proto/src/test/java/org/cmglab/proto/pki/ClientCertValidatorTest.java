package org.cmglab.proto.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.cmglab.proto.pki.ClientCertValidator.Failure;
import org.cmglab.proto.pki.ClientCertValidator.Result;
import org.junit.jupiter.api.Test;

class ClientCertValidatorTest {

    private static final LabCa CA = LabCa.createEphemeral();
    private static final ClientCertValidator VALIDATOR = new ClientCertValidator(List.of(CA.root()));
    private static final Instant NOW = Instant.now();

    @Test
    void acceptsClientCertFromTrustedCa() {
        IssuedCert client = CA.issue(CertSpec.client("client01"));
        Result r = VALIDATOR.validate(client.chain(), NOW);
        assertThat(r.ok()).isTrue();
        assertThat(r.failure()).isNull();
        assertThat(r.leaf()).isEqualTo(client.certificate());
        assertThat(r.detail()).isEqualTo("client certificate CN=client01 is valid");
    }

    @Test
    void acceptsChainThatIncludesTheRoot() {
        IssuedCert client = CA.issue(CertSpec.client("client01"));
        assertThat(VALIDATOR.validate(List.of(client.certificate(), CA.root()), NOW).ok()).isTrue();
    }

    @Test
    void missing() {
        Result none = VALIDATOR.validate(List.of(), NOW);
        assertThat(none.ok()).isFalse();
        assertThat(none.failure()).isEqualTo(Failure.MISSING);
        assertThat(none.leaf()).isNull();
        assertThat(VALIDATOR.validate(null, NOW).failure()).isEqualTo(Failure.MISSING);
    }

    @Test
    void untrustedCa() {
        LabCa other = LabCa.createEphemeral();
        IssuedCert client = other.issue(CertSpec.client("intruder"));
        Result r = VALIDATOR.validate(client.chain(), NOW);
        assertThat(r.failure()).isEqualTo(Failure.UNTRUSTED_CA);
        assertThat(r.detail()).startsWith("client certificate CN=intruder issued by CN=CMG Lab Root CA,O=CMG Lab")
                .contains("does not chain to a trusted root");
        // even when the foreign root is sent along
        assertThat(VALIDATOR.validate(List.of(client.certificate(), other.root()), NOW).failure())
                .isEqualTo(Failure.UNTRUSTED_CA);
    }

    @Test
    void expired() {
        Instant notAfter = Instant.parse("2026-01-01T00:00:00Z");
        IssuedCert client = CA.issue(CertSpec.builder("client01").ekus(Eku.CLIENT_AUTH)
                .notBefore(notAfter.minusSeconds(86_400)).notAfter(notAfter).build());
        Result r = VALIDATOR.validate(client.chain(), notAfter.plusSeconds(1));
        assertThat(r.failure()).isEqualTo(Failure.EXPIRED);
        assertThat(r.detail()).isEqualTo("client certificate CN=client01 expired at 2026-01-01T00:00:00Z");
        assertThat(VALIDATOR.validate(client.chain(), notAfter.minusSeconds(1)).ok()).isTrue();
    }

    @Test
    void notYetValid() {
        Instant notBefore = NOW.plusSeconds(3600).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        IssuedCert client = CA.issue(CertSpec.builder("future").ekus(Eku.CLIENT_AUTH)
                .notBefore(notBefore).notAfter(notBefore.plusSeconds(86_400)).build());
        Result r = VALIDATOR.validate(client.chain(), NOW);
        assertThat(r.failure()).isEqualTo(Failure.NOT_YET_VALID);
        assertThat(r.detail()).isEqualTo("client certificate CN=future is not valid before " + notBefore);
    }

    @Test
    void wrongEkuServerOnly() {
        IssuedCert server = CA.issue(CertSpec.server("srv", List.of("srv.lab"), List.of()));
        Result r = VALIDATOR.validate(server.chain(), NOW);
        assertThat(r.failure()).isEqualTo(Failure.WRONG_EKU);
        assertThat(r.detail()).contains("CN=srv", "not valid for client authentication", Eku.SERVER_AUTH.oid());
    }

    @Test
    void noEkuAtAllIsRejected() {
        IssuedCert plain = CA.issue(CertSpec.builder("plain").build());
        Result r = VALIDATOR.validate(plain.chain(), NOW);
        assertThat(r.failure()).isEqualTo(Failure.WRONG_EKU);
        assertThat(r.detail()).contains("has no extended key usage");
    }

    @Test
    void intermediateChain() {
        IssuedCert intermediate = CA.issue(CertSpec.builder("CMG Lab Issuing CA").ca(true).build());
        IssuedCert client = CA.issueFrom(intermediate, CertSpec.client("client02"));
        assertThat(VALIDATOR.validate(client.chain(), NOW).ok()).isTrue();
        // without the intermediate the path cannot be built
        assertThat(VALIDATOR.validate(List.of(client.certificate()), NOW).failure())
                .isEqualTo(Failure.UNTRUSTED_CA);
    }

    @Test
    void expiredIntermediateIsNamed() {
        Instant end = Instant.parse("2026-01-01T00:00:00Z");
        IssuedCert intermediate = CA.issue(CertSpec.builder("Old Issuing CA").ca(true)
                .notBefore(end.minusSeconds(86_400)).notAfter(end).build());
        IssuedCert client = CA.issueFrom(intermediate, CertSpec.builder("client03").ekus(Eku.CLIENT_AUTH)
                .notBefore(end.minusSeconds(3600)).notAfter(end.plusSeconds(86_400)).build());
        Result r = VALIDATOR.validate(client.chain(), end.plusSeconds(60));
        assertThat(r.failure()).isEqualTo(Failure.EXPIRED);
        assertThat(r.detail()).isEqualTo(
                "issuing certificate CN=Old Issuing CA of client certificate CN=client03 expired at 2026-01-01T00:00:00Z");
    }
}
