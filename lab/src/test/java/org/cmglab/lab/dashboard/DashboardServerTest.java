package org.cmglab.lab.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.cmglab.lab.LabPlan;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.flow.FlowEvent;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dashboard on loopback: the page, the event stream (replay, live, Last-Event-ID, slow client), the JSON APIs. */
class DashboardServerTest {
    static final HttpClient HTTP = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path tmp;

    Path logs;
    DashboardServer server;
    final AtomicReference<Supplier<String>> status = new AtomicReference<>(() -> "{\"lab\":{\"state\":\"ready\"}}");
    int seq;

    @BeforeEach
    void start() throws Exception {
        logs = Files.createDirectories(tmp.resolve("logs"));
        LabPlan plan = LabPlan.builder().stateDir(tmp.resolve("state")).net(77).portOffset(20_000).build();
        server = new DashboardServer(plan, new Endpoint("127.0.0.1", 0), () -> status.get().get(), logs,
                Duration.ofMillis(20), 1, 16 * 1024);
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    void emit(String step, String phase, String trace, String outcome, String detail) throws Exception {
        FlowEvent e = new FlowEvent(java.time.Instant.parse("2026-11-29T09:00:00Z").plusMillis(seq++).toString(), trace,
                step, phase, "cmg-service-0", "client-sim", "cmg-service/0", "HTTPS", 443, "PKI client certificate",
                outcome, 200, 2.5, detail);
        Files.writeString(logs.resolve("flow-cmg-service-0.jsonl"), Json.writeCompact(e) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + path.substring(1)))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode health() throws Exception {
        return Json.MAPPER.readTree(get("/health").body());
    }

    /** An event-stream reader: every line of the SSE body. */
    final class Stream implements AutoCloseable {
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final java.util.stream.Stream<String> body;

        Stream(String lastEventId) throws Exception {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + "events"));
            if (lastEventId != null) {
                b.header("Last-Event-ID", lastEventId);
            }
            HttpResponse<java.util.stream.Stream<String>> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofLines());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v)
                    .startsWith("text/event-stream"));
            body = r.body();
            Thread t = new Thread(() -> {
                try {
                    body.forEach(lines::add);
                } catch (RuntimeException e) {
                    // closed
                }
            }, "sse-reader");
            t.setDaemon(true);
            t.start();
        }

        /** The next {@code data:} message as a flow event, with the id line before it. */
        JsonNode next() throws Exception {
            String id = null;
            while (true) {
                String l = lines.poll(10, TimeUnit.SECONDS);
                assertThat(l).as("an SSE line within 10 s").isNotNull();
                if (l.startsWith("id: ")) {
                    id = l.substring(4);
                } else if (l.startsWith("data: ")) {
                    JsonNode n = Json.MAPPER.readTree(l.substring(6));
                    ((com.fasterxml.jackson.databind.node.ObjectNode) n).put("_id", id);
                    return n;
                }
            }
        }

        @Override
        public void close() {
            body.close();
        }
    }

    @Test
    void servesTheSelfContainedPageWithAnArrowPerStep() throws Exception {
        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("content-security-policy")).hasValueSatisfying(v ->
                assertThat(v).contains("default-src 'self'"));
        for (String step : List.of("F1", "F2", "F3", "F4", "F5", "C1", "C2", "C3", "C4", "C5", "C6")) {
            assertThat(page.body()).contains("id=\"arrow-" + step + "\"");
        }
        assertThat(page.body()).doesNotContain("http://", "https://").contains("/dashboard.js", "/dashboard.css");
        HttpResponse<String> js = get("/dashboard.js");
        assertThat(js.statusCode()).isEqualTo(200);
        assertThat(js.body()).contains("new EventSource('/events')", "/api/status");
        assertThat(get("/dashboard.css").headers().firstValue("content-type")).hasValue("text/css; charset=utf-8");
    }

    @Test
    void aNewStreamGetsTheRecentEventsThenLiveOnesInOrder() throws Exception {
        emit("F3", "request", "t1", "ok", "GET /one");
        emit("F4", "request", "t1", "ok", "GET /two");
        await().atMost(Duration.ofSeconds(5)).until(() -> health().path("lastEventId").asLong() == 2);
        try (Stream s = new Stream(null)) {
            JsonNode a = s.next();
            JsonNode b = s.next();
            assertThat(a.path("_id").asText()).isEqualTo("1");
            assertThat(a.path("step").asText()).isEqualTo("F3");
            assertThat(b.path("step").asText()).isEqualTo("F4");
            emit("F5", "request", "t1", "ok", "GET /three");
            emit("F3", "response", "t1", "forbidden", "403");
            JsonNode c = s.next();
            JsonNode d = s.next();
            assertThat(c.path("_id").asText()).isEqualTo("3");
            assertThat(c.path("step").asText()).isEqualTo("F5");
            assertThat(d.path("outcome").asText()).isEqualTo("forbidden");
        }
    }

    @Test
    void lastEventIdResumesAfterTheEventTheBrowserSaw() throws Exception {
        for (int i = 0; i < 5; i++) {
            emit("F3", "request", "t" + i, "ok", "GET /" + i);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> health().path("lastEventId").asLong() == 5);
        try (Stream s = new Stream("3")) {
            assertThat(s.next().path("_id").asText()).isEqualTo("4");
            assertThat(s.next().path("_id").asText()).isEqualTo("5");
        }
        HttpResponse<String> bad = HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + "events"))
                .header("Last-Event-ID", "yesterday").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("Last-Event-ID");
    }

    @Test
    void apiEventsSinceIsJsonForScriptsAndRefusesBadParameters() throws Exception {
        emit("F3", "request", "aaa", "ok", "x");
        emit("F4", "request", "bbb", "ok", "y");
        emit("F5", "request", "aaa", "ok", "z");
        await().atMost(Duration.ofSeconds(5)).until(() -> health().path("lastEventId").asLong() == 3);
        JsonNode all = Json.MAPPER.readTree(get("/api/events?since=1").body());
        assertThat(all.path("last").asLong()).isEqualTo(3);
        assertThat(all.path("events")).extracting(n -> n.path("step").asText()).containsExactly("F4", "F5");
        assertThat(all.path("events").get(0).path("id").asLong()).isEqualTo(2);
        JsonNode trace = Json.MAPPER.readTree(get("/api/events?trace=aaa").body());
        assertThat(trace.path("events")).extracting(n -> n.path("step").asText()).containsExactly("F3", "F5");
        assertThat(get("/api/events?since=abc").statusCode()).isEqualTo(400);
        assertThat(get("/api/events?since=-1").statusCode()).isEqualTo(400);
        assertThat(get("/api/events?limit=0").statusCode()).isEqualTo(400);
        assertThat(get("/api/events?since=1&since=2").body()).contains("expected: once");
    }

    @Test
    void clientMistakesGetA4xxWithTheReason() throws Exception {
        HttpResponse<String> missing = get("/nope");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("no such page: /nope");
        HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + "api/status"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");
        // a request line that is not HTTP, on a raw socket
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port()), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET /\u0001 bad\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            String answer = new String(s.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1);
            assertThat(answer).isEqualTo("HTTP/1.1 400");
        }
    }

    @Test
    void statusComesFromTheSupplierAndItsFailuresAreA503() throws Exception {
        HttpResponse<String> ok = get("/api/status");
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(ok.body()).path("lab").path("state").asText()).isEqualTo("ready");
        status.set(() -> {
            throw new IllegalStateException("supervisor is gone");
        });
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            HttpResponse<String> r = get("/api/status");
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.body()).contains("supervisor is gone");
        });
        status.set(() -> "<html>");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(get("/api/status").body()).contains("invalid JSON"));
    }

    @Test
    void thePortTableIsThisLabs() throws Exception {
        JsonNode rows = Json.MAPPER.readTree(get("/api/ports").body());
        assertThat(rows).anySatisfy(r -> {
            assertThat(r.path("steps").toString()).contains("F3");
            assertThat(r.path("lab").asText()).isEqualTo("127.77.1.1:20443");
        });
        assertThat(rows).anySatisfy(r -> assertThat(r.path("steps").toString()).contains("C6"));
    }

    @Test
    void aBrowserThatDoesNotReadIsDroppedAndOthersCarryOn() throws Exception {
        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(4096);
            slow.connect(new InetSocketAddress("127.0.0.1", port()), 2000);
            OutputStream out = slow.getOutputStream();
            out.write("GET /events HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            await().atMost(Duration.ofSeconds(5)).until(() -> health().path("streams").asInt() == 1);
            String big = "x".repeat(8_000);
            // several MB of events; the browser reads none of them
            for (int round = 0; round < 40 && health().path("streams").asInt() > 0; round++) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < 50; i++) {
                    sb.append(Json.writeCompact(new FlowEvent("2026-11-29T09:00:00Z", "t", "F3", "request", "c",
                            null, null, null, 0, null, "ok", 0, 0, big))).append('\n');
                }
                Files.writeString(logs.resolve("flow-big.jsonl"), sb, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
                long want = (round + 1) * 50L;
                await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                        .until(() -> health().path("lastEventId").asLong() >= want);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> health().path("streams").asInt() == 0);
            InputStream in = slow.getInputStream();
            slow.setSoTimeout(10_000);
            // the server closed it: draining what was sent ends with EOF
            byte[] buf = new byte[65536];
            long total = 0;
            int n;
            while ((n = in.read(buf)) >= 0) {
                total += n;
            }
            assertThat(total).isPositive();
        }
        long before = health().path("lastEventId").asLong();
        emit("F3", "request", "after", "ok", "still served");
        await().atMost(Duration.ofSeconds(5)).until(() -> health().path("lastEventId").asLong() == before + 1);
        try (Stream s = new Stream(String.valueOf(before))) {
            assertThat(s.next().path("traceId").asText()).isEqualTo("after");
        }
    }

    int port() {
        return URI.create(server.url()).getPort();
    }
}
