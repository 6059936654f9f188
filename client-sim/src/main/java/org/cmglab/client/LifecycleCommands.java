package org.cmglab.client;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.time.Clock;
import org.cmglab.client.auth.ClientIdentity;
import org.cmglab.client.auth.ClientRegistrar;
import org.cmglab.client.auth.TokenAcquisition;
import org.cmglab.client.auth.TokenHttp;
import org.cmglab.proto.config.ClientSimConfig;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.LabHttpClient;
import org.cmglab.proto.runtime.LabResolvers;
import org.cmglab.proto.log.ProductLogs;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** The picocli subcommands {@code register}, {@code policy}, {@code location} and {@code lifecycle}. */
final class LifecycleCommands {
    private LifecycleCommands() {}

    /** Options every lifecycle subcommand takes. */
    static final class Options {
        @Option(names = "--auth", defaultValue = "pki", paramLabel = "pki|entra|token",
                description = "how the client authenticates to the CMG (default: pki)")
        String auth;

        @Option(names = "--bulk-token", paramLabel = "<jwt>",
                description = "--auth token: bulk registration token, used when no client token is stored yet")
        String bulkToken;

        @Option(names = "--bulk-token-file", paramLabel = "<file>", description = "file holding the bulk token")
        Path bulkTokenFile;

        @Option(names = "--direct", description = "talk to the intranet MP (config mpUrl) instead of through the CMG")
        boolean direct;

        @Option(names = "--trace", paramLabel = "<32-hex>", description = "trace id (default: a new one)")
        String trace;

        @Option(names = "--state", paramLabel = "<dir>",
                description = "client state folder (default: the config's stateDir, else .cmglab/client-sim)")
        Path state;
    }

    /** Shared body: config, runtime with the client's CMTrace logs, auth mode, the steps. */
    abstract static class Base implements Callable<Integer> {
        @ParentCommand
        ClientSimMain parent;

        @CommandLine.Mixin
        Options options;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        abstract List<LifecycleCommand.Step> steps();

        @Override
        public Integer call() throws Exception {
            Options o = options;
            ClientSimConfig config = Json.readFile(parent.config, ClientSimConfig.class);
            String trace = LifecycleCommand.newTrace(o.trace);
            ComponentRuntime runtime = new ComponentRuntime("client-sim",
                    Path.of(config.logDir() == null ? "logs" : config.logDir()), "CcmMessaging.log", "CcmMessaging", 1);
            try {
                for (String log : List.of("ClientLocation", "LocationServices", "ClientIDManagerStartup", "PolicyAgent")) {
                    runtime.onClose(ProductLogs.attach(runtime.logDir(), log));
                }
                AuthMode auth = authMode(o, config, runtime, trace);
                ClientIdentity identity = ClientIdentity.loadOrCreate(o.state != null ? o.state
                        : ClientIdentity.stateDir(config));
                return new LifecycleCommand(config, auth, o.direct, identity, runtime.group(), runtime.events(),
                        parent.out, trace).run(steps());
            } finally {
                runtime.close();
            }
        }

        private AuthMode authMode(Options o, ClientSimConfig config, ComponentRuntime runtime, String trace)
                throws java.io.IOException {
            String name = o.auth;
            boolean direct = o.direct;
            switch (name) {
                case "pki" -> {
                    if (config.clientTls() == null && direct) {
                        return new PkiAuthMode(null);
                    }
                    if (config.clientTls() == null) {
                        throw new CommandLine.ParameterException(spec.commandLine(),
                                "--auth pki needs clientTls (the PKI client certificate) in the config");
                    }
                    return new PkiAuthMode(IssuedCert.readPem(Path.of(config.clientTls().certFile()),
                            Path.of(config.clientTls().keyFile())));
                }
                case "entra", "token" -> {
                    if (config.tokens() == null) {
                        throw new CommandLine.ParameterException(spec.commandLine(),
                                "--auth " + name + " needs the tokens section in the config");
                    }
                    if (o.bulkToken != null && o.bulkTokenFile != null) {
                        throw new CommandLine.ParameterException(spec.commandLine(),
                                "--bulk-token contradicts --bulk-token-file");
                    }
                    String bulk = o.bulkTokenFile == null ? o.bulkToken
                            : java.nio.file.Files.readString(o.bulkTokenFile, java.nio.charset.StandardCharsets.US_ASCII)
                            .strip();
                    LabHttpClient http = new LabHttpClient(runtime.group(),
                            TlsContexts.client(MplistCommand.trustRoots(config.trustRoots()), null),
                            LabResolvers.forConfig(config.hosts(), config.dnsServer()));
                    TokenHttp th = new TokenHttp(http, runtime.events(), trace);
                    TokenAcquisition acq = new TokenAcquisition(config, th, ClientRegistrar.throughCmg(th, config),
                            Clock.systemUTC());
                    return new TokenAuthMode("entra".equals(name) ? TokenAcquisition.Mode.ENTRA
                            : TokenAcquisition.Mode.TOKEN, acq, bulk, Clock.systemUTC());
                }
                default -> throw new CommandLine.ParameterException(spec.commandLine(),
                        "--auth " + name + " (expected: pki, entra or token)");
            }
        }
    }

    @Command(name = "register", mixinStandardHelpOptions = true,
            description = "Register with the MP (signed ClientRegistrationRequest); keeps the SMSID in the state folder.")
    static final class Register extends Base {
        @Override
        List<LifecycleCommand.Step> steps() {
            return List.of(LifecycleCommand.Step.REGISTER);
        }
    }

    @Command(name = "policy", mixinStandardHelpOptions = true,
            description = "Request machine policy assignments and download every policy body (the secret one decrypted).")
    static final class Policy extends Base {
        @Override
        List<LifecycleCommand.Step> steps() {
            return List.of(LifecycleCommand.Step.POLICY);
        }
    }

    @Command(name = "location", mixinStandardHelpOptions = true,
            description = "Ask MP_LocationManager for the MP list, site information and the WSUS (SUP) location.")
    static final class Location extends Base {
        @Override
        List<LifecycleCommand.Step> steps() {
            return List.of(LifecycleCommand.Step.LOCATION);
        }
    }

    @Command(name = "lifecycle", mixinStandardHelpOptions = true,
            description = "register, policy, location and a SUP GetConfig (at the WSUS URL the MP named) in order.")
    static final class Lifecycle extends Base {
        @Override
        List<LifecycleCommand.Step> steps() {
            return List.of(LifecycleCommand.Step.REGISTER, LifecycleCommand.Step.POLICY,
                    LifecycleCommand.Step.LOCATION, LifecycleCommand.Step.SUP);
        }
    }
}
