package org.cmglab.lab.analyze;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.cmglab.lab.ClientRun;
import org.cmglab.lab.LabPlan;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The analyzer's order and verdicts over fake probes (no processes): a healthy lab, a lab without its connection point. */
class ConnectionAnalyzerTest {
    @TempDir
    static Path tmp;
    static LabPlan plan;

    @BeforeAll
    static void plan() {
        plan = LabPlan.builder().home(tmp).stateDir(tmp.resolve("state")).net(123).portOffset(20000).build();
        plan.materialize();
    }

    static ClientRun run(int exit, String resultJson) {
        try {
            return new ClientRun("0af7651916cd43dd8448eb211c80319c", exit,
                    resultJson == null ? null : Json.MAPPER.readTree(resultJson), "");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A lab that answers as configured; records the client-sim subcommands it was asked to run. */
    static final class FakeProbes implements ConnectionAnalyzer.Probes {
        String resolved;
        boolean channelReady = true;
        final Map<String, ClientRun> clients = new HashMap<>();
        final List<String> ran = new ArrayList<>();
        int bulkTokens;

        FakeProbes() {
            resolved = plan.vipAddress();
            clients.put("mplist", run(0, "{\"status\":200,\"mps\":[{\"name\":\"MP01\",\"fqdn\":\"mp01.corp.contoso.com\"}]}"));
            clients.put("register", run(0, "{\"smsId\":\"GUID:1\"}"));
            clients.put("location", run(0, "{\"internetMp\":\"https://x/CCM_Proxy_MutualAuth/1\",\"wsusUrl\":\"https://y\"}"));
            clients.put("probe", run(0, "{\"status\":200}"));
            clients.put("token", run(0, "{\"status\":200,\"tokenType\":\"UDA\",\"expiresIn\":28800}"));
            clients.put("content", run(0, "{\"state\":\"complete\",\"files\":[{}],\"rangeRequests\":1}"));
        }

        @Override
        public String adminGet(Endpoint at, String path) throws IOException {
            if (at.equals(plan.scpAdmin())) {
                return "{\"state\":\"Ready\",\"deployment\":{\"deploymentMethod\":\"VirtualMachineScaleSet\","
                        + "\"deploymentName\":\"" + plan.deploymentName() + "\"},\"instances\":[{\"state\":\"ReadyRole\"}]}";
            }
            if (at.equals(plan.cmgAdmin(0))) {
                return "{\"channels\":[{\"ready\":" + channelReady + ",\"transport\":\"HTTPS\",\"port\":20443,"
                        + "\"connectionId\":\"c1\"}]}";
            }
            throw new IOException("no admin endpoint at " + at);
        }

        @Override
        public String resolve(String name) throws IOException {
            if (resolved == null) {
                throw new IOException("NXDOMAIN");
            }
            return resolved;
        }

        @Override
        public AnalyzerChecks.Handshake handshake() {
            try {
                IssuedCert cmg = IssuedCert.readPem(Path.of(plan.cmgServerTls().certFile()),
                        Path.of(plan.cmgServerTls().keyFile()));
                return new AnalyzerChecks.Handshake("TLSv1.3", "TLS_AES_128_GCM_SHA256", cmg.chain(), null);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public ClientRun client(String subcommand, List<String> args) {
            ran.add(subcommand + " " + String.join(" ", args));
            return clients.get(subcommand);
        }

        @Override
        public Path bulkTokenFile() {
            bulkTokens++;
            return tmp.resolve("bulk.jwt");
        }

        @Override
        public String ensureDistributed(String packageId) {
            return "Distributed version 1: 1 files, 100000 bytes";
        }

        @Override
        public Path contentDest() {
            return tmp.resolve("dest");
        }
    }

    static List<Check> analyze(FakeProbes p, String auth) throws InterruptedException {
        return new ConnectionAnalyzer(plan, auth, p, Clock.systemUTC(), c -> { }).run();
    }

    static Check named(List<Check> checks, String prefix) {
        return checks.stream().filter(c -> c.name().startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no check " + prefix + " in " + checks));
    }

    @Test
    void aHealthyLabPassesEveryCheckInTheConsoleOrder() throws Exception {
        FakeProbes p = new FakeProbes();
        List<Check> checks = analyze(p, "pki");
        assertThat(checks).allSatisfy(c -> assertThat(c.status()).as(c.toString()).isEqualTo(Check.Status.PASS));
        assertThat(checks.stream().map(Check::area).distinct().toList()).containsExactly("CMG service",
                "Connection point", "Authentication", "Management point", "Software update point", "Content");
        assertThat(named(checks, "Service name resolves").reason()).contains(plan.vipAddress());
        assertThat(named(checks, "Client certificate has client authentication EKU").passed()).isTrue();
        assertThat(p.ran).anySatisfy(r -> assertThat(r).startsWith("probe").contains("/CCM_Proxy_MutualAuth/"
                + LabPlan.SUP_ROLE_ID + "/selfupdate/wuident.cab"));
        assertThat(p.ran).contains("register --auth pki", "location --auth pki");
        assertThat(p.ran).noneMatch(r -> r.startsWith("token"));
    }

    @Test
    void withoutTheConnectionPointTheChannelAndMpChecksFailWithAFix() throws Exception {
        FakeProbes p = new FakeProbes();
        p.channelReady = false;
        ClientRun noCp = run(1, "{\"status\":503,\"reason\":\"CMGService_NoConnectionPoint\"}");
        p.clients.put("mplist", noCp);
        p.clients.put("register", noCp);
        p.clients.put("probe", noCp);
        List<Check> checks = analyze(p, "pki");
        Check channel = named(checks, "Channel to VM instance 0");
        assertThat(channel.failed()).isTrue();
        assertThat(channel.fix()).contains("cmg-connection-point").contains("SMS_Cloud_ProxyConnector.log");
        Check mplist = named(checks, "MPLIST through the CMG");
        assertThat(mplist.failed()).isTrue();
        assertThat(mplist.reason()).contains("503");
        assertThat(mplist.fix()).contains("No CMG connection point channel serves this role");
        assertThat(named(checks, "Registration through the CMG").failed()).isTrue();
        assertThat(named(checks, "WSUS path through the CMG").failed()).isTrue();
        assertThat(named(checks, "Deployment is Ready").passed()).isTrue();
        assertThat(named(checks, "Service name resolves").passed()).isTrue();
    }

    @Test
    void aServiceNameThatDoesNotResolveFailsTheDnsCheck() throws Exception {
        FakeProbes p = new FakeProbes();
        p.resolved = null;
        Check dns = named(analyze(p, "pki"), "Service name resolves");
        assertThat(dns.failed()).isTrue();
        assertThat(dns.reason()).contains("NXDOMAIN");
        assertThat(dns.fix()).contains("CNAME");

        p.resolved = "127.123.9.9";
        Check wrong = named(analyze(p, "pki"), "Service name resolves");
        assertThat(wrong.failed()).isTrue();
        assertThat(wrong.reason()).contains("127.123.9.9").contains("not the CMG VIP");
    }

    @Test
    void tokenModesAskForACcmTokenAndNameTheFailingStep() throws Exception {
        FakeProbes p = new FakeProbes();
        List<Check> ok = analyze(p, "token");
        assertThat(named(ok, "Bulk registration token → CCM token").passed()).isTrue();
        assertThat(p.ran).anySatisfy(r -> assertThat(r).startsWith("token --auth token --bulk-token-file").endsWith("--renew"));
        assertThat(p.bulkTokens).isPositive();

        p.clients.put("token", run(1, "{\"status\":404,\"reason\":\"CMGService_TenantNotOnboarded\",\"step\":\"AADAuthInfo\"}"));
        Check entra = named(analyze(p, "entra"), "Entra ID device token → CCM token");
        assertThat(entra.failed()).isTrue();
        assertThat(entra.reason()).contains("AADAuthInfo");
        assertThat(entra.fix()).contains("onboard the Entra tenant");
    }

    @Test
    void aContentFailureNamesItsStep() throws Exception {
        FakeProbes p = new FakeProbes();
        p.clients.put("content", run(1, "{\"state\":\"failed\",\"step\":\"C6 download\",\"failure\":\"403 from storage\"}"));
        Check content = named(analyze(p, "pki"), "Content location");
        assertThat(content.failed()).isTrue();
        assertThat(content.reason()).startsWith("C6 download: 403 from storage");
        assertThat(content.fix()).contains("storage account").contains("DataTransferService.log");
    }
}
