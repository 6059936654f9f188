package org.cmglab.client;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import org.cmglab.client.load.ClientCertPool;
import org.cmglab.client.load.LoadOptions;
import org.cmglab.client.load.LoadRun;
import org.cmglab.client.load.LoadRunner;
import org.cmglab.client.load.LoadTokens;
import org.cmglab.client.load.RequestMix;
import org.cmglab.proto.config.ClientSimConfig;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.Json;
import org.cmglab.proto.runtime.LabHttpClient;
import org.cmglab.proto.runtime.LabResolvers;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code client-sim --config <client.json> load --count N ...}: N simulated clients against the CMG (see
 * {@link LoadRun}); prints the summary table and {@code RESULT <json>}, writes {@code --json <file>}. Exit 0 when
 * every connection and request succeeded, 1 when any failed, 2 on a usage error.
 */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = "Load mode: N simulated clients (own certificate or CCM token each, keep-alive connections) "
                + "send a mix of MP requests through the CMG; prints a latency summary per request kind.")
final class LoadCommand implements Callable<Integer> {
    @ParentCommand
    ClientSimMain parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--count", required = true, paramLabel = "<N>", description = "simulated clients (1..20000)")
    int count;

    @Option(names = "--auth", defaultValue = "pki", paramLabel = "pki|token",
            description = "client authentication: pki (a certificate per client from the lab CA; default) or token"
                    + " (a CCM token per client: its own Entra device token exchanged at CCM_STS through the CMG)")
    String auth;

    @Option(names = "--mix", defaultValue = RequestMix.DEFAULT, paramLabel = "<kind=weight,...>",
            description = "request mix of location, mplist, policy, content (default: ${DEFAULT-VALUE})")
    String mix;

    @Option(names = "--duration", defaultValue = "30s", paramLabel = "<30s|2m>",
            description = "length of the request phase (max 1h; default ${DEFAULT-VALUE})")
    String duration;

