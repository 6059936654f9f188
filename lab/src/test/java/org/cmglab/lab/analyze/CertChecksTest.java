package org.cmglab.lab.analyze;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.Eku;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CertChecksTest {
    static final String SERVICE = "GraniteFalls.contoso.com";
    static LabCa ca;
    static LabCa foreign;
    static X509Certificate root;

    @BeforeAll
    static void cas() {
        ca = LabCa.createEphemeral();
        foreign = LabCa.createEphemeral();
        root = ca.root();
    }

    static Check named(List<Check> checks, String prefix) {
        return checks.stream().filter(c -> c.name().startsWith(prefix)).findFirst().orElseThrow();
    }

    @Test
    void theLabServerCertificatePassesEveryCheck() {
        IssuedCert cmg = ca.issue(CertSpec.server(SERVICE, List.of(SERVICE, "granitefalls.westus.cloudapp.azure.com"),
                List.of()));
        List<Check> checks = CertChecks.serverCertificate(cmg.chain(), root, SERVICE, Instant.now());
        assertThat(checks).hasSize(3).allSatisfy(c -> assertThat(c.status()).as(c.toString()).isEqualTo(Check.Status.PASS));
        assertThat(named(checks, "Server certificate name").reason()).contains(SERVICE);
        assertThat(named(checks, "Server certificate is within").reason()).contains("days left");
    }

    @Test
    void aCertificateForAnotherNameFailsTheNameCheckWithAFix() {
        IssuedCert other = ca.issue(CertSpec.server("other.contoso.com", List.of("other.contoso.com"), List.of()));
        List<Check> checks = CertChecks.serverCertificate(other.chain(), root, SERVICE, Instant.now());
        Check name = named(checks, "Server certificate name");
        assertThat(name.failed()).isTrue();
        assertThat(name.reason()).contains("other.contoso.com").contains("not the service name " + SERVICE);
        assertThat(name.fix()).contains("CN").contains(SERVICE);
        assertThat(named(checks, "Server certificate chains").passed()).isTrue();
    }

    @Test
    void aCertificateFromAnotherRootFailsTheChainCheck() {
        IssuedCert cmg = foreign.issue(CertSpec.server(SERVICE, List.of(SERVICE), List.of()));
        Check chain = named(CertChecks.serverCertificate(cmg.chain(), root, SERVICE, Instant.now()),
                "Server certificate chains");
        assertThat(chain.failed()).isTrue();
        assertThat(chain.reason()).contains("does not chain to");
        assertThat(chain.fix()).contains("lab root");
    }

    @Test
    void anExpiredCertificateFailsTheValidityCheck() {
        Instant now = Instant.now();
        IssuedCert old = ca.issue(CertSpec.builder(SERVICE).dnsNames(SERVICE).ekus(Eku.SERVER_AUTH)
                .notBefore(now.minus(Duration.ofDays(30))).notAfter(now.minus(Duration.ofDays(1))).build());
        List<Check> checks = CertChecks.serverCertificate(old.chain(), root, SERVICE, now);
        Check validity = named(checks, "Server certificate is within");
        assertThat(validity.failed()).isTrue();
        assertThat(validity.reason()).startsWith("expired at");
        assertThat(validity.fix()).contains("Renew");
        assertThat(named(checks, "Server certificate name").passed()).isTrue();
    }

    @Test
    void noCertificateAtAllFails() {
        assertThat(CertChecks.serverCertificate(List.of(), root, SERVICE, Instant.now()))
                .singleElement().satisfies(c -> assertThat(c.failed()).isTrue());
    }

    @Test
    void theLabClientCertificatePassesAndAServerOnlyCertificateFailsTheEku() {
        IssuedCert client = ca.issue(CertSpec.client("client01.corp.contoso.com"));
        assertThat(CertChecks.clientCertificate(client.chain(), root, Instant.now()))
                .hasSize(3).allSatisfy(c -> assertThat(c.passed()).as(c.toString()).isTrue());

        IssuedCert serverOnly = ca.issue(CertSpec.builder("client01.corp.contoso.com").ekus(Eku.SERVER_AUTH).build());
        Check eku = named(CertChecks.clientCertificate(serverOnly.chain(), root, Instant.now()), "Client certificate has");
        assertThat(eku.failed()).isTrue();
        assertThat(eku.reason()).contains("1.3.6.1.5.5.7.3.2");
        assertThat(eku.fix()).contains("Client Authentication");
    }
}
