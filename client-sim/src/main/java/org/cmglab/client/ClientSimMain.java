package org.cmglab.client;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.cmglab.proto.config.ClientSimConfig;
import org.cmglab.proto.config.TlsFiles;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code java -jar client-sim.jar --config <client.json> mplist [options]}: a one-shot simulated ConfigMgr
 * client. Prints {@code RESULT <json>} on stdout (logs go to stderr and the lab log folder) and exits with
 * 0 (200), 1 (other HTTP status), 2 (usage or config error), 3 (TLS failure), 4 (connect failure),
 * 5 (no response) or 6 (a 200 reply with wrong content; {@code register}, {@code policy}, {@code location},
 * {@code lifecycle}).
 */
@Command(name = "client-sim", mixinStandardHelpOptions = true, subcommands = {ClientSimMain.Mplist.class,
        LifecycleCommands.Register.class, LifecycleCommands.Policy.class, LifecycleCommands.Location.class,
        LifecycleCommands.Lifecycle.class, TokenCommand.class, ProbeCommandLine.class, ContentCommand.class,
        LoadCommand.class},
        description = "Simulated ConfigMgr client talking to the CMG.")
public final class ClientSimMain implements Callable<Integer> {
    static final int USAGE = 2;

    @Option(names = "--config", required = true, paramLabel = "<file.json>", description = "ClientSimConfig JSON")
    Path config;

    PrintStream out = System.out;

    public static void main(String[] args) {
        System.exit(execute(args, System.out, System.err));
    }

    /** Runs the command line and returns the exit code (no {@code System.exit}). */
    static int execute(String[] args, PrintStream out, PrintStream err) {
        ClientSimMain main = new ClientSimMain();
        main.out = out;
        CommandLine cl = new CommandLine(main);
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            err.println("client-sim: " + e.getMessage());
            return USAGE;
        });
        return cl.execute(args);
    }

    @Override
    public Integer call() {
        new CommandLine(this).usage(out);
        return USAGE;
    }

    /** {@code mplist}: GET {@code /CCM_Proxy_MutualAuth/<id>/SMS_MP/.sms_aut?MPLIST} through the CMG. */
    @Command(name = "mplist", mixinStandardHelpOptions = true,
            description = "Ask the internet MP (through the CMG) for its MP list.")
    static final class Mplist implements Callable<Integer> {
        @ParentCommand
        ClientSimMain parent;

        @Option(names = "--trace", paramLabel = "<32-hex>", description = "trace id (default: a new one)")
        String trace;

        @Option(names = "--no-client-cert", description = "do not present a client certificate")
        boolean noClientCert;

        @Option(names = "--client-cert", paramLabel = "<crt.pem>", description = "client certificate (with --client-key)")
        Path clientCert;

        @Option(names = "--client-key", paramLabel = "<key.pem>", description = "its private key")
        Path clientKey;

        @Option(names = "--path", paramLabel = "<path?query>",
                description = "raw request path and query (default: /CCM_Proxy_MutualAuth/<mpRoleId>/SMS_MP/.sms_aut?MPLIST)")
        String path;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if ((clientCert == null) != (clientKey == null)) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--client-cert and --client-key go together");
            }
            if (noClientCert && clientCert != null) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--no-client-cert contradicts --client-cert");
            }
            ClientSimConfig config = Json.readFile(parent.config, ClientSimConfig.class);
            TlsFiles override = clientCert == null ? null : new TlsFiles(clientCert.toString(), clientKey.toString());
            ComponentRuntime runtime = new ComponentRuntime("client-sim",
                    Path.of(config.logDir() == null ? "logs" : config.logDir()),
                    "LocationServices.log", "LocationServices", 1);
            try {
                return new MplistCommand(config, runtime.group(), runtime.events(), parent.out)
                        .run(new MplistCommand.Options(path, trace, noClientCert, override));
            } finally {
                runtime.close();
            }
        }
    }
}
