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
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.HostMap;
import org.cmglab.proto.runtime.Json;
import org.cmglab.proto.runtime.LabHttpClient;
import org.junit.jupiter.api.Test;

/**
 * {@code load --auth token} on loopback against {@link LoadTokenStub}: each client's own Entra device identity and
 * CCM token (AADAuthInfo, Entra, CCM_STS), the token on every request of the mix, no client certificate, the token
 * phase in the summary, the 0600 cache reused by the next run, renewal near expiry, and failures counted by step.
 */
class LoadTokenRunIntegrationTest extends LoadTestFixture {
    static final String TENANT = "0e7f1c55-1b1e-4b7e-9a55-000000000007";
    static final String ROLE = "72057594037927939";

    private static LoadOptions options(int count, String mix, long requests, Path json) {
        return new LoadOptions(count, "token", RequestMix.parse(mix), Duration.ofSeconds(60), requests, 0, 0, 0,
                Duration.ofSeconds(10), json, null, null, null, false);
    }

    private static LabHttpClient http() throws Exception {
        return new LabHttpClient(group, TlsContexts.client(List.of(ca.root()), null),
                LabHttpClient.staticResolver(new HostMap(Map.of(SERVICE, "127.0.0.1", LOGIN, "127.0.0.1"))),
                Duration.ofSeconds(10), Duration.ofSeconds(10));
    }

    private static LoadTokens.Phase tokens(LoadTokenStub stub, String tenant, ClientCertPool devices, Path cache,
                                           LoadOptions o) throws Exception {
        LoadTokens.Endpoints e = new LoadTokens.Endpoints(SERVICE, stub.port(), ROLE, tenant,
                "https://" + LOGIN + ":" + stub.port() + "/" + tenant);
        return LoadTokens.acquire(e, http(), devices, 0, cache, LoadTokens.validFor(o), 4, o.timeout(),
                Clock.systemUTC());
    }

