package org.cmglab.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.cmglab.lab.ClientRun;
import org.cmglab.lab.LabPlan;
import org.cmglab.lab.dashboard.DashboardServer;
import org.cmglab.lab.dashboard.LabStatusProbe;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live data-flow page in a real browser (issue 7): the lab's processes, the {@link DashboardServer} on the lab's
 * 127.N.0.1:8080, and the machine's headless Chromium driven by {@code tools/browser/dashboard-check.mjs}
 * (playwright-core). The page is opened before the client runs; then {@code client-sim mplist} and a content download
 * go through the CMG, and the page must have lit F3 → F4 → F5 for the first trace and C1 → … → C6 for the second, in
 * that order, without a failed step, a JavaScript error or a request leaving the lab. The screenshot is kept as
 * {@code src-test-e2e/target/dashboard-browser.png}.
 *
 * <p>Skipped, with the reason printed, when {@code /usr/bin/chromium} or {@code tools/browser/node_modules} is
 * missing ({@code apt-get install chromium}, {@code npm ci --prefix tools/browser}; {@code .ci/run} does both).
 */
class DashboardBrowserE2ETest {
    static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
    static final String PKG = "P0100077";

    @TempDir
    Path tmp;

    static Path home() {
        return Path.of(System.getProperty("cmglab.home", ".")).toAbsolutePath().normalize();
    }

    static void assumeBrowser() {
        Path driver = home().resolve("tools/browser/node_modules/playwright-core");
        String missing = !Files.isExecutable(CHROMIUM) ? CHROMIUM + " is missing (apt-get install chromium)"
                : !Files.isDirectory(driver) ? driver + " is missing (npm ci --prefix tools/browser)" : null;
        if (missing != null) {
            System.out.println("SKIPPED DashboardBrowserE2ETest: " + missing);
        }
        Assumptions.assumeTrue(missing == null, missing);
    }

