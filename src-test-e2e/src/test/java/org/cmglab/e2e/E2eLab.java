package org.cmglab.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.cmglab.lab.ComponentProcess;
import org.cmglab.lab.LabPlan;
import org.cmglab.lab.LabProcesses;
import org.cmglab.proto.config.ConnectionPointConfig;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.runtime.Json;

/**
 * A lab for the e2e tests of the channel rules (every component its own JVM, started from the shaded jars): a random
 * {@code 127.N} network, the plan's configs with the connection point's config adjusted by the test (short retry and
 * site-poll timings through the existing config records), and the helpers those tests share: the connection point's
 * channel status, admin POSTs, a mutual-TLS HTTP/1.1 client for the CMG front door, log greps.
 */
final class E2eLab implements AutoCloseable {
    static final Duration POLL = Duration.ofMillis(50);
    static final String MPLIST = "/CCM_Proxy_MutualAuth/" + LabPlan.MP_ROLE_ID + "/SMS_MP/.sms_aut?MPLIST";
    static final HttpClient HTTP = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY)
            .connectTimeout(Duration.ofSeconds(2)).build();

    final LabPlan plan;
    final LabProcesses lab;
    /** Extra processes the test started (a second connection point, a relaunched instance); stopped on close. */
    final List<ComponentProcess> extra = new ArrayList<>();

    private E2eLab(LabPlan plan, LabProcesses lab) {
        this.plan = plan;
        this.lab = lab;
    }

    /**
     * Plans a lab in {@code stateDir} ({@code builder} adds deployment method and instance count), lets {@code cp}
     * adjust the connection point's config, starts every process and waits until every instance has a channel.
     */
    static E2eLab start(Path stateDir, UnaryOperator<LabPlan.Builder> builder, UnaryOperator<ConnectionPointConfig> cp)
            throws Exception {
        return start(stateDir, builder, cp, NONE);
    }

    /** What a test does once the CMG is deployed, before the connection point starts. */
    interface BeforeConnectionPoint {
        void run(E2eLab lab) throws Exception;
    }

    /** Nothing to do before the connection point: it starts together with the service connection point. */
    static final BeforeConnectionPoint NONE = l -> { };

    /**
     * As above; {@code before} runs after the deployment is Ready and before the connection point starts (with
     * {@link #NONE} the connection point starts with the service connection point and waits for the deployment).
     */
    static E2eLab start(Path stateDir, UnaryOperator<LabPlan.Builder> builder, UnaryOperator<ConnectionPointConfig> cp,
                        BeforeConnectionPoint before) throws Exception {
        return start(stateDir, builder, cp, before, LabProcesses.READY_TIMEOUT);
    }

    /** As above, each process given {@code readyTimeout} to answer its /ready (busy machines). */
    static E2eLab start(Path stateDir, UnaryOperator<LabPlan.Builder> builder, UnaryOperator<ConnectionPointConfig> cp,
                        BeforeConnectionPoint before, Duration readyTimeout) throws Exception {
        int net = ThreadLocalRandom.current().nextInt(100, 200);
        LabPlan plan = builder.apply(LabPlan.builder().stateDir(stateDir).net(net)).build();
        plan.materialize();
        Json.writeFile(plan.configFile(LabPlan.CONNECTION_POINT), cp.apply(plan.connectionPointConfig()));
        LabProcesses lab = new LabProcesses(plan, System.out);
        E2eLab l = new E2eLab(plan, lab);
        try {
            Duration deploy = LabProcesses.DEPLOY_TIMEOUT.plus(readyTimeout).minus(LabProcesses.READY_TIMEOUT);
            if (before == NONE) {
                lab.startAll(readyTimeout, deploy);
            } else {
                lab.startAll(readyTimeout, deploy, () -> before.run(l));
            }
            lab.awaitChannel(Duration.ofSeconds(60));
        } catch (Exception | Error e) {
            try {
                l.close();
            } catch (Exception | Error c) {
                e.addSuppressed(c);
            }
            throw e;
        }
        return l;
    }

    /**
     * The default lab (one instance, the plan's own configs) in {@code stateDir}, started the way {@code lab start}
     * does ({@link LabProcesses#startAll()}), then waits until the connection point has a ready channel.
     */
    static E2eLab startAll(Path stateDir) throws Exception {
        return startAll(stateDir, b -> b);
    }

    /** As {@link #startAll(Path)}, with {@code builder} adjusting the plan (e.g. channel ping timings). */
    static E2eLab startAll(Path stateDir, UnaryOperator<LabPlan.Builder> builder) throws Exception {
        int net = ThreadLocalRandom.current().nextInt(100, 200);
        LabPlan plan = builder.apply(LabPlan.builder().stateDir(stateDir).net(net)).build();
        plan.materialize();
        E2eLab l = new E2eLab(plan, new LabProcesses(plan, System.out));
        try {
            l.lab.startAll();
            l.lab.awaitChannel(Duration.ofSeconds(30));
        } catch (Exception | Error e) {
            try {
                l.close();
            } catch (Exception | Error c) {
                e.addSuppressed(c);
            }
            throw e;
        }
        return l;
    }

    /** A copy of {@code c} with other channel timings, site-poll interval and proxy (the rest unchanged). */
    static ConnectionPointConfig with(ConnectionPointConfig c, org.cmglab.proto.config.ChannelTimings timings,
                                      long sitePollMillis, ConnectionPointConfig.WebProxy proxy) {
        return new ConnectionPointConfig(c.name(), c.siteCode(), c.sourceAddress(), c.targets(), c.clientTls(),
                c.trustRoots(), c.routes(), c.hosts(), c.admin(), timings, c.logDir(), c.dnsServer(), c.siteControl(),
                sitePollMillis, proxy);
    }

    ComponentProcess cp() {
        return lab.component(LabPlan.CONNECTION_POINT);
    }

    // ------------------------------------------------------------------ status

    static JsonNode status(ComponentProcess c) throws IOException, InterruptedException {
        return Json.MAPPER.readTree(c.adminGet("/status"));
    }

    JsonNode status(Endpoint admin) throws IOException, InterruptedException {
        return Json.MAPPER.readTree(lab.adminGet(admin, "/status"));
    }

    /** The connection point's channel to instance {@code i} (null when it has none). */
    static JsonNode channel(JsonNode cpStatus, int i) {
        for (JsonNode ch : cpStatus.path("channels")) {
            if (ch.path("instanceIndex").asInt(-1) == i) {
                return ch;
            }
        }
        return null;
    }

    /** Polls a process's /status until {@code want} holds; fails with the last status seen. */
    static JsonNode awaitStatus(ComponentProcess c, Predicate<JsonNode> want, Duration timeout, String what) {
        AtomicReference<JsonNode> last = new AtomicReference<>();
        try {
            await().atMost(timeout).pollInterval(POLL).ignoreExceptions().until(() -> {
                last.set(status(c));
                return want.test(last.get());
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(c.name() + " did not reach: " + what + " within " + timeout.toSeconds()
                    + " s; last /status: " + last.get(), e);
        }
        return last.get();
    }

    /** Instance {@code i}'s address, for any i the deployment has now (the plan only knows its initial count). */
    String instanceAddress(int i) {
        return plan.instanceAddressPrefix() + (10 + i);
    }

    Endpoint instanceAdmin(int i) {
        return new Endpoint(instanceAddress(i), plan.port(9090));
    }

    /** Connection ids of the ready channels a CMG instance lists. */
    List<String> cmgReady(int instance) {
        try {
            return LabProcesses.readyChannels(lab.adminGet(instanceAdmin(instance), "/status")).stream()
                    .map(c -> c.path("connectionId").asText()).toList();
        } catch (IOException | InterruptedException e) {
            return List.of();
        }
    }

    void awaitCmgReady(int instance, String connectionId, Duration timeout) {
        await(LabPlan.cmgServiceName(instance) + " to list channel " + connectionId + " as ready").atMost(timeout)
                .pollInterval(POLL).until(() -> cmgReady(instance).contains(connectionId));
    }

    static long attempts(JsonNode ch) {
        return ch.path("connects").asLong() + ch.path("failures").asLong();
    }

    // ------------------------------------------------------------------ admin

    static String post(ComponentProcess c, String pathAndQuery) throws Exception {
        HttpResponse<String> r = HTTP.send(c.adminRequest(pathAndQuery).timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("POST %s %s → %s", c.name(), pathAndQuery, r.body()).isEqualTo(200);
        return r.body();
    }

    /** Waits until the SCP reports the deployment Ready with {@code n} ReadyRole instances and no task. */
    JsonNode awaitDeployment(int n, Duration timeout) {
        return awaitStatus(lab.component(LabPlan.SCP), st -> {
            assertThat(st.path("state").asText()).as("SCP state (%s)", st.path("reason").asText()).isNotEqualTo("Error");
            long ready = 0;
            for (JsonNode i : st.path("instances")) {
                if ("ReadyRole".equals(i.path("state").asText())) {
                    ready++;
                }
            }
            boolean idle = st.path("task").isNull() || st.path("task").isMissingNode() || st.path("task").asText().isEmpty();
            return "Ready".equals(st.path("state").asText()) && idle && ready == n && st.path("instances").size() == n;
        }, timeout, "deployment Ready with " + n + " instance(s)");
    }

    /** The pid of VM instance {@code i}, from the service connection point's status (azure-sim started it). */
    long instancePid(int i) throws Exception {
        JsonNode st = status(lab.component(LabPlan.SCP));
        for (JsonNode inst : st.path("instances")) {
            if (inst.path("roleInstance").asText().endsWith("_" + i)) {
                long pid = inst.path("pid").asLong();
                assertThat(ProcessHandle.of(pid).map(h -> h.info().commandLine().orElse("")).orElse(""))
                        .contains("cmg-service.jar");
                return pid;
            }
        }
        throw new AssertionError("no instance " + i + " in the SCP status: " + st);
    }

    // ------------------------------------------------------------------ logs

    /** Lines containing {@code needle} in a file, or in every .out/.log file under a folder. */
    static List<String> grep(Path where, String needle) throws IOException {
        if (!Files.exists(where)) {
            return List.of();
        }
        List<Path> files;
        if (Files.isDirectory(where)) {
            try (var s = Files.walk(where)) {
                files = s.filter(Files::isRegularFile)
                        .filter(f -> f.toString().endsWith(".out") || f.toString().endsWith(".log")).toList();
            }
        } else {
            files = List.of(where);
        }
        List<String> out = new ArrayList<>();
        for (Path f : files) {
            for (String l : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                if (l.contains(needle)) {
                    out.add(f.getFileName() + ": " + l);
                }
            }
        }
        return out;
    }

    Path out(String process) {
        return plan.logDir().resolve(process + ".out");
    }

    @Override
    public void close() throws IOException {
        for (ComponentProcess c : extra) {
            c.stop();
        }
        List<ProcessHandle> started = lab.processHandles();
        lab.close();
        assertThat(started).as("processes the lab started").isNotEmpty();
        for (ProcessHandle h : started) {
            assertThat(h.isAlive()).as("process %d still alive after stop", h.pid()).isFalse();
        }
        assertThat(grep(plan.logDir(), "LEAK:")).as("Netty LEAK reports in " + plan.logDir()).isEmpty();
    }

    // ------------------------------------------------------------------ client

    /**
     * A minimal HTTP/1.1 client over mutual TLS (the lab client certificate) to a CMG front door: the VIP or one
     * instance, SNI and certificate name the CMG service name.
     */
    static final class Client implements AutoCloseable {
        final javax.net.ssl.SSLSocket socket;
        final java.io.InputStream in;
        final java.io.OutputStream out;

        record Response(int status, String statusLine, byte[] body) {
            String text() {
                return new String(body, StandardCharsets.UTF_8);
            }
        }

        private Client(javax.net.ssl.SSLSocket s) throws IOException {
            socket = s;
            in = new java.io.BufferedInputStream(s.getInputStream(), 64 * 1024);
            out = s.getOutputStream();
        }

        static Client open(LabPlan plan, String address, int port) throws Exception {
            var id = org.cmglab.proto.pki.IssuedCert.readPem(Path.of(plan.clientTls().certFile()),
                    Path.of(plan.clientTls().keyFile()));
            var ctx = org.cmglab.proto.pki.TlsContexts.jdkClient(List.of(
                    org.cmglab.proto.pki.Pem.readCertificates(plan.rootCertFile()).get(0)), id);
            var s = (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket();
            s.setReceiveBufferSize(64 * 1024);
            s.connect(new java.net.InetSocketAddress(address, port), 5_000);
            s.setSoTimeout(20_000);
            var p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setServerNames(List.of(new javax.net.ssl.SNIHostName(LabPlan.SERVICE_NAME)));
            s.setSSLParameters(p);
            s.startHandshake();
            return new Client(s);
        }

        /** One GET through the VIP on a new connection. */
        static Response vipGet(LabPlan plan, String path) throws Exception {
            try (Client c = open(plan, plan.vipAddress(), plan.port(443))) {
                return c.get(path);
            }
        }

        void send(String path) throws IOException {
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + LabPlan.SERVICE_NAME + "\r\nAccept: */*\r\n"
                    + "User-Agent: cmglab-e2e\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        Response get(String path) throws IOException {
            send(path);
            String[] head = readHead();
            long len = Long.parseLong(head[1]);
            byte[] body;
            if ("chunked".equals(head[2])) {
                var b = new java.io.ByteArrayOutputStream();
                while (true) {
                    int n = Integer.parseInt(line().split(";")[0].trim(), 16);
                    if (n == 0) {
                        while (!line().isEmpty()) {
                            // trailers
                        }
                        break;
                    }
                    b.write(in.readNBytes(n));
                    line();
                }
                body = b.toByteArray();
            } else {
                body = in.readNBytes((int) Math.max(0, len));
            }
            return new Response(Integer.parseInt(head[0].split(" ", 3)[1]), head[0], body);
        }

        /** Status line, Content-Length (-1 if none), "chunked" or "". */
        String[] readHead() throws IOException {
            String status = line();
            long len = -1;
            String te = "";
            for (String l = line(); !l.isEmpty(); l = line()) {
                String lower = l.toLowerCase(java.util.Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    len = Long.parseLong(l.substring(15).trim());
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    te = "chunked";
                }
            }
            return new String[] {status, Long.toString(len), te};
        }

        /** Reads {@code n} body bytes and checks each against site-sim's lab content pattern. */
        long readAndCheck(long offset, long n) throws IOException {
            byte[] buf = new byte[64 * 1024];
            long done = 0;
            while (done < n) {
                int r = in.read(buf, 0, (int) Math.min(buf.length, n - done));
                if (r < 0) {
                    throw new java.io.EOFException("body ended at " + (offset + done) + " bytes");
                }
                for (int i = 0; i < r; i++) {
                    long o = offset + done + i;
                    byte want = (byte) ((o * 31) ^ (o >>> 11)); // site-sim LabContentHandler.byteAt
                    if (buf[i] != want) {
                        throw new AssertionError("body byte " + o + " is " + buf[i] + ", expected " + want);
                    }
                }
                done += r;
            }
            return done;
        }

        private String line() throws IOException {
            StringBuilder b = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                if (c != '\r') {
                    b.append((char) c);
                }
            }
            if (c < 0 && b.length() == 0) {
                throw new java.io.EOFException("connection closed");
            }
            return b.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
