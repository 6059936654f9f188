package org.cmglab.client;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * {@code client-sim --config <c> probe --verb CCM_POST --path /CCM_Proxy_MutualAuth/<id>/ccm_system/request
 * --header CCMClientID=GUID:… --body-text …}: see {@link ProbeCommand}.
 */
@Command(name = "probe", mixinStandardHelpOptions = true,
        description = "Send one request of any verb with any headers through the CMG and print RESULT <json>.")
final class ProbeCommandLine implements Callable<Integer> {
    static final int MAX_BODY = 16 * 1024 * 1024;

    @ParentCommand
    ClientSimMain parent;

    @Option(names = "--verb", defaultValue = "GET", description = "HTTP method (default GET)")
    String verb;

    @Option(names = "--path", required = true, paramLabel = "<path?query>", description = "raw request path and query")
    String path;

    @Option(names = "--header", paramLabel = "<Name=value>", description = "request header, names sent as spelled; repeatable")
    List<String> headers = new ArrayList<>();

    @Option(names = "--body-text", paramLabel = "<text>", description = "request body (UTF-8)")
    String bodyText;

    @Option(names = "--body-file", paramLabel = "<file>", description = "request body from a file (max 16 MiB)")
    Path bodyFile;

    @Option(names = "--via", paramLabel = "<127.x.y.z:port>",
            description = "connect here instead of the CMG's address (e.g. a network device); TLS name and Host stay the CMG's")
    String via;

    @Option(names = "--trace", paramLabel = "<32-hex>", description = "trace id (default: a new one)")
    String trace;

    @Option(names = "--no-client-cert", description = "do not present a client certificate")
    boolean noClientCert;

    @Option(names = "--client-cert", paramLabel = "<crt.pem>", description = "client certificate (with --client-key)")
    Path clientCert;

    @Option(names = "--client-key", paramLabel = "<key.pem>", description = "its private key")
    Path clientKey;

    @Option(names = "--bits-download", description = "download --path like BITS: HEAD, then ranged GETs")
    boolean bitsDownload;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if ((clientCert == null) != (clientKey == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--client-cert and --client-key go together");
        }
        if (bodyText != null && bodyFile != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--body-text contradicts --body-file");
        }
        byte[] body = null;
        if (bodyText != null) {
            body = bodyText.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        } else if (bodyFile != null) {
            if (Files.size(bodyFile) > MAX_BODY) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--body-file: " + bodyFile
                        + " is larger than " + MAX_BODY + " bytes");
            }
            body = Files.readAllBytes(bodyFile);
        }
        ClientSimConfig config = Json.readFile(parent.config, ClientSimConfig.class);
        TlsFiles override = clientCert == null ? null : new TlsFiles(clientCert.toString(), clientKey.toString());
        ComponentRuntime runtime = new ComponentRuntime("client-sim",
                Path.of(config.logDir() == null ? "logs" : config.logDir()), "CcmMessaging.log", "CcmMessaging", 1);
        try {
            return new ProbeCommand(config, runtime.group(), runtime.events(), parent.out).run(new ProbeCommand.Options(
                    verb, path, headers, body, trace, via, noClientCert, override, bitsDownload));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        } finally {
            runtime.close();
        }
    }
}
