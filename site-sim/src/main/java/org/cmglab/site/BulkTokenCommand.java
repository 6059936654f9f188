package org.cmglab.site;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.cmglab.proto.config.SiteSimConfig;
import org.cmglab.proto.runtime.Json;
import org.cmglab.proto.token.BulkToken;
import org.cmglab.proto.token.SiteTokenService;
import org.cmglab.site.sts.SiteTokenAuthority;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar site-sim.jar bulk-token --config <site-sim.json> [--lifetime <minutes>]}: the lab's
 * {@code BulkRegistrationTokenTool.exe /new [/lifetime <min>]}. Signs a bulk registration token with the site's SMS
 * Token Signing Certificate (read from the config's {@code tokenAuth}) and prints it with its UniqueId (what the
 * administrator blocks: admin {@code POST /block-bulk-token?uniqueId=}), then {@code RESULT <json>}. Lifetime default
 * 4,320 minutes, at most 10,080; exit 0, or 2 for a usage error (lifetime out of range, no tokenAuth).
 */
@Command(name = "bulk-token", mixinStandardHelpOptions = true,
        description = "Create a bulk registration token (BulkRegistrationTokenTool.exe /new).")
final class BulkTokenCommand implements Callable<Integer> {
    static final int USAGE = 2;

    @Option(names = "--config", required = true, paramLabel = "<site-sim.json>", description = "SiteSimConfig JSON")
    Path config;

    @Option(names = {"--lifetime", "/lifetime"}, paramLabel = "<minutes>", defaultValue = "4320",
            description = "token lifetime in minutes (default ${DEFAULT-VALUE}, at most 10080)")
    long lifetime;

    @Option(names = {"--new", "/new"}, description = "create a new token (the only action; accepted for the tool's syntax)")
    boolean create;

    PrintStream out = System.out;

    static int execute(String[] args, PrintStream out, PrintStream err) {
        BulkTokenCommand c = new BulkTokenCommand();
        c.out = out;
        CommandLine cl = new CommandLine(c);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            err.println("bulk-token: " + e.getMessage());
            return USAGE;
        });
        return cl.execute(args);
    }

    @Override
    public Integer call() throws Exception {
        if (lifetime < 1 || lifetime > SiteTokenService.MAX_BULK_LIFETIME.toMinutes()) {
            throw new IllegalArgumentException("the token lifetime must be between 1 and "
                    + SiteTokenService.MAX_BULK_LIFETIME.toMinutes() + " minutes (got " + lifetime + ")");
        }
        SiteSimConfig c = Json.readFile(config, SiteSimConfig.class);
        if (c.tokenAuth() == null) {
            throw new IllegalArgumentException(config + " has no tokenAuth (the site's token-signing certificate)");
        }
        SiteTokenAuthority a = SiteTokenAuthority.fromConfig(c.tokenAuth(), Clock.systemUTC());
        BulkToken t = a.issueBulk(Duration.ofMinutes(lifetime));
        out.println("Created a bulk registration token, valid " + lifetime + " minutes until " + t.expires() + ".");
        out.println("Token: " + t.token());
        out.println("Token UniqueId: " + t.uniqueId());
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("token", t.token());
        r.put("uniqueId", t.uniqueId());
        r.put("notBefore", t.notBefore().toString());
        r.put("expires", t.expires().toString());
        out.println("RESULT " + Json.writeCompact(r));
        out.flush();
        return 0;
    }
}
