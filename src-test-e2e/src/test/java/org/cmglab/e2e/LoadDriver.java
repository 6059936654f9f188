package org.cmglab.e2e;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.cmglab.lab.LabPlan;
import org.cmglab.proto.ccm.CcmMultipart;
import org.cmglab.proto.ccm.ClientRequests;
import org.cmglab.proto.ccm.ClientSigningCert;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.pki.TlsContexts;

/**
 * A steady, bounded client load through the CMG for the fault matrix: {@code getLoops} loops of idempotent
 * {@code GET …/.sms_aut?MPLIST} and {@code postLoops} loops of {@code CCM_POST /ccm_system/request} (a real
 * SiteInformationRequest for MP_LocationManager), each with its own W3C trace id so the MP's flow events tell whether
 * it was delivered, and how often. Every loop goes to the VIP (the load balancer spreads the connections), keeps its
 * connection alive for {@link #REQUESTS_PER_CONNECTION} requests, then dials a new one; each loop paces itself to
 * {@code perLoopPerSecond}.
 *
 * <p>Every request has a deadline: {@link #CONNECT_TIMEOUT} to connect and {@link #READ_TIMEOUT} without a byte
 * from the CMG (a request that runs into it is recorded as a {@code hang}). A failed request closes the connection;
 * the loop waits {@link #ERROR_PAUSE} and goes on. The whole driver stops after {@code maxRun} whatever happens.
 */
final class LoadDriver implements AutoCloseable {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    static final Duration READ_TIMEOUT = Duration.ofSeconds(12);
    static final Duration ERROR_PAUSE = Duration.ofMillis(100);
    static final int REQUESTS_PER_CONNECTION = 20;
    static final String CCM_PATH = "/CCM_Proxy_MutualAuth/" + LabPlan.MP_ROLE_ID + "/ccm_system/request";

    /** One request: what, when (nanoTime), and how it ended. */
    record Outcome(String kind, String traceId, long startNanos, long endNanos, int status, String reason,
                   String error) {
        boolean ok() {
            return status == 200;
        }

        /** No answer before the deadline. */
        boolean hang() {
            return "hang".equals(error);
        }

        long millis() {
            return (endNanos - startNanos) / 1_000_000;
        }

        String describe() {
            return kind + " " + (status > 0 ? status + " " + reason : error) + " after " + millis() + " ms";
        }
    }

    private final LabPlan plan;
    private final SSLContext tls;
    private final ClientRequests ccm;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    /** Start (nanoTime) of the request each loop has in flight now. */
    private final java.util.Map<Thread, Long> inFlight = new java.util.concurrent.ConcurrentHashMap<>();

    LoadDriver(LabPlan plan) throws Exception {
        this.plan = plan;
        IssuedCert id = IssuedCert.readPem(Path.of(plan.clientTls().certFile()), Path.of(plan.clientTls().keyFile()));
        this.tls = TlsContexts.jdkClient(List.of(Pem.readCertificates(plan.rootCertFile()).get(0)), id);
        ClientSigningCert.Generated key = ClientSigningCert.generate(Instant.now());
        PrivateKey pk = key.keyPair().getPrivate();
        X509Certificate signing = key.certificate();
        this.ccm = new ClientRequests("LOAD01", "load01.corp.contoso.com", LabPlan.MP_FQDN, LabPlan.SITE_CODE, pk,
                signing);
    }

