package org.cmglab.proto.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.cmglab.proto.flow.FlowEventLog;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin token: file 0600, constant-time check, and {@link AdminServer} refusing unauthenticated mutations. */
class AdminTokenTest {
    private static final String TOKEN = "s3cr3t-admin-token-for-test";
    private static EventLoopGroup group;
    private static AdminServer admin;
    private static AdminServer open;
    private static final AtomicInteger runs = new AtomicInteger();
    private static final HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();

    @BeforeAll
    static void start() throws Exception {
        group = EventLoops.newGroup(1, "admin-token-test");
        Map<String, AdminAction> actions = Map.of("poke", (q, body) -> Map.of("runs", runs.incrementAndGet()));
        admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0), group, "test", () -> true,
                () -> Map.of("ok", true), new FlowEventLog("test", null), AdminServer.newRegistry(), actions,
                Optional.of(TOKEN));
        open = AdminServer.start(new InetSocketAddress("127.0.0.1", 0), group, "test-open", () -> true,
                () -> Map.of("ok", true), new FlowEventLog("test-open", null), AdminServer.newRegistry(), actions,
                Optional.empty());
    }

    @AfterAll
    static void stop() {
        admin.close();
        open.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static HttpResponse<String> send(AdminServer at, String method, String path, String authorization)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + at.boundAddress().getPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void postWithoutTokenIsRefusedWith401AndDoesNotRun() throws Exception {
        int before = runs.get();
        HttpResponse<String> r = send(admin, "POST", "/poke", null);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(r.body()).contains("no Authorization header").doesNotContain(TOKEN);
        assertThat(runs.get()).isEqualTo(before);
    }

    @Test
    void postWithWrongTokenIsRefusedWith401() throws Exception {
        int before = runs.get();
        assertThat(send(admin, "POST", "/poke", "Bearer wrong").statusCode()).isEqualTo(401);
        assertThat(send(admin, "POST", "/poke", "Bearer " + TOKEN + "x").statusCode()).isEqualTo(401);
        assertThat(send(admin, "POST", "/poke", "Basic " + TOKEN).statusCode()).isEqualTo(401);
        assertThat(send(admin, "PUT", "/poke", "Bearer nope").statusCode()).isEqualTo(401);
        assertThat(send(admin, "DELETE", "/poke", null).statusCode()).isEqualTo(401);
        assertThat(runs.get()).isEqualTo(before);
    }

    @Test
    void postWithTheTokenRuns() throws Exception {
        int before = runs.get();
        HttpResponse<String> r = send(admin, "POST", "/poke", "Bearer " + TOKEN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(runs.get()).isEqualTo(before + 1);
        // with the token, other methods get the usual answer (405), not 401
        assertThat(send(admin, "DELETE", "/poke", "bearer " + TOKEN).statusCode()).isEqualTo(405);
    }

    @Test
    void getsStayOpen() throws Exception {
        for (String p : new String[] {"/health", "/ready", "/status", "/events", "/metrics"}) {
            assertThat(send(admin, "GET", p, null).statusCode()).as(p).isEqualTo(200);
        }
    }

    @Test
    void withoutATokenTheEndpointIsOpenAsBefore() throws Exception {
        assertThat(send(open, "POST", "/poke", null).statusCode()).isEqualTo(200);
    }

    @Test
    void matchesOnlyTheExactBearerToken() {
        assertThat(AdminToken.matches("abc", "Bearer abc")).isTrue();
        assertThat(AdminToken.matches("abc", "bearer abc ")).isTrue();
        assertThat(AdminToken.matches("abc", "Bearer ab")).isFalse();
        assertThat(AdminToken.matches("abc", "Bearer abcd")).isFalse();
        assertThat(AdminToken.matches("abc", "abc")).isFalse();
        assertThat(AdminToken.matches("abc", null)).isFalse();
        assertThat(AdminToken.matches(null, "Bearer abc")).isFalse();
        assertThat(AdminToken.matches("abc", "Bearer " + "a".repeat(10_000))).isFalse();
    }

    @Test
    void tokenFileIsOwnerOnlyAndStable(@TempDir Path dir) throws Exception {
        Path pki = dir.resolve("pki");
        String t = AdminToken.loadOrCreate(pki);
        assertThat(t).hasSizeGreaterThanOrEqualTo(40);
        Path f = pki.resolve(AdminToken.FILE);
        if (f.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
        }
        assertThat(AdminToken.loadOrCreate(pki)).isEqualTo(t);
        assertThat(AdminToken.read(pki)).contains(t);
        assertThat(AdminToken.read(dir.resolve("none"))).isEmpty();
        assertThat(AdminToken.loadOrCreate(dir.resolve("other"))).isNotEqualTo(t);
    }
}
