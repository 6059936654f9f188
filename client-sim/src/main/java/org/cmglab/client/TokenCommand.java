package org.cmglab.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.cmglab.client.auth.ClientRegistrar;
import org.cmglab.client.auth.TokenAcquisition;
import org.cmglab.client.auth.TokenHttp;
import org.cmglab.client.auth.TokenResult;
import org.cmglab.proto.config.ClientSimConfig;
import org.cmglab.proto.flow.TraceContext;
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
 * {@code client-sim --config <c.json> token --auth entra|token [--bulk-token <jwt> | --bulk-token-file <f>] [--renew]}:
 * obtains a CCM token through the CMG (see {@link TokenAcquisition}) and prints {@code RESULT <json>}
 * ({@link TokenResult}); exit codes as {@code mplist}. Logs to CcmMessaging.log.
 */
@Command(name = "token", mixinStandardHelpOptions = true,
        description = "Obtain a CCM token through the CMG (Entra device token or site token).")
final class TokenCommand implements Callable<Integer> {
    @ParentCommand
    ClientSimMain parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--auth", required = true, paramLabel = "entra|token", description = "how the client authenticates")
    String auth;

    @Option(names = "--bulk-token", paramLabel = "<jwt>", description = "bulk registration token (ccmsetup /regtoken:)")
    String bulkToken;

    @Option(names = "--bulk-token-file", paramLabel = "<file>", description = "file holding the bulk registration token")
    Path bulkTokenFile;

    @Option(names = "--renew", description = "get a new CCM token even when the cached one is still good")
    boolean renew;

    @Option(names = "--trace", paramLabel = "<32-hex>", description = "trace id (default: a new one)")
    String trace;

    @Override
    public Integer call() throws Exception {
        TokenAcquisition.Mode mode = switch (auth.toLowerCase(Locale.ROOT)) {
            case "entra" -> TokenAcquisition.Mode.ENTRA;
            case "token" -> TokenAcquisition.Mode.TOKEN;
            default -> throw new CommandLine.ParameterException(spec.commandLine(),
                    "--auth: " + auth + " (expected: entra or token; pki uses mutual TLS and needs no token)");
        };
        if (bulkToken != null && bulkTokenFile != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--bulk-token contradicts --bulk-token-file");
        }
        String bulk = bulkTokenFile == null ? bulkToken : readToken(bulkTokenFile);
        String traceId = trace == null ? TraceContext.newTraceId() : trace.toLowerCase(Locale.ROOT);
        if (!traceId.matches("[0-9a-f]{32}")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--trace: " + trace + " (expected: 32 hex digits)");
        }
        ClientSimConfig config = Json.readFile(parent.config, ClientSimConfig.class);
        if (config.tokens() == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), parent.config + " has no tokens section");
        }
        ComponentRuntime runtime = new ComponentRuntime("client-sim", Path.of(config.logDir() == null ? "logs"
                : config.logDir()), "CcmMessaging.log", "CcmMessaging", 1);
        try {
            LabHttpClient http = new LabHttpClient(runtime.group(),
                    TlsContexts.client(MplistCommand.trustRoots(config.trustRoots()), null),
                    LabResolvers.forConfig(config.hosts(), config.dnsServer()));
            TokenHttp th = new TokenHttp(http, runtime.events(), traceId);
            ClientRegistrar registrar = ClientRegistrar.throughCmg(th, config);
            TokenResult r = new TokenAcquisition(config, th, registrar, Clock.systemUTC())
                    .acquire(new TokenAcquisition.Options(mode, bulk, renew));
            parent.out.println("RESULT " + Json.writeCompact(r));
            parent.out.flush();
            return r.exitCode();
        } finally {
            runtime.close();
        }
    }

    private static String readToken(Path f) throws IOException {
        return Files.readString(f, StandardCharsets.US_ASCII).strip();
    }
}