    /** Starts the loops; they run until {@link #close()} or {@code maxRun}. */
    LoadDriver start(int getLoops, int postLoops, double perLoopPerSecond, Duration maxRun) {
        long end = System.nanoTime() + maxRun.toNanos();
        long period = (long) (1e9 / perLoopPerSecond);
        for (int i = 0; i < getLoops + postLoops; i++) {
            boolean post = i >= getLoops;
            Thread t = new Thread(() -> loop(post, period, end), "fault-load-" + (post ? "post-" : "get-") + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        return this;
    }

    /** The outcomes of requests that started in [from, to) (nanoTime). */
    List<Outcome> between(long from, long to) {
        return outcomes.stream().filter(o -> o.startNanos >= from && o.startNanos < to).toList();
    }

    long count() {
        return outcomes.size();
    }

    /** No request that started before {@code t} is still in flight. */
    boolean settledBefore(long t) {
        return inFlight.values().stream().noneMatch(start -> start < t);
    }

    /** Successful requests that started after {@code since}. */
    long okSince(long since) {
        return outcomes.stream().filter(o -> o.startNanos >= since && o.ok()).count();
    }

    private void loop(boolean post, long period, long end) {
        Conn conn = null;
        int used = 0;
        long next = System.nanoTime();
        while (!stop.get() && System.nanoTime() < end) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait); // pacing (requests per second), not waiting for readiness
            }
            next = Math.max(next + period, System.nanoTime() - period);
            String trace = TraceContext.newTraceId();
            String kind = post ? "CCM_POST" : "GET";
            long t0 = System.nanoTime();
            inFlight.put(Thread.currentThread(), t0);
            try {
                if (conn == null || used >= REQUESTS_PER_CONNECTION) {
                    if (conn != null) {
                        conn.close();
                    }
                    conn = Conn.open(tls, plan);
                    used = 0;
                }
                used++;
                Conn.Response r = post
                        ? conn.exchange("CCM_POST", CCM_PATH, trace, CcmMultipart.CONTENT_TYPE,
                                ccm.siteInformation(null, Instant.now()).bytes())
                        : conn.exchange("GET", E2eLab.MPLIST, trace, null, null);
                outcomes.add(new Outcome(kind, trace, t0, System.nanoTime(), r.status, r.reason, null));
                if (r.status != 200 || !r.keepAlive) {
                    conn.close();
                    conn = null;
                }
            } catch (Exception e) {
                outcomes.add(new Outcome(kind, trace, t0, System.nanoTime(), 0, null, classify(e)));
                if (conn != null) {
                    conn.close();
                    conn = null;
                }
                LockSupport.parkNanos(ERROR_PAUSE.toNanos());
            } finally {
                inFlight.remove(Thread.currentThread());
            }
        }
        if (conn != null) {
            conn.close();
        }
    }

    /** A short name for a failure without an HTTP answer; {@code hang} for a missed deadline. */
    static String classify(Exception e) {
        if (e instanceof SocketTimeoutException) {
            return "hang";
        }
        String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        if (m.contains("refused")) {
            return "connection refused";
        }
        if (m.contains("reset")) {
            return "connection reset";
        }
        if (e instanceof EOFException || m.contains("closed") || m.contains("remote host terminated")) {
            return "connection closed";
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(READ_TIMEOUT.toMillis() + CONNECT_TIMEOUT.toMillis() + 5_000);
        }
    }

    /** One mutual-TLS HTTP/1.1 connection to the VIP (SNI and certificate name: the CMG service name). */
    static final class Conn {
        final SSLSocket socket;
        final InputStream in;
        final OutputStream out;

        record Response(int status, String reason, byte[] body, boolean keepAlive) {}

        private Conn(SSLSocket s) throws IOException {
            socket = s;
            in = new BufferedInputStream(s.getInputStream(), 16 * 1024);
            out = s.getOutputStream();
        }

        static Conn open(SSLContext tls, LabPlan plan) throws IOException {
            SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket();
            try {
                s.connect(new InetSocketAddress(plan.vipAddress(), plan.port(443)), (int) CONNECT_TIMEOUT.toMillis());
                s.setSoTimeout((int) READ_TIMEOUT.toMillis());
                var p = s.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                p.setServerNames(List.of(new SNIHostName(LabPlan.SERVICE_NAME)));
                s.setSSLParameters(p);
                s.startHandshake();
                return new Conn(s);
            } catch (IOException | RuntimeException e) {
                s.close();
                throw e;
            }
        }

        Response exchange(String method, String path, String traceId, String contentType, byte[] body)
                throws IOException {
            StringBuilder h = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: ")
                    .append(LabPlan.SERVICE_NAME).append("\r\nAccept: */*\r\nUser-Agent: cmglab-fault-matrix\r\n")
                    .append(TraceContext.HEADER).append(": ").append(TraceContext.traceparent(traceId)).append("\r\n");
            if (body != null) {
                h.append("Content-Type: ").append(contentType).append("\r\nContent-Length: ").append(body.length)
                        .append("\r\n");
            }
            h.append("\r\n");
            out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                out.write(body);
            }
            out.flush();
            String status = line();
            String[] parts = status.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP status line: " + status);
            }
            long len = -1;
            boolean chunked = false;
            boolean keepAlive = true;
            for (String l = line(); !l.isEmpty(); l = line()) {
                String lower = l.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    len = Long.parseLong(l.substring(15).trim());
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    chunked = true;
                } else if (lower.startsWith("connection:") && lower.contains("close")) {
                    keepAlive = false;
                }
            }
            byte[] content;
            if (chunked) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                while (true) {
                    int n = Integer.parseInt(line().split(";")[0].trim(), 16);
                    if (n == 0) {
                        while (!line().isEmpty()) {
                            // trailers
                        }
                        break;
                    }
                    b.write(readN(n));
                    line();
                }
                content = b.toByteArray();
            } else if (len >= 0) {
                content = readN((int) len);
            } else {
                content = in.readAllBytes();
                keepAlive = false;
            }
            return new Response(Integer.parseInt(parts[1]), parts.length > 2 ? parts[2] : "", content, keepAlive);
        }

        private byte[] readN(int n) throws IOException {
            byte[] b = in.readNBytes(n);
            if (b.length < n) {
                throw new EOFException("body ended after " + b.length + " of " + n + " bytes");
            }
            return b;
        }

        private String line() throws IOException {
            StringBuilder b = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                if (c != '\r') {
                    b.append((char) c);
                }
                if (b.length() > 16 * 1024) {
                    throw new IOException("line too long");
                }
            }
            if (c < 0) {
                throw new EOFException("connection closed");
            }
            return b.toString();
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    static long nanosToMillis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
