package org.cmglab.lab;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.cmglab.lab.analyze.Check;
import org.cmglab.lab.analyze.ConnectionAnalyzer;
import org.cmglab.lab.analyze.LabProbes;
import org.cmglab.proto.runtime.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cmglab analyze}: the CMG connection analyzer against the lab of {@code cmglab up} (or, with {@code --start},
 * a lab it starts for the check and stops after). Prints PASS/FAIL/SKIP per check with the reason and what to fix,
 * or {@code --json}.
 */
@Command(name = "analyze", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"CMG connection analyzer: checks the CMG service (deployment, DNS name → VIP, TLS handshake, server "
                + "certificate chain / name / validity), the connection point's channel to every VM instance, the "
                + "client authentication (--auth pki: client certificate chain and EKU; entra: Entra token → CCM "
                + "token; token: bulk token → CCM token from CCM_STS), the MP through the CMG (MPLIST, registration, "
                + "location), the SUP through the CMG (WSUS path) and content (location, manifest, blob download).",
                "Runs against the lab of 'cmglab up' in the state folder; --start starts a lab for the check and "
                        + "stops it after. See docs/runbook.md for what each failure means."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:every check passed",
            "1:at least one check failed (each FAIL says what to fix)",
            "2:usage error",
            "3:--start: the lab could not start",
            "8:no lab is up in the state folder (run cmglab up, or cmglab analyze --start)"})
public final class AnalyzeCommand implements Callable<Integer> {
    public static final int EXIT_CHECK_FAILED = 1;
    public static final int EXIT_NO_LAB = 8;

    @Mixin
    CmgLabMain.LabOptions lab = new CmgLabMain.LabOptions();

    @Option(names = "--auth", paramLabel = "pki|entra|token",
            description = "client authentication to check (default: the running lab's --auth, else pki)")
    String auth;

    @Option(names = "--start", description = "start a lab for the check (when none is up) and stop it after")
    boolean start;

    @Option(names = "--json", description = "print the results as JSON instead of the table")
    boolean json;

    @Override
    public Integer call() throws Exception {
        return run(System.out);
    }

    int run(PrintStream out) throws InterruptedException {
        Optional<CmgLabMain.LabOptions.Parsed> parsed = lab.parse(auth, out);
        if (parsed.isEmpty()) {
            return CmgLabMain.EXIT_USAGE;
        }
        LabPlan plan = parsed.get().plan();
        auth = parsed.get().auth();
        // the lab's own start-up lines would break --json
        PrintStream progressOut = json ? new PrintStream(java.io.OutputStream.nullOutputStream()) : out;
        Optional<LabSession> attached = LabSession.attach(plan.stateDir(), auth, progressOut);
        if (attached.isEmpty() && !start) {
            out.println("cmglab: no lab is up in " + plan.stateDir() + " (run 'cmglab up', or 'cmglab analyze --start')");
            return EXIT_NO_LAB;
        }
        try (LabSession s = attached.orElseGet(() -> LabSession.own(plan, auth, progressOut))) {
            if (!s.attached()) {
                progressOut.println("Starting a lab for the check (--start) …");
                try {
                    s.start();
                    s.processes().awaitChannel(LabProcesses.READY_TIMEOUT);
                } catch (RuntimeException e) {
                    out.println("FAILED to start the lab: " + e.getMessage());
                    return CmgLabMain.EXIT_START_FAILED;
                }
            }
            LabPlan p = s.plan();
            if (!json) {
                out.printf("CMG connection analyzer: %s (%s %s, %d instance(s)), auth %s, lab 127.%d.x.y, port offset %d%n",
                        LabPlan.SERVICE_NAME, p.deploymentMethod(), p.deploymentName(), p.instances(), s.auth(), p.net(),
                        p.portOffset());
            }
            ConnectionAnalyzer analyzer = new ConnectionAnalyzer(p, s.auth(), new LabProbes(p, s.processes()),
                    Clock.systemUTC(), c -> {
                        if (!json) {
                            print(out, c);
                        }
                    });
            List<Check> checks = analyzer.run();
            long failed = checks.stream().filter(Check::failed).count();
            long passed = checks.stream().filter(Check::passed).count();
            if (json) {
                out.println(toJson(p, s.auth(), checks));
            } else {
                out.printf("%nResult: %d passed, %d failed, %d skipped%n", passed, failed, checks.size() - passed - failed);
            }
            return failed == 0 ? CmgLabMain.EXIT_OK : EXIT_CHECK_FAILED;
        }
    }

    /** One result: {@code PASS  area: name — reason} and, for a FAIL, the fix on the next line. */
    static void print(PrintStream out, Check c) {
        out.printf(Locale.ROOT, "%-4s  %-24s %s%n        %s%n", c.status(), c.area(), c.name(), c.reason());
        if (c.fix() != null) {
            out.printf("        What to fix: %s%n", c.fix());
        }
    }

    /** {@code {"service","auth","net","portOffset","passed","failed","checks":[{area,name,status,reason,fix}]}}. */
    static String toJson(LabPlan p, String auth, List<Check> checks) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("service", LabPlan.SERVICE_NAME);
        root.put("deployment", p.deploymentName());
        root.put("auth", auth);
        root.put("net", p.net());
        root.put("portOffset", p.portOffset());
        root.put("passed", checks.stream().filter(Check::passed).count());
        root.put("failed", checks.stream().filter(Check::failed).count());
        ArrayNode arr = root.putArray("checks");
        checks.forEach(c -> arr.add(Json.MAPPER.valueToTree(c)));
        return root.toString();
    }
}