    @Option(names = "--requests", defaultValue = "0", paramLabel = "<N>",
            description = "stop after N requests (0 = only --duration; max 10000000)")
    long requests;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "<rps>",
            description = "requests per second over all clients (0 = as fast as they are answered)")
    int rate;

    @Option(names = "--active", defaultValue = "0", paramLabel = "<N>",
            description = "only the first N clients send requests, the others keep their connection idle (0 = all)")
    int active;

    @Option(names = "--connect-rate", defaultValue = "0", paramLabel = "<per-s>",
            description = "new connections per second in the connect phase (0 = as fast as possible)")
    int connectRate;

    @Option(names = "--max-connecting", defaultValue = "256", paramLabel = "<N>",
            description = "connects + TLS handshakes in flight at once (1..256, default ${DEFAULT-VALUE})")
    int maxConnecting;

    @Option(names = "--timeout", defaultValue = "10s", paramLabel = "<10s>",
            description = "per connect, TLS handshake and request (default ${DEFAULT-VALUE})")
    String timeout;

    @Option(names = "--threads", defaultValue = "2", paramLabel = "<N>", description = "event loops (1..16)")
    int threads;

    @Option(names = "--json", paramLabel = "<file>", description = "also write the results as JSON")
    Path json;

    @Option(names = "--ca-dir", paramLabel = "<pki dir>",
            description = "the lab CA that issues the clients' certificates (default: the folder of the config's"
                    + " first trust root)")
    Path caDir;

    @Option(names = "--pool-dir", paramLabel = "<dir>",
            description = "cache of the issued client identities (default: <config stateDir>/load-pool)")
    Path poolDir;

    @Option(names = "--package", defaultValue = "P0100012", paramLabel = "<id>",
            description = "package of the content location requests (default ${DEFAULT-VALUE})")
    String packageId;

    @Option(names = "--wait-for", paramLabel = "<file>",
            description = "after connecting, print READY and wait (max 15 min) until this file exists")
    Path waitFor;

    @Option(names = "--hold-until", paramLabel = "<file>",
            description = "after the requests, print DONE and keep the connections until this file exists")
    Path holdUntil;

    @Option(names = "--first", defaultValue = "0", paramLabel = "<n>",
            description = "number of this process's first client (several load processes use disjoint ranges)")
    int first;

    @Option(names = "--connect-to", paramLabel = "<loopback address>",
            description = "connect to this address instead of the one the CMG service name resolves to (SNI, name"
                    + " check and Host stay the service name), e.g. one instance's front door past the load balancer")
    String connectTo;

    @Option(names = "--no-progress", description = "no progress line each second")
    boolean noProgress;

    /** The CMG address through the lab DNS, tried up to 5 times (a busy lab DNS may miss one 5 s deadline). */
    static CmgTarget resolve(ClientSimConfig config) {
        IllegalStateException last = null;
        for (int attempt = 1; attempt <= 5; attempt++) {
            try {
                return CmgTarget.of(config);
            } catch (IllegalStateException e) {
                last = e;
                System.err.println("client-sim load: attempt " + attempt + " of 5: " + e.getMessage());
            }
        }
        throw last;
    }

    @Override
    public Integer call() throws Exception {
        LoadOptions o;
        try {
            LoadOptions.requireRange("--first", first, 0, 1_000_000);
            LoadOptions.requireRange("--threads", threads, 1, 16);
            o = new LoadOptions(count, auth, RequestMix.parse(mix), LoadOptions.parseDuration("--duration", duration),
                    requests, rate, active, connectRate, LoadOptions.parseDuration("--timeout", timeout), json,
                    null, waitFor, holdUntil, !noProgress, maxConnecting);
            if (connectTo != null) {
                org.cmglab.proto.config.Loopback.require(connectTo, "--connect-to");
            }
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        ClientSimConfig config = Json.readFile(parent.config, ClientSimConfig.class);
        if (config.mpRoleId() == null) {
            throw usage("mpRoleId: null (expected in the config)");
        }
        LoadTokens.Endpoints tokenEndpoints = null;
        if (o.tokenAuth()) {
            try {
                tokenEndpoints = LoadTokens.Endpoints.of(config);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
        }
        Path logDir = Path.of(config.logDir() == null ? "logs" : config.logDir());
        List<X509Certificate> roots = MplistCommand.trustRoots(config.trustRoots());
        Path ca = caDir != null ? caDir : Path.of(config.trustRoots().get(0)).toAbsolutePath().getParent();
        if (!Files.exists(ca.resolve(LabCa.ROOT_KEY_FILE))) {
            throw usage("--ca-dir: " + ca + " has no " + LabCa.ROOT_KEY_FILE
                    + " (expected: the lab's pki folder, which issues the clients' certificates)");
        }
        Path pool = poolDir != null ? poolDir : Path.of(config.stateDir() != null ? config.stateDir()
                : ".cmglab/client-sim").resolve("load-pool");
        LabCa labCa = LabCa.loadOrCreate(ca);
        // token clients: an Entra device certificate each (the lab CA is azure-sim's device CA), no TLS client cert
        ClientCertPool certs = ClientCertPool.loadOrIssue(o.tokenAuth() ? ClientCertPool.Kind.ENTRA_DEVICE
                : ClientCertPool.Kind.PKI, labCa, first, count, pool);
        CmgTarget t = resolve(config);
        java.net.InetSocketAddress remote = connectTo == null ? t.remote()
                : new java.net.InetSocketAddress(connectTo, t.port());
        LoadRun.Target target = new LoadRun.Target(t.serviceName(), t.port(), remote, t.sourceAddress());
        String mpHost = config.mpUrl() == null ? t.serviceName() : java.net.URI.create(config.mpUrl()).getHost();
        ComponentRuntime runtime = new ComponentRuntime("client-sim-load", logDir, "CcmMessaging.log", "CcmMessaging",
                threads);
        try {
            LoadTokens.Phase tokens = null;
            if (tokenEndpoints != null) {
                LabHttpClient http = new LabHttpClient(runtime.group(), TlsContexts.client(roots, null),
                        LabResolvers.forConfig(config.hosts(), config.dnsServer()), o.timeout(), o.timeout());
                tokens = LoadTokens.acquire(tokenEndpoints, http, certs, first,
                        LoadTokens.cacheFile(pool, labCa.root(), first), LoadTokens.validFor(o),
                        Math.min(LoadTokens.MAX_IN_FLIGHT, o.maxConnecting()), o.timeout(), Clock.systemUTC());
            }
            return LoadRunner.run(o, target, roots, certs, first, config.mpRoleId(), config.siteCode(), mpHost,
                    packageId, tokens, runtime.group(), parent.out, System.err);
        } finally {
            runtime.close();
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