    private static int run(LoadTokenStub stub, ClientCertPool devices, LoadOptions o, LoadTokens.Phase phase,
                           ByteArrayOutputStream out) throws Exception {
        LoadRun.Target target = new LoadRun.Target(SERVICE, stub.port(),
                new InetSocketAddress("127.0.0.1", stub.port()), "127.0.0.1");
        return LoadRunner.run(o, target, List.of(ca.root()), devices, 0, ROLE, "P01", "mp01.corp.contoso.com",
                "P0100012", phase, group, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    @Test
    void everyTokenClientGetsItsOwnCcmTokenThroughTheCmgAndSendsItOnEveryRequest() throws Exception {
        Path poolDir = tmp.resolve("pool");
        ClientCertPool devices = ClientCertPool.loadOrIssue(ClientCertPool.Kind.ENTRA_DEVICE, ca, 0, 6, poolDir);
        assertThat(devices.get(3).certificate().getSubjectX500Principal().getName())
                .isEqualTo("CN=" + ClientCertPool.deviceId(3));
        assertThat(devices.get(3).certificate().getPublicKey().getAlgorithm()).isEqualTo("RSA");
        Path cache = LoadTokens.cacheFile(poolDir, ca.root(), 0);
        Path json = tmp.resolve("out/load.json");
        LoadOptions o = options(6, "location=2,mplist=1,policy=1,content=1", 60, json);
        try (LoadTokenStub stub = new LoadTokenStub(group, server, ca.root(), TENANT, LOGIN, ROLE)) {
            LoadTokens.Phase phase = tokens(stub, TENANT, devices, cache, o);
            assertThat(phase.failed()).as(phase.firstError()).isZero();
            assertThat(phase.stats().ok()).isEqualTo(6);
            assertThat(phase.cached()).isZero();
            // each client signed in as its own device and asked CCM_STS for its own SMSID
            assertThat(stub.entraDevices).isEqualTo(IntStream.range(0, 6).mapToObj(ClientCertPool::deviceId)
                    .collect(Collectors.toSet()));
            assertThat(stub.stsClients).isEqualTo(IntStream.range(0, 6).mapToObj(LoadRequests::smsId)
                    .collect(Collectors.toSet()));
            assertThat(Set.of(phase.bearers())).hasSize(6);

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int exit = run(stub, devices, o, phase, out);
            String text = out.toString(StandardCharsets.UTF_8);
            assertThat(exit).as(text).isZero();
            assertThat(stub.withCert).hasValue(0); // server-auth TLS only
            assertThat(stub.unauthorized).hasValue(0);
            assertThat(stub.mismatched).hasValue(0); // messages carry the SourceID of their token, CcmTokenAuth: 1
            assertThat(stub.count("location") + stub.count("mplist") + stub.count("policy") + stub.count("content"))
                    .isEqualTo(60);
            assertThat(stub.count("content")).isEqualTo(12);
            assertThat(stub.bearersSeen).isEqualTo(Set.of(phase.bearers())); // every client used its own token
            assertThat(text).containsPattern("token\\s+6\\s+0 ").contains("token phase", "0 cached");
            JsonNode r = Json.MAPPER.readTree(json.toFile());
            assertThat(r.path("run").path("auth").asText()).isEqualTo("token");
            assertThat(r.path("token").path("ok").asLong()).isEqualTo(6);
            assertThat(r.path("token").path("withoutToken").asLong()).isZero();
            assertThat(r.path("total").path("ok").asLong()).isEqualTo(60);

            // cached privately; the next run reuses every token: no Entra or CCM_STS call
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cache))).isEqualTo("rw-------");
            assertThat(Files.readAllLines(cache)).hasSize(6);
            int entra = stub.entraCalls.get();
            int sts = stub.stsCalls.get();
            LoadTokens.Phase again = tokens(stub, TENANT, devices, cache, o);
            assertThat(again.cached()).isEqualTo(6);
            assertThat(again.bearers()).containsExactly(phase.bearers());
            assertThat(stub.entraCalls).hasValue(entra);
            assertThat(stub.stsCalls).hasValue(sts);
        }
    }

    @Test
    void tokensNearExpiryAreRenewedAndFailuresAreCountedByStep() throws Exception {
        Path poolDir = tmp.resolve("pool");
        ClientCertPool devices = ClientCertPool.loadOrIssue(ClientCertPool.Kind.ENTRA_DEVICE, ca, 0, 3, poolDir);
        Path cache = LoadTokens.cacheFile(poolDir, ca.root(), 0);
        LoadOptions o = options(3, "mplist=1", 9, null);
        try (LoadTokenStub stub = new LoadTokenStub(group, server, ca.root(), TENANT, LOGIN, ROLE)) {
            stub.stsLifetimeSeconds = 20 * 60; // less than the 30-minute renewal margin
            LoadTokens.Phase first = tokens(stub, TENANT, devices, cache, o);
            assertThat(first.stats().ok()).isEqualTo(3);
            LoadTokens.Phase renewed = tokens(stub, TENANT, devices, cache, o);
            assertThat(renewed.cached()).isZero();
            assertThat(renewed.stats().ok()).isEqualTo(3);
            assertThat(stub.stsCalls).hasValue(6);
            assertThat(renewed.bearers()).doesNotContainAnyElementsOf(List.of(first.bearers()));

            // Entra refuses one device: that client has no token, its requests get 401, the exit code says so
            stub.refusedDevices.add(ClientCertPool.deviceId(1));
            LoadTokens.Phase partial = tokens(stub, TENANT, devices, null, o);
            assertThat(partial.failed()).isEqualTo(1);
            assertThat(partial.bearers()[1]).isNull();
            assertThat(partial.stats().errors()).isEqualTo(Map.of("entra-http-401", 1L));
            assertThat(partial.firstError()).contains(LoadRequests.smsId(1), "401");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int exit = run(stub, devices, o, partial, out);
            String text = out.toString(StandardCharsets.UTF_8);
            assertThat(exit).as(text).isEqualTo(1);
            JsonNode r = Json.MAPPER.readTree(text.substring(text.indexOf("RESULT ") + 7).strip());
            // which client takes how much of the 9-request budget depends on timing; the 401s are the token-less one's
            long refused = r.path("kinds").path("mplist").path("errorsByClass").path("http-401").asLong();
            assertThat(refused).isPositive().isEqualTo(stub.unauthorized.get());
            assertThat(r.path("kinds").path("mplist").path("ok").asLong()).isPositive().isEqualTo(9 - refused);
            assertThat(r.path("token").path("errorsByClass").path("entra-http-401").asLong()).isEqualTo(1);

            // a tenant the CMG does not know: no client gets a token, nothing is sent
            int before = stub.count("mplist");
            LoadTokens.Phase none = tokens(stub, "00000000-0000-0000-0000-000000000000", devices, null, o);
            assertThat(none.failed()).isEqualTo(3);
            assertThat(none.firstError()).contains("AADAuthInfo answered 404");
            ByteArrayOutputStream out2 = new ByteArrayOutputStream();
            assertThat(run(stub, devices, o, none, out2)).isEqualTo(1);
            assertThat(out2.toString(StandardCharsets.UTF_8)).contains("No client has a CCM token");
            assertThat(stub.count("mplist")).isEqualTo(before);
        }
    }
}
