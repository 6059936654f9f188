package org.cmglab.client.load;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import org.cmglab.client.auth.DeviceAssertion;
import org.cmglab.client.auth.TokenStore;
import org.cmglab.proto.config.ClientSimConfig;
import org.cmglab.proto.config.ClientTokenConfig;
import org.cmglab.proto.runtime.Json;
import org.cmglab.proto.runtime.LabHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The token phase of {@code load --auth token}: every simulated client gets its own CCM token by the flow an
 * Entra-joined internet client uses (docs/client-auth.md), before the connect phase:
 * <ol>
 *   <li>once per run, {@code GET /CCM_Proxy_ServerAuth/AADAuthInfo?TenantID=<tenant>} through the CMG (the client
 *       and server app ids);</li>
 *   <li>per client, an Entra device token from the tenant's token endpoint (RFC 7523 assertion signed with the
 *       client's own device certificate, {@code CN=<device id>}, from the {@link ClientCertPool.Kind#ENTRA_DEVICE}
 *       pool);</li>
 *   <li>per client, {@code POST /CCM_Proxy_ServerAuth/<MP id>/CCM_STS} through the CMG with that token,
 *       {@code grant_type=urn:sccm:grant:aad} and {@code client_id} = the client's SMSID → its CCM token
 *       ({@code UDA}, {@code DeviceId} = the SMSID its messages carry).</li>
 * </ol>
 * At most {@code maxInFlight} clients are in steps 2–3 at once; each call is bounded by the HTTP client's timeouts
 * and the whole phase by {@link #phaseBound}. The tokens are cached in {@code <pool dir>/ccm-tokens-<lab CA>.tokens}
 * (mode 0600, one {@code <client number> <expiry epoch s> <token>} line per client) and reused while they stay
 * valid for {@code validFor} (the run's length plus {@link TokenStore#RENEW_BEFORE}); the others are renewed.
 */
public final class LoadTokens {
    private static final Logger log = LoggerFactory.getLogger(LoadTokens.class);
    /** Clients in the Entra + CCM_STS steps at once (at most). */
    public static final int MAX_IN_FLIGHT = 16;
    /** Failures logged one by one; after that only counted. */
    static final int LOGGED_FAILURES = 5;

    /** Where the flow goes: the CMG, the MP's role id, the Entra tenant and its authority. */
    public record Endpoints(String cmgServiceName, int cmgPort, String mpRoleId, String tenantId,
                            String entraAuthority) {
        public Endpoints {
            Objects.requireNonNull(cmgServiceName, "cmgServiceName");
            Objects.requireNonNull(mpRoleId, "mpRoleId");
            Objects.requireNonNull(tenantId, "tenantId");
            Objects.requireNonNull(entraAuthority, "entraAuthority");
        }

        /**
         * From a client-sim config with a {@code tokens} section naming the Entra tenant and authority.
         *
         * @throws IllegalArgumentException naming what is missing
         */
        public static Endpoints of(ClientSimConfig c) {
            ClientTokenConfig t = c.tokens();
            if (t == null || t.entraTenantId() == null || t.entraAuthority() == null || c.mpRoleId() == null) {
                throw new IllegalArgumentException("--auth token: the config has no tokens section with the Entra"
                        + " tenant and authority, or no mpRoleId (expected: the lab's client-sim.json)");
            }
            return new Endpoints(c.cmgServiceName(), c.cmgPort(), c.mpRoleId(), t.entraTenantId(), t.entraAuthority());
        }

        String cmgOrigin() {
            return "https://" + cmgServiceName + (cmgPort == 443 ? "" : ":" + cmgPort);
        }
    }

    /**
     * The phase's outcome.
     *
     * @param bearers the CCM token of each client of this process (index 0 = client {@code first}), null where the
     *                client got none
     * @param stats   one latency per new token (Entra + CCM_STS), errors by class ({@code entra-http-401},
     *                {@code sts-timeout}, ...)
     * @param cached  clients whose cached token was still good
     * @param seconds how long the phase took
     * @param firstError the first failure's reason, or null
     */
    public record Phase(String[] bearers, LoadStats.KindStats stats, int cached, double seconds, String firstError) {
        /** Clients without a token. */
        public int failed() {
            int n = 0;
            for (String b : bearers) {
                if (b == null) {
                    n++;
                }
            }
            return n;
        }
    }

    /** One client's token and when it expires. */
    record Cached(String token, Instant expires) {}

    private LoadTokens() {}

    /** The cache file of the clients numbered from {@code first} for the lab CA {@code root}, in {@code poolDir}. */
    public static Path cacheFile(Path poolDir, X509Certificate root, int first) {
        return poolDir.resolve("ccm-tokens-" + ClientCertPool.thumbprint(root).substring(0, 16)
                + (first == 0 ? "" : "-from-" + first) + ".tokens");
    }

    /** How long a token must stay valid to be used for a run of {@code o}: its length, waits, and the renewal margin. */
    public static Duration validFor(LoadOptions o) {
        Duration d = o.duration().plus(TokenStore.RENEW_BEFORE).plus(o.timeout());
        if (o.waitFile() != null) {
            d = d.plus(LoadOptions.MAX_WAIT);
        }
        return d;
    }

    /** The phase's bound: rounds of {@code maxInFlight} clients, each at most two calls of {@code timeout}. */
    static Duration phaseBound(int clients, int maxInFlight, Duration timeout) {
        long rounds = (clients + maxInFlight - 1) / maxInFlight;
        return timeout.multipliedBy(2 * rounds + 2).plusSeconds(30);
    }

    /**
     * Runs the phase for the {@code devices.size()} clients numbered from {@code first}.
     *
     * @param cacheFileOrNull where the tokens are cached ({@link #cacheFile}); null = no cache
     * @param validFor        a cached token is used only while it stays valid this long ({@link #validFor})
     * @param timeout         what the HTTP client was given for each call (for the phase's bound)
     */
    public static Phase acquire(Endpoints endpoints, LabHttpClient http, ClientCertPool devices, int first,
                                Path cacheFileOrNull, Duration validFor, int maxInFlight, Duration timeout, Clock clock)
            throws IOException, InterruptedException {
        Objects.requireNonNull(endpoints, "endpoints");
        Objects.requireNonNull(http, "http");
        Objects.requireNonNull(devices, "devices");
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight: " + maxInFlight + " (expected: >= 1)");
        }
        long t0 = System.nanoTime();
        int count = devices.size();
        String[] bearers = new String[count];
        LoadStats.KindStats stats = new LoadStats.KindStats();
        Map<Integer, Cached> cache = cacheFileOrNull == null ? new TreeMap<>() : read(cacheFileOrNull);
        Instant usableUntil = clock.instant().plus(validFor);
        int cached = 0;
        java.util.List<Integer> needed = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            Cached c = cache.get(first + i);
            if (c != null && c.expires().isAfter(usableUntil)) {
                bearers[i] = c.token();
                cached++;
            } else {
                needed.add(i);
            }
        }
        AtomicReference<String> firstError = new AtomicReference<>();
        if (!needed.isEmpty()) {
            log.info("Token phase: {} of {} clients need a CCM token ({} cached), {} at a time", needed.size(), count,
                    cached, maxInFlight);
            String[] apps = appIds(endpoints, http, timeout);
            if (apps[0] == null) {
                firstError.set(apps[1]);
                for (int i = 0; i < needed.size(); i++) {
                    stats.error("aadauthinfo");
                }
                log.error("Token phase: {}; no client gets a new CCM token", apps[1]);
            } else {
                fetch(endpoints, http, devices, first, needed, apps[0], apps[1], bearers, cache, stats, firstError,
                        maxInFlight, timeout, clock);
            }
            if (cacheFileOrNull != null) {
                write(cacheFileOrNull, cache, clock.instant());
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Phase p = new Phase(bearers, stats, cached, seconds, firstError.get());
        log.info("Token phase: {} new CCM tokens, {} cached, {} clients without one, in {} s", stats.ok(), cached,
                p.failed(), String.format(java.util.Locale.ROOT, "%.1f", seconds));
        return p;
    }

    /** {@code {AADCLIENTAPPID, AADRESOURCEURI}}, or {@code {null, why}}. */
    private static String[] appIds(Endpoints e, LabHttpClient http, Duration timeout) throws InterruptedException {
        URI info = URI.create(e.cmgOrigin() + "/CCM_Proxy_ServerAuth/AADAuthInfo?TenantID=" + e.tenantId());
        try {
            LabHttpClient.Response r = http.send(HttpMethod.GET, info, null, null)
                    .get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
            if (!r.isSuccess()) {
                return new String[] {null, "AADAuthInfo answered " + r.status() + " " + r.reason()};
            }
            JsonNode j = Json.MAPPER.readTree(r.body());
            String app = j.path("AADCLIENTAPPID").asText(null);
            String resource = j.path("AADRESOURCEURI").asText(null);
            if (app == null || resource == null) {
                return new String[] {null, "AADAuthInfo has no AADCLIENTAPPID or AADRESOURCEURI: " + r.bodyText()};
            }
            return new String[] {app, resource};
        } catch (java.util.concurrent.ExecutionException | TimeoutException | IOException ex) {
            Throwable c = ex instanceof java.util.concurrent.ExecutionException && ex.getCause() != null
                    ? ex.getCause() : ex;
            return new String[] {null, "AADAuthInfo: " + c};
        }
    }

    private static void fetch(Endpoints e, LabHttpClient http, ClientCertPool devices, int first,
                              java.util.List<Integer> needed, String clientApp, String resource, String[] bearers,
                              Map<Integer, Cached> cache, LoadStats.KindStats stats,
                              AtomicReference<String> firstError, int maxInFlight, Duration timeout, Clock clock)
            throws InterruptedException {
        URI tokenUri = URI.create(e.entraAuthority() + "/oauth2/token");
        String aud = DeviceAssertion.audience(e.entraAuthority());
        URI sts = URI.create(e.cmgOrigin() + "/CCM_Proxy_ServerAuth/" + e.mpRoleId() + "/CCM_STS");
        Semaphore slots = new Semaphore(maxInFlight);
        CountDownLatch done = new CountDownLatch(needed.size());
        AtomicInteger logged = new AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean over = new java.util.concurrent.atomic.AtomicBoolean();
        long bound = System.nanoTime() + phaseBound(needed.size(), maxInFlight, timeout).toNanos();
        int started = 0;
        for (int i : needed) {
            if (!slots.tryAcquire(Math.max(1, bound - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                break;
            }
            started++;
            int client = first + i;
            String smsId = LoadRequests.smsId(client);
            long c0 = System.nanoTime();
            String form;
            try {
                form = "grant_type=" + enc("urn:ietf:params:oauth:grant-type:jwt-bearer") + "&client_id="
                        + enc(clientApp) + "&resource=" + enc(resource) + "&assertion="
                        + enc(DeviceAssertion.sign(devices.get(i), aud, clock.instant()));
            } catch (RuntimeException ex) {
                fail(stats, firstError, logged, client, "entra-assertion", ex.toString());
                slots.release();
                done.countDown();
                continue;
            }
            http.send(HttpMethod.POST, tokenUri, formHeaders(), form.getBytes(StandardCharsets.UTF_8))
                    .thenCompose(r -> {
                        String entra = accessToken("entra", r);
                        HttpHeaders h = formHeaders().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + entra);
                        byte[] body = ("grant_type=" + enc("urn:sccm:grant:aad") + "&client_id=" + enc(smsId))
                                .getBytes(StandardCharsets.UTF_8);
                        return http.send(HttpMethod.POST, sts, h, body).exceptionally(ex -> {
                            throw new StepFailed("sts", ex instanceof CompletionException && ex.getCause() != null
                                    ? ex.getCause() : ex);
                        });
                    })
                    .whenComplete((r, ex) -> {
                        try {
                            if (ex != null) {
                                Throwable c = ex instanceof CompletionException && ex.getCause() != null
                                        ? ex.getCause() : ex;
                                StepFailed s = c instanceof StepFailed sf ? sf : new StepFailed("entra", c);
                                fail(stats, firstError, logged, client, s.errorClass, s.getMessage());
                                return;
                            }
                            String ccm;
                            long expiresIn;
                            try {
                                ccm = accessToken("sts", r);
                                expiresIn = Json.MAPPER.readTree(r.body()).path("expires_in").asLong(0);
                            } catch (StepFailed s) {
                                fail(stats, firstError, logged, client, s.errorClass, s.getMessage());
                                return;
                            } catch (IOException io) {
                                fail(stats, firstError, logged, client, "sts-bad-reply", io.toString());
                                return;
                            }
                            boolean inTime;
                            synchronized (cache) {
                                inTime = !over.get();
                                if (inTime) {
                                    bearers[i] = ccm;
                                    cache.put(client, new Cached(ccm, clock.instant().plusSeconds(expiresIn)));
                                }
                            }
                            if (inTime) {
                                stats.record(System.nanoTime() - c0);
                            } else {
                                fail(stats, firstError, logged, client, "token-phase-timeout",
                                        "the token came after the token phase's bound");
                            }
                        } finally {
                            slots.release();
                            done.countDown();
                        }
                    });
        }
        for (int k = started; k < needed.size(); k++) {
            fail(stats, firstError, logged, first + needed.get(k), "token-phase-timeout",
                    "the token phase ran out of time before this client");
            done.countDown();
        }
        if (!done.await(Math.max(1, bound - System.nanoTime()) + timeout.toNanos() * 2, TimeUnit.NANOSECONDS)) {
            log.warn("Token phase: {} clients still waiting for a token at its bound; they run without one",
                    done.getCount());
        }
        synchronized (cache) {
            over.set(true); // a late answer must not change what the run uses from here on
        }
    }

    /** A step that failed, with its error class ({@code entra-http-401}, {@code sts-timeout}, ...). */
    static final class StepFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String errorClass;

        StepFailed(String step, int status, String why) {
            super(step + " answered " + status + ": " + why);
            this.errorClass = step + "-http-" + status;
        }

        StepFailed(String step, String errorClassSuffix, String why) {
            super(step + ": " + why);
            this.errorClass = step + "-" + errorClassSuffix;
        }

        StepFailed(String step, Throwable cause) {
            super(step + ": " + cause, cause);
            this.errorClass = cause instanceof StepFailed s ? s.errorClass : step + "-" + classify(cause);
        }
    }

    static String classify(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof TimeoutException) {
                return "timeout";
            }
            if (c instanceof SSLException) {
                return "tls";
            }
            if (c instanceof java.net.ConnectException) {
                return "connect";
            }
        }
        return "io";
    }

    /** The {@code access_token} of a 200 JSON reply of {@code step}, else {@link StepFailed}. */
    static String accessToken(String step, LabHttpClient.Response r) {
        if (!r.isSuccess()) {
            String body = r.bodyText().strip();
            throw new StepFailed(step, r.status(), r.reason() + (body.isEmpty() ? ""
                    : " " + (body.length() > 300 ? body.substring(0, 300) : body)));
        }
        try {
            String t = Json.MAPPER.readTree(r.body()).path("access_token").asText(null);
            if (t == null || t.isBlank()) {
                throw new StepFailed(step, "bad-reply", "a 200 without access_token");
            }
            return t;
        } catch (IOException e) {
            throw new StepFailed(step, "bad-reply", "unreadable JSON: " + e.getMessage());
        }
    }

    private static void fail(LoadStats.KindStats stats, AtomicReference<String> firstError, AtomicInteger logged,
                             int client, String errorClass, String why) {
        stats.error(errorClass);
        String line = "client " + client + " (" + LoadRequests.smsId(client) + "): " + why;
        firstError.compareAndSet(null, line);
        if (logged.incrementAndGet() <= LOGGED_FAILURES) {
            log.warn("Token phase: no CCM token for {}", line);
        }
    }

    private static HttpHeaders formHeaders() {
        return new DefaultHttpHeaders().set(HttpHeaderNames.CONTENT_TYPE, "application/x-www-form-urlencoded")
                .set(HttpHeaderNames.ACCEPT, "application/json")
                .set(HttpHeaderNames.USER_AGENT, "SMS CCM 5.0");
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** The cached tokens by client number; an unreadable line ends the reading (those clients are renewed). */
    static Map<Integer, Cached> read(Path file) throws IOException {
        Map<Integer, Cached> m = new TreeMap<>();
        if (!Files.exists(file)) {
            return m;
        }
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            String[] p = line.split(" ");
            try {
                if (p.length != 3) {
                    throw new IllegalArgumentException(p.length + " fields (expected 3)");
                }
                m.put(Integer.parseInt(p[0]), new Cached(p[2], Instant.ofEpochSecond(Long.parseLong(p[1]))));
            } catch (IllegalArgumentException e) {
                log.warn("{} line {}: unusable ({}); the tokens from there are renewed", file, lineNo, e.getMessage());
                break;
            }
        }
        return m;
    }

    /** Writes the tokens that have not expired, 0600, replacing the file atomically. */
    static void write(Path file, Map<Integer, Cached> cache, Instant now) throws IOException {
        StringBuilder sb = new StringBuilder();
        synchronized (cache) {
            new TreeMap<>(cache).forEach((client, c) -> {
                if (c.expires().isAfter(now)) {
                    sb.append(client).append(' ').append(c.expires().getEpochSecond()).append(' ').append(c.token())
                            .append('\n');
                }
            });
        }
        if (file.toAbsolutePath().getParent() != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        ClientCertPool.writePrivate(file, sb);
    }
}
