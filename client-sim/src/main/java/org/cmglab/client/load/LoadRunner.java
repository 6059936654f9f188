package org.cmglab.client.load;

import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.PrintStream;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLException;
import org.cmglab.proto.runtime.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires a {@link LoadRun} (one TLS context whose key manager presents each client's own certificate, the request
 * builder), runs it, prints the summary table and {@code RESULT <json>} to {@code out}, writes the JSON results file,
 * and returns the exit code: 0 when every connection and request succeeded, 1 otherwise.
 */
public final class LoadRunner {
    private static final Logger log = LoggerFactory.getLogger(LoadRunner.class);

    private LoadRunner() {}

    public static int run(LoadOptions o, LoadRun.Target target, List<X509Certificate> roots, ClientCertPool certs,
                          String mpRoleId, String siteCode, String mpHost, String packageId, EventLoopGroup group,
                          PrintStream out, PrintStream progressOut) throws IOException, InterruptedException {
        return run(o, target, roots, certs, 0, mpRoleId, siteCode, mpHost, packageId, group, out, progressOut);
    }

    /** As above for clients numbered from {@code first} (their certificates in {@code certs} from index 0). */
    public static int run(LoadOptions o, LoadRun.Target target, List<X509Certificate> roots, ClientCertPool certs,
                          int first, String mpRoleId, String siteCode, String mpHost, String packageId,
                          EventLoopGroup group, PrintStream out, PrintStream progressOut)
            throws IOException, InterruptedException {
        return run(o, target, roots, certs, first, mpRoleId, siteCode, mpHost, packageId, null, group, out,
                progressOut);
    }

    /**
     * As above; with {@code --auth token} ({@link LoadOptions#tokenAuth()}) {@code tokens} is the token phase that
     * gave each client its CCM token ({@link LoadTokens#acquire}): the clients present no certificate and send their
     * token, and the summary shows the phase as its own row. When no client got a token the run stops there (exit 1).
     */
    public static int run(LoadOptions o, LoadRun.Target target, List<X509Certificate> roots, ClientCertPool certs,
                          int first, String mpRoleId, String siteCode, String mpHost, String packageId,
                          LoadTokens.Phase tokens, EventLoopGroup group, PrintStream out, PrintStream progressOut)
            throws IOException, InterruptedException {
        if (o.tokenAuth() != (tokens != null)) {
            throw new IllegalArgumentException("tokens: " + (tokens == null ? "none" : "a token phase") + " for --auth "
                    + o.auth() + " (expected: a token phase exactly with --auth token)");
        }
        PoolKeyManager keys = new PoolKeyManager(certs);
        SslContext ssl = clientContext(roots, keys);
        LoadRequests requests = new LoadRequests(target.hostHeader(), mpRoleId, siteCode, mpHost, packageId,
                first, tokens == null ? null : tokens.bearers());
        LoadRun run = new LoadRun(o, target, ssl, keys, requests, group, out, progressOut);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("run", run.describe());
        if (tokens != null && tokens.failed() == o.count()) {
            LoadStats none = new LoadStats();
            none.tokenPhase(tokens);
            out.print(none.table(0));
            out.println("No client has a CCM token (" + tokens.firstError() + "); nothing was sent");
            json.put("connected", 0);
            json.put("connectFailed", 0);
            json.put("seconds", 0.0);
            json.putAll(none.toJson(0));
            return finish(o, json, out, 1);
        }
        log.info("Load run: {} clients ({} sending, {}) against {}:{}, mix {}, up to {} / {} requests", o.count(),
                o.senders(), o.auth(), target.serviceName(), target.port(), o.mix(), LoadOptions.format(o.duration()),
                o.requests() == 0 ? "unlimited" : o.requests());
        LoadRun.Result r = run.run();
        r.stats().tokenPhase(tokens);
        String table = r.stats().table(r.seconds());
        out.print(table);
        json.put("connected", r.connected());
        json.put("connectFailed", r.connectFailed());
        json.put("seconds", Math.round(r.seconds() * 1000) / 1000.0);
        json.putAll(r.stats().toJson(r.seconds()));
        log.info("Load run finished: {} ok, {} errors, {} connect failures in {} s", r.stats().totalOk(),
                r.stats().totalErrors(), r.connectFailed(), String.format(java.util.Locale.ROOT, "%.1f", r.seconds()));
        return finish(o, json, out, r.clean() && (tokens == null || tokens.failed() == 0) ? 0 : 1);
    }

    /** Prints {@code RESULT <json>}, writes the JSON file, returns {@code exit}. */
    private static int finish(LoadOptions o, Map<String, Object> json, PrintStream out, int exit) throws IOException {
        String line = Json.writeCompact(json);
        out.println("RESULT " + line);
        out.flush();
        if (o.jsonFile() != null) {
            if (o.jsonFile().toAbsolutePath().getParent() != null) {
                java.nio.file.Files.createDirectories(o.jsonFile().toAbsolutePath().getParent());
            }
            Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(o.jsonFile().toFile(), json);
        }
        return exit;
    }

    /**
     * One client context for every simulated client: trusts {@code roots}, checks the CMG's name, presents the
     * certificate {@code keys} picks per connection. Session resumption is off: a resumed session would carry the
     * client certificate of whichever simulated client made it, so every connection does a full handshake.
     */
    static SslContext clientContext(List<X509Certificate> roots, PoolKeyManager keys) throws SSLException {
        boolean openSsl = OpenSsl.isAvailable();
        SslContext ssl = SslContextBuilder.forClient()
                .sslProvider(openSsl ? SslProvider.OPENSSL : SslProvider.JDK)
                .protocols("TLSv1.3", "TLSv1.2")
                .trustManager(roots)
                .keyManager(keys)
                .endpointIdentificationAlgorithm("HTTPS")
                .build();
        if (ssl.sessionContext() instanceof OpenSslSessionContext s) {
            s.setSessionCacheEnabled(false);
        } else {
            ssl.sessionContext().setSessionCacheSize(1);
            ssl.sessionContext().setSessionTimeout(1);
        }
        return ssl;
    }
}
