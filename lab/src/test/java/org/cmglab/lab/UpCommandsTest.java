package org.cmglab.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Option parsing, exit codes, fault paths and the status views of cmglab up/status/down/fault. */
class UpCommandsTest {
    @TempDir
    Path tmp;

    private static final Path HOME = Path.of("..").toAbsolutePath().normalize();

    private record Run(int code, String out) {}

    private Run run(String... args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8);
        System.setOut(ps);
        try {
            System.setProperty("cmglab.home", HOME.toString());
            int code = new CommandLine(new CmgLabMain()).setOut(new java.io.PrintWriter(ps, true))
                    .setErr(new java.io.PrintWriter(ps, true)).execute(args);
            return new Run(code, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(old);
            System.clearProperty("cmglab.home");
        }
    }

    @Test
    void upOptionsResolveToTheServeArgumentsAndParseBackToTheSamePlan() {
        LabCommands.UpOptions o = LabCommands.UpOptions.parse(List.of("--net", "123", "--port-offset", "20000",
                "--state", tmp.toString(), "--deployment", "classic", "--instances", "3", "--auth", "TOKEN", "--proxy"));
        System.setProperty("cmglab.home", HOME.toString());
        try {
            LabTopology t = o.topology();
            List<String> args = o.args(t.plan());
            assertThat(args).containsSequence("--net", "123").containsSequence("--port-offset", "20000")
                    .containsSequence("--deployment", "classic").containsSequence("--instances", "3")
                    .containsSequence("--auth", "token").contains("--proxy");
            LabTopology again = LabCommands.UpOptions.parse(args).topology();
            assertThat(again.plan()).isEqualTo(t.plan());
            assertThat(again.proxy()).isTrue();
            assertThat(t.proxyListen().toString()).isEqualTo("127.123.2.20:28080");
            assertThat(t.proxyAllowedPorts()).contains(20443, 30124, 30139).doesNotContain(30140, 20080);
            assertThat(t.connectionPointConfig().proxy().describe()).isEqualTo("127.123.2.20:28080");
            assertThat(t.deviceCpMp().toString()).isEqualTo("127.123.7.20:20443");
        } finally {
            System.clearProperty("cmglab.home");
        }
    }

    @Test
    void withoutProxyTheConnectionPointDialsDirectAndNoProxyProcessIsPlanned() {
        System.setProperty("cmglab.home", HOME.toString());
        try {
            LabTopology t = LabCommands.UpOptions.parse(List.of("--state", tmp.toString(), "--port-offset", "0"))
                    .topology();
            assertThat(t.connectionPointConfig().proxy()).isNull();
            assertThat(t.components()).extracting(LabPlan.Component::name).containsExactly(LabTopology.NETWORK_DEVICE);
        } finally {
            System.clearProperty("cmglab.home");
        }
    }

    @Test
    void badOptionsAreUsageErrors() {
        assertThat(run("up", "--auth", "kerberos", "--state", tmp.toString()).out()).contains("--auth: kerberos");
        assertThat(run("up", "--auth", "kerberos", "--state", tmp.toString()).code()).isEqualTo(CmgLabMain.EXIT_USAGE);
        assertThat(run("up", "--instances", "17", "--state", tmp.toString()).code()).isEqualTo(CmgLabMain.EXIT_USAGE);
        assertThat(run("up", "--deployment", "arm", "--state", tmp.toString()).code()).isEqualTo(CmgLabMain.EXIT_USAGE);
        assertThat(run("fault", "melt-cpu", "--state", tmp.toString()).code()).isEqualTo(CmgLabMain.EXIT_USAGE);
    }

    @Test
    void upRefusesWhenALabIsAlreadyRunning() {
        // this test JVM stands in for a live supervisor
        new RunningLab(ProcessHandle.current().pid(), List.of(), 77, 0, "http://127.77.0.1:8080/",
                "http://127.77.0.1:9090", "2026-01-01T00:00:00Z").write(tmp);
        Run r = run("up", "--state", tmp.toString());
        assertThat(r.code()).isEqualTo(LabCommands.EXIT_ALREADY_UP);
        assertThat(r.out()).contains("already running").contains("cmglab down first");
    }

    @Test
    void statusDownAndFaultSayNoLabIsRunningWithTheirOwnCode() {
        for (String[] args : List.of(new String[] {"status", "--state", tmp.toString()},
                new String[] {"down", "--state", tmp.toString()},
                new String[] {"fault", "block-tcp-tls", "--state", tmp.toString()})) {
            Run r = run(args);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(LabCommands.EXIT_NOT_RUNNING);
            assertThat(r.out()).contains("no lab running");
        }
    }

    @Test
    void helpListsTheExitCodes() {
        assertThat(run("up", "--help").out()).contains("Exit codes:").containsPattern("6\\s+a lab is already running");
        assertThat(run("status", "--help").out()).containsPattern("10\\s+the lab is up but not ready");
        assertThat(run("fault", "--help").out()).contains("block-tcp-tls").containsPattern("8\\s+the fault could not");
    }

