package org.cmglab.client.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.Test;

/** Load mode against a stand-in CMG on loopback: identities, keep-alive, the mix, the results, error classes. */
class LoadRunIntegrationTest extends LoadTestFixture {
    private int run(LoadStubCmg stub, ClientCertPool pool, LoadOptions o, ByteArrayOutputStream out)
            throws Exception {
        LoadRun.Target target = new LoadRun.Target(SERVICE, stub.port(),
                new InetSocketAddress("127.0.0.1", stub.port()), "127.0.0.1");
        return LoadRunner.run(o, target, List.of(ca.root()), pool, "72057594037927939", "P01",
                "mp01.corp.contoso.com", "P0100012", group, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    @Test
    void everyClientUsesItsOwnCertificateOnOneKeepAliveConnectionAndTheMixIsSent() throws Exception {
        ClientCertPool pool = ClientCertPool.loadOrIssue(ca, 20, tmp.resolve("pool"));
        Path json = tmp.resolve("out/load.json");
        LoadOptions o = new LoadOptions(20, "pki", RequestMix.parse("location=4,mplist=2,policy=3,content=1"),
                Duration.ofSeconds(60), 100, 0, 0, 0, Duration.ofSeconds(10), json, null, null, null, true);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (LoadStubCmg stub = new LoadStubCmg(group, server, ca.root(), false)) {
            int exit = run(stub, pool, o, out);
            String text = out.toString(StandardCharsets.UTF_8);
            assertThat(exit).as(text).isZero();
            assertThat(stub.clientSubjects).hasSize(20).contains("CN=load-00000.corp.contoso.com",
                    "CN=load-00019.corp.contoso.com");
            assertThat(stub.withoutCert).hasValue(0);
            assertThat(stub.connections).hasValue(20); // keep-alive: one connection per client, never re-opened
            assertThat(stub.count("location")).isEqualTo(40);
            assertThat(stub.count("mplist")).isEqualTo(20);
            assertThat(stub.count("policy")).isEqualTo(30);
            assertThat(stub.count("content")).isEqualTo(10);
            // the kinds follow one sequence shared by all clients, so which clients sent the 40 location requests
            // (the ones carrying a SourceID) depends on timing: each is a client's own SMSID, and not one shared id
            java.util.Set<String> own = java.util.stream.IntStream.range(0, 20).mapToObj(LoadRequests::smsId)
                    .collect(java.util.stream.Collectors.toSet());
            assertThat(stub.sourceIds).isSubsetOf(own).hasSizeGreaterThan(10);
            assertThat(text).contains("location", "p99 ms").containsPattern("total\\s+100\\s+0 ");
            JsonNode r = Json.MAPPER.readTree(json.toFile());
            assertThat(r.path("connected").asInt()).isEqualTo(20);
            assertThat(r.path("kinds").path("policy").path("ok").asLong()).isEqualTo(30);
            assertThat(r.path("total").path("p99Ms").asDouble()).isPositive();
            assertThat(r.path("connect").path("ok").asLong()).isEqualTo(20);
        }
    }

    @Test
    void httpErrorsAreCountedByStatusAndTheExitCodeSaysSo() throws Exception {
        ClientCertPool pool = ClientCertPool.loadOrIssue(ca, 5, null);
        LoadOptions o = new LoadOptions(5, "pki", RequestMix.parse("mplist=1,policy=1"), Duration.ofSeconds(30), 50,
                100, 0, 0, Duration.ofSeconds(10), null, null, null, null, false);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (LoadStubCmg stub = new LoadStubCmg(group, server, ca.root(), true)) {
            int exit = run(stub, pool, o, out);
            String text = out.toString(StandardCharsets.UTF_8);
            assertThat(exit).as(text).isEqualTo(1);
            JsonNode r = Json.MAPPER.readTree(text.substring(text.indexOf("RESULT ") + 7).strip());
            assertThat(r.path("kinds").path("policy").path("errorsByClass").path("http-403").asLong()).isEqualTo(25);
            assertThat(r.path("kinds").path("mplist").path("ok").asLong()).isEqualTo(25);
            assertThat(text).contains("{http-403=25}");
        }
    }

    @Test
    void connectFailuresAreCountedNotHidden() throws Exception {
        ClientCertPool pool = ClientCertPool.loadOrIssue(ca, 3, null);
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            closedPort = s.getLocalPort();
        }
        LoadOptions o = new LoadOptions(3, "pki", RequestMix.parse("mplist=1"), Duration.ofSeconds(2), 3, 0, 0, 0,
                Duration.ofSeconds(2), null, null, null, null, false);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LoadRun.Target target = new LoadRun.Target(SERVICE, closedPort,
                new InetSocketAddress("127.0.0.1", closedPort), "127.0.0.1");
        int exit = LoadRunner.run(o, target, List.of(ca.root()), pool, "1", "P01", "mp", "P0100012", group,
                new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(exit).isEqualTo(1);
        JsonNode r = Json.MAPPER.readTree(text.substring(text.indexOf("RESULT ") + 7).strip());
        assertThat(r.path("connectFailed").asInt()).isEqualTo(3);
        assertThat(r.path("connect").path("errorsByClass").path("connect").asLong()).isGreaterThanOrEqualTo(3);
        assertThat(r.path("kinds").path("mplist").path("errorsByClass").path("connect").asLong()).isEqualTo(3);
    }

    @Test
    void thePoolIsCachedPrivatelyAndReusedByTheNextRun() throws Exception {
        Path dir = tmp.resolve("pool");
        ClientCertPool first = ClientCertPool.loadOrIssue(ca, 4, dir);
        ClientCertPool again = ClientCertPool.loadOrIssue(ca, 6, dir);
        for (int i = 0; i < 4; i++) {
            assertThat(again.get(i).certificate()).isEqualTo(first.get(i).certificate());
        }
        assertThat(again.get(5).certificate().getSubjectX500Principal().getName())
                .isEqualTo("CN=load-00005.corp.contoso.com");
        assertThat(again.get(5).certificate().getPublicKey().getAlgorithm()).isEqualTo("EC");
        Path file;
        try (var files = Files.list(dir)) {
            file = files.filter(f -> f.toString().endsWith(".pool")).findFirst().orElseThrow();
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        // another CA: another pool, never a certificate of the old CA
        LabCa other = LabCa.createEphemeral();
        ClientCertPool fresh = ClientCertPool.loadOrIssue(other, 2, dir);
        fresh.get(0).certificate().verify(other.root().getPublicKey());
    }
}
