package org.cmglab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.concurrent.ThreadLocalRandom;
import org.cmglab.lab.LabPlan;
import org.cmglab.lab.LabProcesses;
import org.cmglab.lab.RunningLab;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cmglab analyze} and {@code cmglab demo} as a user runs them ({@code java -jar lab/target/lab.jar}, its own
 * process) against a lab that is up: this test JVM plays the supervisor of {@code cmglab up} (it writes
 * {@code <state>/lab.json} with its own pid and started the components through {@link LabProcesses}). Analyze passes every
 * check (pki and entra), the demo runs F1-F5, the lifecycle and C1-C6 and marks the port list; the product's CMTrace
 * logs are in the one log folder; with the connection point killed, analyze fails the channel and MP checks with a
 * fix.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AnalyzeDemoLogsE2ETest {
    /** One CMTrace record (a message may span lines: exceptions). */
    static final Pattern CMTRACE = Pattern.compile("<!\\[LOG\\[.*?\\]LOG\\]!><time=\"\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\+000\" "
            + "date=\"\\d\\d-\\d\\d-\\d{4}\" component=\"[A-Za-z_]+\" context=\"\" type=\"[123]\" thread=\"\\d+\" "
            + "file=\"[^\"]*\">\\r?\\n", Pattern.DOTALL);

    /** Start-up waits: longer than LabProcesses' defaults, as this test runs the whole lab and five more JVMs. */
    static final java.time.Duration READY = java.time.Duration.ofSeconds(120);

    @TempDir
    static Path tmp;
    static LabProcesses lab;
    static LabPlan plan;

    @BeforeAll
    static void startLab() throws Exception {
        Instant started = Instant.now();
        plan = LabPlan.builder().stateDir(tmp.resolve("state")).net(ThreadLocalRandom.current().nextInt(100, 200))
                .build();
        plan.materialize();
        lab = new LabProcesses(plan, System.out);
        lab.startAll(READY, READY.multipliedBy(2));
        lab.awaitChannel(READY);
        new RunningLab(ProcessHandle.current().pid(), List.of("--net", Integer.toString(plan.net()), "--port-offset",
                Integer.toString(plan.portOffset())), plan.net(), plan.portOffset(), "http://" + plan.dashboard() + "/",
                "http://" + plan.labAdmin(), started.toString()).write(plan.stateDir());
    }

    /** Stops every process; fails if one is still alive or a log reports a Netty LEAK. */
    @AfterAll
    static void stopLab() throws IOException {
        if (lab == null) {
            return;
        }
        RunningLab.remove(plan.stateDir());
        List<ProcessHandle> started = lab.processHandles();
        lab.close();
        for (ProcessHandle h : started) {
            assertThat(h.isAlive()).as("process %d still alive after stop", h.pid()).isFalse();
        }
        assertThat(E2eLab.grep(plan.logDir(), "LEAK:")).as("Netty LEAK reports in " + plan.logDir()).isEmpty();
    }

    record Run(int exit, String output) {}

    /** {@code java -jar lab/target/lab.jar <args> --state <state>} to completion (at most 5 minutes). */
    static Run cmglab(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Dcmglab.home=" + plan.home());
        cmd.add("-Dcmglab.leakLevel=" + System.getProperty("cmglab.leakLevel", "simple"));
        cmd.add("-jar");
        cmd.add(plan.jar("lab").toString());
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--state", plan.stateDir().toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[][] out = new byte[1][];
        Thread reader = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                out[0] = in.readAllBytes();
            } catch (IOException e) {
                out[0] = new byte[0];
            }
        });
        reader.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        reader.join(5_000);
        String text = out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8);
        System.out.println("--- cmglab " + String.join(" ", args) + " → exit " + p.exitValue() + "\n" + text);
        return new Run(p.exitValue(), text);
    }

    static JsonNode json(Run r) throws IOException {
        String line = r.output().lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow(
                () -> new AssertionError("no JSON line in:\n" + r.output()));
        return Json.MAPPER.readTree(line);
    }

    static JsonNode check(JsonNode report, String namePrefix) {
        for (JsonNode c : report.path("checks")) {
            if (c.path("name").asText().startsWith(namePrefix)) {
                return c;
            }
        }
        throw new AssertionError("no check " + namePrefix + " in " + report);
    }

    @Test
    @Order(1)
    void analyzePassesEveryCheckOnAHealthyLab() throws Exception {
        Run r = cmglab("analyze", "--json");
        JsonNode report = json(r);
        assertThat(report.path("checks")).as(r.output()).allSatisfy(c ->
                assertThat(c.path("status").asText()).as(c.toString()).isEqualTo("PASS"));
        assertThat(report.path("failed").asInt()).isZero();
        assertThat(r.exit()).isZero();
        List<String> areas = new ArrayList<>();
        report.path("checks").forEach(c -> areas.add(c.path("area").asText()));
        assertThat(areas).contains("CMG service", "Connection point", "Authentication", "Management point",
                "Software update point", "Content");
        assertThat(check(report, "Service name resolves").path("reason").asText()).contains(plan.vipAddress());
        assertThat(check(report, "Server certificate name").path("reason").asText()).contains(LabPlan.SERVICE_NAME);
        assertThat(check(report, "Client certificate has client authentication EKU").path("status").asText())
                .isEqualTo("PASS");
    }

    @Test
    @Order(2)
    void analyzeWithEntraGetsACcmTokenThroughTheCmg() throws Exception {
        Run r = cmglab("analyze", "--auth", "entra");
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("PASS  Authentication").contains("Entra ID device token → CCM token from CCM_STS")
                .contains("Result: ").doesNotContain("FAIL");
    }

    @Test
    @Order(3)
    void demoRunsEveryFlowOnTheRunningLabAndMarksThePortList() throws Exception {
        Run r = cmglab("demo");
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("on the running lab of cmglab up (pid " + ProcessHandle.current().pid())
                .contains("== F1").contains("== F2").contains("OK: F3 → F4 → F5 and back, every hop ok")
                .contains("OK: client lifecycle through the CMG (MP and SUP)").contains("OK: C1 → C6")
                .doesNotContain("Stopping the lab");
        List<String> table = r.output().lines().dropWhile(l -> !l.startsWith("== The article's port list")).toList();
        assertThat(table).anySatisfy(l -> assertThat(l).contains("service connection point").contains("exercised"))
                .anySatisfy(l -> assertThat(l).contains("CMG (one VM instance)").contains("✓ exercised"))
                .anySatisfy(l -> assertThat(l).contains("blob storage (content)").contains("✓ exercised"))
                .anySatisfy(l -> assertThat(l).contains("management point").contains("✓ exercised"))
                .anySatisfy(l -> assertThat(l).contains("software update point").contains("✓ exercised"))
                .anySatisfy(l -> assertThat(l).contains("CMG (classic)").contains("not exercised"));
        assertThat(lab.component(LabPlan.CONNECTION_POINT).isAlive()).as("the demo does not stop the running lab").isTrue();
    }

    @Test
    @Order(4)
    void demoAndAnalyzeWithABulkRegistrationToken() throws Exception {
        Run demo = cmglab("demo", "--auth", "token");
        assertThat(demo.exit()).as(demo.output()).isZero();
        assertThat(demo.output()).contains("(--auth token)").contains("bulk registration token from site-sim bulk-token")
                .contains("client-sim token --auth token").contains("OK: F3 → F4 → F5 and back, every hop ok")
                .contains("OK: client lifecycle through the CMG (MP and SUP)");
        Run analyze = cmglab("analyze", "--auth", "token");
        assertThat(analyze.exit()).as(analyze.output()).isZero();
        assertThat(analyze.output()).contains("PASS  Authentication").contains("Bulk registration token → CCM token")
                .doesNotContain("FAIL");
    }

    @Test
    @Order(5)
    void everyComponentWritesItsProductLogsInCmTraceFormat() throws Exception {
        List<String> logs = List.of("CloudMgr.log", "SMS_Cloud_ProxyConnector.log",
                "CMG-GraniteFalls-ProxyService_IN_0-CMGService.log", "CMG-GraniteFalls-ProxyService_IN_0-CMGSetup.log",
                "CMG-GraniteFalls-ProxyService_IN_0-CMGHttpHandler.log", "LocationServices.log", "ClientLocation.log",
                "DataTransferService.log", "CcmMessaging.log", "MP_GetAuth.log", "MP_Location.log",
                "MP_RegistrationManager.log", "MP_Policy.log", "CCM_STS.log");
        for (String name : logs) {
            Path f = plan.logDir().resolve(name);
            assertThat(f).as(name).isRegularFile();
            String text = Files.readString(f, StandardCharsets.UTF_8);
            assertThat(text).as(name + " has lines").isNotBlank();
            assertThat(CMTRACE.matcher(text).replaceAll("")).as(name + ": text outside CMTrace records").isBlank();
        }
        assertThat(Files.readString(plan.logDir().resolve("CMG-GraniteFalls-ProxyService_IN_0-CMGSetup.log")))
                .contains("Role instance ProxyService_IN_0 is ReadyRole");
        assertThat(Files.readString(plan.logDir().resolve("CMG-GraniteFalls-ProxyService_IN_0-CMGHttpHandler.log")))
                .contains("Request GET /CCM_Proxy_MutualAuth/" + LabPlan.MP_ROLE_ID + "/SMS_MP/.sms_aut?MPLIST");
        assertThat(plan.logDir().resolve("CMGService.log")).as("no shared CMGService.log any more").doesNotExist();
    }

    @Test
    @Order(6)
    void withoutTheConnectionPointTheChannelAndMpChecksFailWithAFix() throws Exception {
        lab.kill(LabPlan.CONNECTION_POINT);
        lab.awaitNoChannel(java.time.Duration.ofSeconds(20));
        Run r = cmglab("analyze", "--json");
        assertThat(r.exit()).as(r.output()).isEqualTo(1);
        JsonNode report = json(r);
        JsonNode channel = check(report, "Channel to VM instance 0");
        assertThat(channel.path("status").asText()).isEqualTo("FAIL");
        assertThat(channel.path("fix").asText()).contains("cmg-connection-point").contains("SMS_Cloud_ProxyConnector.log");
        JsonNode mplist = check(report, "MPLIST through the CMG");
        assertThat(mplist.path("status").asText()).isEqualTo("FAIL");
        assertThat(mplist.path("fix").asText()).contains("connection point");
        assertThat(check(report, "Deployment is Ready").path("status").asText()).isEqualTo("PASS");
        assertThat(check(report, "TLS handshake").path("status").asText()).isEqualTo("PASS");
    }
}
