package org.cmglab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.cmglab.lab.LabPlan;
import org.cmglab.lab.RunningLab;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cmglab up / status / fault / down} as a user runs them: each command is its own {@code java -jar lab.jar}
 * process, the lab runs in the background under its supervisor. A classic CMG (TCP-TLS channel 10140), then
 * {@code fault block-tcp-tls}: the status shows the channel on the HTTPS fallback; {@code fault undo}: back on
 * TCP-TLS; {@code down}: every process of the lab is gone and lab.json removed.
 */
class CmgLabUpE2ETest {
    @TempDir
    Path tmp;

    private record Cli(int code, String out) {}

    private static Path home() {
        return LabPlan.findHome();
    }

    private Cli cli(Duration timeout, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dcmglab.home=" + home()));
        String cds = System.getProperty(org.cmglab.proto.runtime.ClassDataSharing.DIR_PROPERTY);
        if (cds != null) {
            cmd.add("-D" + org.cmglab.proto.runtime.ClassDataSharing.DIR_PROPERTY + "=" + cds); // the suite's archives
        }
        cmd.addAll(List.of("-jar", home().resolve("lab/target/lab.jar").toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(tmp, "cli", ".out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
            throw new AssertionError("cmglab " + String.join(" ", args) + " did not finish within " + timeout.toSeconds()
                    + " s:\n" + Files.readString(out, StandardCharsets.UTF_8));
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        System.out.println("$ cmglab " + String.join(" ", args) + "   → exit " + p.exitValue() + "\n" + text);
        return new Cli(p.exitValue(), text);
    }

    private JsonNode status(Path state) throws IOException, InterruptedException {
        Cli c = cli(Duration.ofSeconds(60), "status", "--json", "--state", state.toString());
        return Json.MAPPER.readTree(c.out().substring(c.out().indexOf('{')));
    }

    private static JsonNode channel0(JsonNode status) {
        JsonNode ch = status.path("instances").path(0).path("channels").path(0);
        return ch.isMissingNode() ? null : ch;
    }

    @Test
    void upStatusBlockTcpTlsShowsTheHttpsFallbackUndoAndDownLeaveNothingRunning() throws Exception {
        Path state = tmp.resolve("state");
        int net = ThreadLocalRandom.current().nextInt(100, 200);
        List<Long> pids = new ArrayList<>();
        Cli up = cli(Duration.ofMinutes(6), "up", "--state", state.toString(), "--net", String.valueOf(net),
                "--port-offset", "20000", "--deployment", "classic");
        try {
            assertThat(up.code()).as(up.out()).isZero();
            assertThat(up.out()).contains("CMG Lab is up").contains("F1").contains("F2")
                    .contains("dashboard    http://127." + net + ".0.1:28080/").contains(state.resolve("logs").toString());
            RunningLab lab = RunningLab.find(state).orElseThrow();
            pids.add(lab.pid());

            // a second up on the same state folder is refused with its own exit code
            Cli again = cli(Duration.ofSeconds(60), "up", "--state", state.toString(), "--net", String.valueOf(net),
                    "--port-offset", "20000");
            assertThat(again.code()).isEqualTo(6);
            assertThat(again.out()).contains("already running");

            // the supervisor's admin operations need the lab's admin token; the live page is served by it
            java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                    .proxy(java.net.http.HttpClient.Builder.NO_PROXY).build();
            var noToken = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(lab.admin() + "/down"))
                            .timeout(Duration.ofSeconds(10)).POST(java.net.http.HttpRequest.BodyPublishers.noBody())
                            .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(noToken.statusCode()).as("POST /down without the admin token: %s", noToken.body()).isEqualTo(401);
            assertThat(RunningLab.find(state)).as("the lab is still up after the refused /down").isPresent();
            var page = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(lab.dashboard()))
                    .timeout(Duration.ofSeconds(10)).GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("arrow-F3").contains("arrow-C6");

            JsonNode s = status(state);
            assertThat(s.path("lab").path("state").asText()).isEqualTo("ready");
            assertThat(s.path("lab").path("dashboard").asText()).isEqualTo("http://127." + net + ".0.1:28080/");
            for (JsonNode c : s.path("components")) {
                assertThat(c.path("alive").asBoolean()).as(c.toString()).isTrue();
                if (c.path("pid").canConvertToLong()) {
                    pids.add(c.path("pid").asLong());
                }
            }
            assertThat(s.path("components").findValuesAsText("name")).contains("azure-sim", "site-sim",
                    "service-connection-point", "cmg-connection-point", "network-device");
            pids.add(s.path("instances").path(0).path("pid").asLong());
            assertThat(channel0(s).path("transport").asText()).isEqualTo("TCP-TLS");
            assertThat(channel0(s).path("port").asInt()).isEqualTo(20000 + 10140);
            Cli table = cli(Duration.ofSeconds(60), "status", "--state", state.toString());
            assertThat(table.code()).isZero();
            assertThat(table.out()).contains("cmg-service-0").contains("channel TCP-TLS").contains("FAULTS: none");

            Cli fault = cli(Duration.ofMinutes(4), "fault", "block-tcp-tls", "--state", state.toString());
            assertThat(fault.code()).as(fault.out()).isZero();
            assertThat(fault.out()).contains("fault block-tcp-tls: NSG denies TCP-TLS ports [10140]");
            Awaitility.await("the channel on the HTTPS fallback").atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofSeconds(2)).until(() -> {
                        JsonNode ch = channel0(status(state));
                        return ch != null && ch.path("ready").asBoolean() && "HTTPS".equals(ch.path("transport").asText());
                    });
            JsonNode during = status(state);
            assertThat(channel0(during).path("fallbackFrom").asText()).isEqualTo("TCP-TLS");
            assertThat(channel0(during).path("port").asInt()).isEqualTo(20000 + 443);
            assertThat(during.path("faults").findValuesAsText("name")).containsExactly("block-tcp-tls");
            Cli shown = cli(Duration.ofSeconds(60), "status", "--state", state.toString());
            assertThat(shown.out()).contains("HTTPS FALLBACK from TCP-TLS").contains("block-tcp-tls");
            // the connection point was restarted by the fault: its new pid is the one down must see gone
            during.path("components").forEach(c -> {
                if (c.path("pid").canConvertToLong()) {
                    pids.add(c.path("pid").asLong());
                }
            });

            Cli undo = cli(Duration.ofMinutes(4), "fault", "undo", "block-tcp-tls", "--state", state.toString());
            assertThat(undo.code()).as(undo.out()).isZero();
            Awaitility.await("the channel back on TCP-TLS").atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofSeconds(2)).until(() -> {
                        JsonNode ch = channel0(status(state));
                        return ch != null && ch.path("ready").asBoolean() && "TCP-TLS".equals(ch.path("transport").asText());
                    });
            assertThat(status(state).path("faults").size()).isZero();
        } finally {
            Cli down = cli(Duration.ofMinutes(3), "down", "--state", state.toString());
            if (down.code() != 0) {
                RunningLab.find(state).ifPresent(l -> ProcessHandle.of(l.pid()).ifPresent(ProcessHandle::destroy));
            }
            assertThat(down.code()).as(down.out()).isZero();
        }
        assertThat(down(pids)).as("processes of the lab still alive after down").isEmpty();
        assertThat(Files.exists(RunningLab.file(state))).isFalse();
        Cli after = cli(Duration.ofSeconds(60), "status", "--state", state.toString());
        assertThat(after.code()).isEqualTo(7);
        assertThat(after.out()).contains("no lab running");
    }

    private static List<Long> down(List<Long> pids) {
        return pids.stream().filter(p -> p > 0 && ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false)).toList();
    }
}