    @Test
    void thePageLightsTheArrowsOfARealRequestAndADownloadInFlowOrder() throws Exception {
        assumeBrowser();
        Path screenshot = home().resolve("src-test-e2e/target/dashboard-browser.png");
        Files.createDirectories(screenshot.getParent());
        Files.deleteIfExists(screenshot);
        try (E2eLab e2e = E2eLab.startAll(tmp.resolve("state"));
             DashboardServer page = new DashboardServer(e2e.plan, e2e.plan.dashboard(),
                     () -> LabStatusProbe.probe(e2e.plan))) {
            page.start();
            assertThat(page.url()).isEqualTo("http://" + e2e.plan.dashboard() + "/");
            Browser browser = Browser.open(page.url(), screenshot);
            try {
                browser.awaitLine("READY", Duration.ofSeconds(90));

                String mplist = TraceContext.newTraceId();
                ClientRun run = e2e.lab.runClient(mplist);
                assertThat(run.exitCode()).as("client-sim mplist:\n%s", run.output()).isZero();

                E2eLab.post(e2e.lab.component(LabPlan.SITE_SIM),
                        "/distribute?package=" + PKG + "&version=1&files=2&bytes=300000");
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                        assertThat(Json.MAPPER.readTree(E2eLab.post(e2e.lab.component(LabPlan.SITE_SIM), "/content"))
                                .path("states").path(PKG).asText()).startsWith("Distributed"));
                String content = TraceContext.newTraceId();
                ClientRun download = e2e.lab.runClientCommand(e2e.plan.configFile(LabPlan.CLIENT_SIM), "content",
                        content, List.of("--package", PKG, "--dest", tmp.resolve("ccmcache").toString()));
                assertThat(download.exitCode()).as("client-sim content:\n%s", download.output()).isZero();

                browser.send("CHECK " + Json.writeCompact(Map.of(
                        mplist, List.of("F3", "F4", "F5"),
                        content, List.of("C1", "C2", "C3", "C4", "C5", "C6"))));
                String resultLine = browser.awaitLine("RESULT ", Duration.ofSeconds(90));
                JsonNode result = Json.MAPPER.readTree(resultLine.substring("RESULT ".length()));
                System.out.println("browser: " + resultLine);

                assertThat(result.path("ok").asBoolean()).as("every expected arrow lit: %s", result).isTrue();
                assertThat(steps(result, mplist)).as("the arrows of the mplist request, in the order they lit")
                        .containsExactly("F3", "F4", "F5");
                assertThat(steps(result, content).stream().filter(s -> s.startsWith("C")).toList())
                        .as("the content flow's arrows, in the order they lit")
                        .containsExactly("C1", "C2", "C3", "C4", "C5", "C6");
                assertThat(steps(result, content)).as("the location request (C1) went through the CMG")
                        .contains("F3", "F4", "F5");
                for (String step : List.of("F3", "F4", "F5", "C1", "C2", "C3", "C4", "C5", "C6")) {
                    assertThat(result.path("arrows").path(step).asText()).as("arrow %s", step)
                            .containsAnyOf("lit", "seen").doesNotContain("fail");
                }
                assertThat(result.path("arrows").path("F1").asText()).as("F1 from the deployment, replayed")
                        .containsAnyOf("lit", "seen");
                assertThat(result.path("arrows").path("F2").asText()).as("F2 from the channel, replayed")
                        .containsAnyOf("lit", "seen");
                assertThat(result.path("problems")).as("page errors or requests leaving the lab").isEmpty();
                assertThat(result.path("portRows").asInt()).isGreaterThanOrEqualTo(9);
                assertThat(result.path("requestRows").asInt()).isPositive();
                assertThat(browser.exit(Duration.ofSeconds(30))).isZero();
            } finally {
                browser.close();
            }
            assertThat(screenshot).isRegularFile();
            assertThat(Files.size(screenshot)).as("a screenshot, not an empty page").isGreaterThan(50_000);
            System.out.println("screenshot: " + screenshot);
        }
    }

    static List<String> steps(JsonNode result, String trace) {
        List<String> out = new ArrayList<>();
        result.path("traces").path(trace).forEach(n -> out.add(n.asText()));
        return out;
    }

    /** The node driver as a process: its stdout lines in a queue, CHECK written to its stdin. */
    static final class Browser implements AutoCloseable {
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final List<String> seen = new ArrayList<>();
        final Writer in;

        private Browser(Process p) {
            this.process = p;
            this.in = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) {
                        lines.add(l);
                    }
                } catch (IOException e) {
                    // the process ended
                }
            }, "browser-stdout");
            t.setDaemon(true);
            t.start();
        }

        static Browser open(String url, Path screenshot) throws IOException {
            Path dir = home().resolve("tools/browser");
            ProcessBuilder pb = new ProcessBuilder("node", dir.resolve("dashboard-check.mjs").toString(), "--url", url,
                    "--screenshot", screenshot.toString(), "--timeout-ms", "60000")
                    .directory(dir.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT);
            pb.environment().put("CHROMIUM", CHROMIUM.toString());
            return new Browser(pb.start());
        }

        String awaitLine(String prefix, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                String l = lines.poll(200, TimeUnit.MILLISECONDS);
                if (l == null) {
                    if (!process.isAlive() && lines.isEmpty()) {
                        break;
                    }
                    continue;
                }
                seen.add(l);
                if (l.startsWith(prefix)) {
                    return l;
                }
            }
            throw new AssertionError("no '" + prefix.strip() + "' from the browser driver within " + timeout.toSeconds()
                    + " s (alive " + process.isAlive() + "); it said: " + seen);
        }

        void send(String line) throws IOException {
            in.write(line + "\n");
            in.flush();
        }

        int exit(Duration timeout) throws InterruptedException {
            assertThat(process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)).as("browser driver exited").isTrue();
            return process.exitValue();
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                process.descendants().forEach(ProcessHandle::destroy);
                process.destroy();
                try {
                    if (!process.waitFor(10, TimeUnit.SECONDS)) {
                        process.descendants().forEach(ProcessHandle::destroyForcibly);
                        process.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