    @Test
    void faultWordsBecomeAdminPaths() {
        assertThat(FaultCommand.path(List.of("block-tcp-tls"), false)).isEqualTo("/fault/block-tcp-tls");
        assertThat(FaultCommand.path(List.of("skew-clock", "cmg-service", "-600"), false))
                .isEqualTo("/fault/skew-clock?arg=cmg-service%20-600");
        assertThat(FaultCommand.path(List.of("undo", "strip-header", "Range"), false))
                .isEqualTo("/undo/strip-header?arg=Range");
        assertThat(FaultCommand.path(List.of("undo"), true)).isEqualTo("/undo/all");
        assertThatThrownBy(() -> FaultCommand.path(List.of("undo"), false)).hasMessageContaining("which fault");
        assertThatThrownBy(() -> FaultCommand.path(List.of("block-tcp-tls"), true)).hasMessageContaining("--all");
        assertThat(LabFaults.key("skew-clock", "cmg-service 3600")).isEqualTo("skew-clock cmg-service");
        assertThat(LabFaults.key("block-tcp-tls", null)).isEqualTo("block-tcp-tls");
    }

    @Test
    void postErrorsCarryTheStatusAndTheComponentsReason() {
        LabCommands.PostError e = LabCommands.PostError.of(new IOException(
                "POST http://127.77.0.1:9090/fault/stop-proxy → 409: {\"error\":\"stop-proxy: this lab has no web proxy\"}"));
        assertThat(e.status()).isEqualTo(409);
        assertThat(e.message()).isEqualTo("stop-proxy: this lab has no web proxy");
    }

    static JsonNode sample() throws IOException {
        return Json.MAPPER.readTree("""
                {"lab":{"state":"ready","net":150,"portOffset":20000,"options":["--deployment","classic"],
                 "cloud":"AzurePublicCloud","deploymentMethod":"CloudServiceClassic","instances":1,"auth":"pki",
                 "proxy":null,"dashboard":"http://127.150.0.1:28080/","admin":"http://127.150.0.1:29090",
                 "logDir":"/tmp/s/logs","pid":42,"deployment":{"name":"granitefalls.cloudapp.net","state":"Ready"}},
                 "components":[{"name":"azure-sim","pid":100,"alive":true,"ready":true,"address":"127.150.10.1",
                   "admin":"http://127.150.10.1:29090","ports":[20443,20053]},
                  {"name":"cmg-connection-point","pid":101,"alive":true,"ready":true,"address":"127.150.2.10",
                   "admin":"http://127.150.2.10:29090","ports":[]}],
                 "instances":[{"index":0,"name":"cmg-service-0","address":"127.150.1.10","pid":102,"state":"ReadyRole",
                   "ready":true,"channels":[{"transport":"HTTPS","port":20443,"proxy":null,"connectionId":"c1",
                   "state":"Connected","ready":true,"streams":0,"fallbackFrom":"TCP-TLS",
                   "fallbackReason":"TCP-TLS connect failed: refused"}]}],
                 "faults":[{"name":"block-tcp-tls","since":"2026-11-29T09:00:00Z","detail":"NSG denies"}]}""");
    }

    @Test
    void statusTableShowsComponentsChannelsFallbackAndFaults() throws IOException {
        String t = String.join("\n", StatusFormat.table(sample()));
        assertThat(t).contains("Lab 127.150.x.y, port offset 20000: ready")
                .contains("deployment granitefalls.cloudapp.net: Ready")
                .containsPattern("azure-sim\\s+100\\s+yes\\s+yes\\s+127.150.10.1\\s+20443, 20053")
                .contains("(dials out only)")
                .containsPattern("cmg-service-0\\s+102\\s+ReadyRole")
                .contains("channel HTTPS   :20443 Connected")
                .contains("HTTPS FALLBACK from TCP-TLS (TCP-TLS connect failed: refused)")
                .contains("block-tcp-tls").contains("NSG denies");
        assertThat(StatusFormat.ready(sample())).isTrue();
        String where = String.join("\n", StatusFormat.where(sample()));
        assertThat(where).contains("dashboard    http://127.150.0.1:28080/").contains("/tmp/s/logs")
                .contains("channel HTTPS :20443");
    }

    @Test
    void notReadyWhenAnInstanceHasNoChannelOrTheLabIsStarting() throws IOException {
        JsonNode s = sample();
        ((com.fasterxml.jackson.databind.node.ArrayNode) s.path("instances").get(0).path("channels")).removeAll();
        assertThat(StatusFormat.ready(s)).isFalse();
        assertThat(String.join("\n", StatusFormat.table(s))).contains("channel: none");
        JsonNode starting = sample();
        ((com.fasterxml.jackson.databind.node.ObjectNode) starting.path("lab")).put("state", "starting");
        assertThat(StatusFormat.ready(starting)).isFalse();
    }

    @Test
    void downCollectsEveryPidOfTheStatus() throws IOException {
        assertThat(UpDownCommands.Down.pids(sample())).containsExactly(100L, 101L, 102L);
    }

    @Test
    void progressPrintsEachStepOnce() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        UpDownCommands.Progress p = new UpDownCommands.Progress(new PrintStream(buf, true, StandardCharsets.UTF_8));
        p.show(sample());
        p.show(sample());
        String out = buf.toString(StandardCharsets.UTF_8);
        assertThat(out.split("ready  azure-sim", -1)).hasSize(2);
        assertThat(out).contains("F1     service-connection-point → Azure: CMG granitefalls.cloudapp.net Ready")
                .contains("F2     cmg-connection-point → cmg-service-0: HTTPS channel :20443 (fallback from TCP-TLS)");
    }
}
