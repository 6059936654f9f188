package org.cmglab.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DashboardCommandTest {
    @TempDir
    Path state;

    @Test
    void refusesAnAddressOutsideLoopbackAndAMalformedOne() {
        for (String bad : new String[] {"10.0.0.1:8080", "127.0.0.1", "127.0.0.1:http"}) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            DashboardCommand c = new DashboardCommand();
            new CommandLine(c).parseArgs("--state", state.toString(), "--listen", bad);
            int code;
            try {
                code = c.run(new PrintStream(buf, true, StandardCharsets.UTF_8), new CountDownLatch(0));
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            assertThat(code).as(bad).isEqualTo(CmgLabMain.EXIT_USAGE);
            assertThat(buf.toString(StandardCharsets.UTF_8)).as(bad).startsWith("cmglab: ");
        }
    }

    @Test
    void isASubcommandOfCmglab() {
        CommandLine cl = new CommandLine(new CmgLabMain());
        assertThat(cl.getSubcommands()).containsKey("dashboard");
    }

    @Test
    void servesThePageUntilStopped() throws Exception {
        DashboardCommand c = new DashboardCommand();
        new CommandLine(c).parseArgs("--state", state.toString(), "--net", "77", "--listen", "127.0.0.1:0");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        CountDownLatch stop = new CountDownLatch(1);
        AtomicInteger code = new AtomicInteger(-1);
        Thread t = new Thread(() -> {
            try {
                code.set(c.run(out, stop));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        Pattern url = Pattern.compile("page: (http://127\\.0\\.0\\.1:\\d+/)");
        await().atMost(Duration.ofSeconds(20)).until(() -> url.matcher(buf.toString(StandardCharsets.UTF_8)).find());
        Matcher m = url.matcher(buf.toString(StandardCharsets.UTF_8));
        assertThat(m.find()).isTrue();
        HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
        HttpResponse<String> status = http.send(HttpRequest.newBuilder(URI.create(m.group(1) + "api/status"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(status.statusCode()).isEqualTo(200);
        assertThat(status.body()).contains("\"source\":\"probe\"", "\"components\"", "\"ready\":false");
        stop.countDown();
        t.join(10_000);
        assertThat(code.get()).isZero();
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("status from the components' admin endpoints");
    }
}
