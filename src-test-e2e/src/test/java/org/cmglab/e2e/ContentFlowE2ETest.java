package org.cmglab.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.azure.storage.blob.BlobContainerClient;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.cmglab.lab.ClientRun;
import org.cmglab.lab.LabPlan;
import org.cmglab.lab.LabProcesses;
import org.cmglab.proto.config.ContentStorageConfig;
import org.cmglab.proto.content.ContentBlobs;
import org.cmglab.proto.content.ContentManifest;
import org.cmglab.proto.flow.FlowEvent;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The content flow C1–C6 end to end (issue 6), every component its own process and Azurite serving HTTPS with the lab
 * certificate for {@code granitefalls.blob.core.windows.net}: the site distributes a 5-file, 6 MB package into the
 * CMG's storage account; {@code client-sim content} asks the MP through the CMG, gets the CMG location with its
 * token, resolves the service name through the lab DNS, gets the manifest with SAS URLs from the CMG and downloads
 * from Azurite — interrupted after 2.5 MB and resumed by a second run — every file's SHA-256 checked.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContentFlowE2ETest {
    static final String PKG = "P0100012";
    static final long TOTAL = 6_000_000;
    static final long STOP = 2_500_000;

    @TempDir
    static Path tmp;

    static LabPlan plan;
    static LabProcesses lab;
    static E2eLab e2e;
    static final java.net.http.HttpClient ADMIN = java.net.http.HttpClient.newHttpClient();

    @BeforeAll
    static void startLab() throws Exception {
        e2e = E2eLab.startAll(tmp.resolve("state"));
        plan = e2e.plan;
        lab = e2e.lab;
    }

    /** Stops every process; fails if one is still alive or a log reports a Netty LEAK ({@link E2eLab#close()}). */
    @AfterAll
    static void stopLab() throws IOException {
        if (e2e != null) {
            e2e.close();
        }
    }

    static JsonNode sitePost(String pathAndQuery) throws Exception {
        var req = org.cmglab.proto.runtime.AdminToken.authorize(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://" + plan.siteSimAdmin() + pathAndQuery)),
                        org.cmglab.proto.runtime.AdminToken.read(plan.pkiDir())).timeout(Duration.ofSeconds(5))
                .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build();
        var res = ADMIN.send(req, java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).as("POST %s: %s", pathAndQuery, res.body()).isEqualTo(200);
        return Json.MAPPER.readTree(res.body());
    }

    /** The site's manifest as stored in the CMG's storage account (read with the account key, lab root trusted). */
    static ContentManifest storedManifest() throws Exception {
        BlobContainerClient container = ContentBlobs.container(plan.contentStorageConfig());
        return ContentManifest.parse(container.getBlobClient(ContentStorageConfig.manifestBlob(PKG)).downloadContent()
                .toString());
    }

    static String sha256(Path f) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
    }

    @Test
    @Order(1)
    void contentNotOnTheCmgIsNotOffered() throws Exception {
        ClientRun run = lab.runClientCommand(plan.configFile(LabPlan.CLIENT_SIM), "content",
                TraceContext.newTraceId(), List.of("--package", PKG, "--dest", tmp.resolve("none").toString()));
        assertThat(run.exitCode()).as(run.output()).isEqualTo(1);
        assertThat(run.result().path("step").asText()).startsWith("C2");
        assertThat(run.result().path("failure").asText()).contains("no cloud distribution point");
    }

    @Test
    @Order(2)
    void distributesAPackageAndDownloadsItThroughTheCmgWithAnInterruptedAndResumedTransfer() throws Exception {
        JsonNode started = sitePost("/distribute?package=" + PKG + "&version=1&files=5&bytes=" + TOTAL);
        assertThat(started.path("state").asText()).isEqualTo("Distributing");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                assertThat(sitePost("/content").path("states").path(PKG).asText()).startsWith("Distributed"));
        ContentManifest stored = storedManifest();
        assertThat(stored.files()).hasSize(5);
        assertThat(stored.totalSize()).isEqualTo(TOTAL);

        Path dest = tmp.resolve("ccmcache").resolve(PKG);
        String trace1 = TraceContext.newTraceId();
        ClientRun first = lab.runClientCommand(plan.configFile(LabPlan.CLIENT_SIM), "content", trace1,
                List.of("--package", PKG, "--dest", dest.toString(), "--stop-after", Long.toString(STOP),
                        "--range", "524288"));
        assertThat(first.exitCode()).as("client-sim output:\n%s", first.output()).isZero();
        assertThat(first.result().path("state").asText()).isEqualTo("interrupted");
        assertThat(first.result().path("bytesThisRun").asLong()).isEqualTo(STOP);
        long partial = 0;
        try (var files = Files.list(dest)) {
            for (Path p : files.toList()) {
                partial += Files.size(p);
            }
        }
        assertThat(partial).as("what the first run downloaded is kept").isEqualTo(STOP);

        String trace2 = TraceContext.newTraceId();
        ClientRun second = lab.runClientCommand(plan.configFile(LabPlan.CLIENT_SIM), "content", trace2,
                List.of("--package", PKG, "--dest", dest.toString(), "--range", "524288"));
        assertThat(second.exitCode()).as("client-sim output:\n%s", second.output()).isZero();
        JsonNode r = second.result();
        assertThat(r.path("state").asText()).isEqualTo("complete");
        assertThat(r.path("bytesThisRun").asLong()).as("the second run resumes").isEqualTo(TOTAL - STOP);
        assertThat(r.path("files")).hasSize(5).allSatisfy(f -> assertThat(f.path("state").asText())
                .isEqualTo("verified"));
        assertThat(r.path("resolvedAddress").asText()).isEqualTo(plan.vipAddress());
        assertThat(r.path("cmgLocation").asText()).startsWith("https://" + LabPlan.SERVICE_NAME
                + (plan.port(443) == 443 ? "" : ":" + plan.port(443)) + "/downloadrestservice.svc/getcontentxmlsecure");
        for (ContentManifest.FileEntry f : stored.files()) {
            assertThat(sha256(dest.resolve(f.name()))).as(f.name()).isEqualTo(f.sha256());
        }
        try (var files = Files.list(dest)) {
            assertThat(files.filter(p -> p.toString().endsWith(".part")).toList()).isEmpty();
        }

        // the flow events of the resumed run, C1..C6 in order at the client; C4/C5 also at the CMG
        List<FlowEvent> events = lab.collectEvents(trace2).events();
        assertThat(events.stream().filter(e -> e.component().equals("client-sim")).map(FlowEvent::step)
                .filter(s -> s.startsWith("C")).distinct().toList())
                .containsExactly("C1", "C2", "C3", "C4", "C5", "C6");
        assertThat(events).filteredOn(e -> e.component().equals("client-sim") && e.step().startsWith("C"))
                .allSatisfy(e -> assertThat(e.outcome()).as(e.toString()).isEqualTo("ok"));
        assertThat(events).filteredOn(e -> e.component().startsWith("cmg-service") && e.step().equals("C4"))
                .isNotEmpty().allSatisfy(e -> assertThat(e.status()).isEqualTo(200));
        assertThat(events).filteredOn(e -> e.component().startsWith("cmg-service") && e.step().equals("C5"))
                .isNotEmpty();
        assertThat(events).filteredOn(e -> e.component().equals("site-sim") && e.step().equals("F5"))
                .as("the location request reached the MP through the CMG").isNotEmpty();

        assertThat(log("DataTransferService.log")).contains("Resuming download of").contains("has completed");
        assertThat(log("CAS.log")).contains("Hash verification succeeded");
        assertThat(log("ContentTransferManager.log")).contains("successfully processed download completion");
    }

    @Test
    @Order(3)
    void aClientThatDoesNotTrustTheCmgCertificateRefusesAndDownloadsNothing() throws Exception {
        Path foreignRoot = tmp.resolve("foreign-root.pem");
        Files.writeString(foreignRoot, Pem.toPem(org.cmglab.proto.pki.LabCa.createEphemeral().root()));
        com.fasterxml.jackson.databind.node.ObjectNode cfg = (com.fasterxml.jackson.databind.node.ObjectNode)
                Json.MAPPER.readTree(plan.configFile(LabPlan.CLIENT_SIM).toFile());
        cfg.putArray("trustRoots").add(foreignRoot.toString());
        Path config = tmp.resolve("client-untrusting.json");
        Files.writeString(config, Json.MAPPER.writeValueAsString(cfg));
        Path dest = tmp.resolve("untrusted");
        ClientRun run = lab.runClientCommand(config, "content", TraceContext.newTraceId(),
                List.of("--package", PKG, "--dest", dest.toString()));
        assertThat(run.exitCode()).as(run.output()).isEqualTo(1);
        assertThat(run.result().path("failure").asText()).contains("certificate is not trusted");
        assertThat(dest).satisfiesAnyOf(d -> assertThat(d).doesNotExist(), d -> assertThat(d).isEmptyDirectory());
    }

    static String log(String name) throws IOException {
        return Files.readString(plan.logDir().resolve(name), StandardCharsets.UTF_8);
    }
}
