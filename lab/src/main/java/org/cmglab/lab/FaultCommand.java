package org.cmglab.lab;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.cmglab.proto.runtime.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cmglab fault <name> [args]} and {@code cmglab fault undo <name> [args] | --all}: see {@link LabFaults}. */
@Command(name = "fault", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Injects a fault into the running lab, or undoes one. The supervisor records it; "
                + "cmglab status shows it.",
            "",
            "  block-tcp-tls               NSG Deny on every instance's TCP-TLS port 10140+i (classic: HTTPS fallback)",
            "  kill-instance [i]           SIGKILL CMG VM instance i (default 0); undo restarts it",
            "  cut-channel                 stop the connection point (every channel closes); undo starts it",
            "  stop-proxy                  stop the web proxy (needs up --proxy); undo starts it",
            "  blackhole-proxy             the web proxy forwards nothing, closes nothing (half-open)",
            "  skew-clock <component> <s>  the component's clock runs <s> seconds ahead (negative: behind); "
                + "cmg-service = every instance",
            "  expire-tokens               site-sim's and the CMG's clocks jump 8 h 10 min ahead: CCM tokens expire",
            "  strip-header <name>         fw01 strips the request header (client→CMG and connection point→MP)",
            "  block-verb <VERB>           fw01 answers the verb with 405 (client→CMG and connection point→MP)",
            "",
            "  undo <name> [arg] | --all   undo one fault (the argument picks one of several) or every fault"},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done",
            "2:usage error (unknown fault, bad argument)",
            "7:no lab is running from this state folder",
            "8:the fault could not be injected or undone (e.g. not active, no web proxy); the reason is printed"})
final class FaultCommand implements Callable<Integer> {
    @Mixin
    LabCommands.StateOption state = new LabCommands.StateOption();

    @Option(names = "--all", description = "with undo: undo every active fault")
    boolean all;

    @Parameters(paramLabel = "NAME [ARG...]", arity = "1..*", description = "the fault (or undo) and its arguments")
    List<String> words;

    @Override
    public Integer call() {
        return run(System.out);
    }

    /** The admin path for {@code words}: {@code /fault/<name>?arg=…}, {@code /undo/<name>?arg=…}, {@code /undo/all}. */
    static String path(List<String> words, boolean all) {
        boolean undo = words.get(0).equals("undo");
        if (undo && all) {
            if (words.size() > 1) {
                throw new IllegalArgumentException("undo --all takes no fault name");
            }
            return "/undo/all";
        }
        if (undo && words.size() < 2) {
            throw new IllegalArgumentException("undo: which fault? (expected: undo <name> [arg] or undo --all)");
        }
        if (!undo && all) {
            throw new IllegalArgumentException("--all goes with undo");
        }
        List<String> rest = words.subList(undo ? 1 : 0, words.size());
        String name = rest.get(0);
        if (!LabFaults.NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown fault " + name + " (expected one of " + LabFaults.NAMES + ")");
        }
        String arg = String.join(" ", rest.subList(1, rest.size()));
        return "/" + (undo ? "undo" : "fault") + "/" + name
                + (arg.isEmpty() ? "" : "?arg=" + URLEncoder.encode(arg, StandardCharsets.UTF_8).replace("+", "%20"));
    }

    int run(PrintStream out) {
        String path;
        try {
            path = path(words, all);
        } catch (IllegalArgumentException e) {
            out.println("cmglab fault: " + e.getMessage());
            return CmgLabMain.EXIT_USAGE;
        }
        Optional<RunningLab> lab = RunningLab.find(state.stateDir());
        if (lab.isEmpty()) {
            out.println("no lab running (state folder " + state.stateDir() + ")");
            return LabCommands.EXIT_NOT_RUNNING;
        }
        try {
            JsonNode r = Json.MAPPER.readTree(LabCommands.post(lab.get(), path));
            boolean undo = "undo".equals(r.path("accepted").asText());
            List<String> keys = new java.util.ArrayList<>();
            if (r.hasNonNull("fault")) {
                keys.add(r.path("fault").asText());
            }
            r.path("faults").forEach(k -> keys.add(k.asText()));
            if (keys.isEmpty()) {
                out.println("no fault to undo");
                return CmgLabMain.EXIT_OK;
            }
            out.println((undo ? "undoing " : "applying ") + String.join(", ", keys) + " …");
            return await(out, lab.get().admin(), keys, undo);
        } catch (IOException e) {
            LabCommands.PostError pe = LabCommands.PostError.of(e);
            out.println("cmglab fault: " + pe.message());
            return pe.status() == 400 ? CmgLabMain.EXIT_USAGE : LabCommands.EXIT_FAULT_FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return LabCommands.EXIT_FAULT_FAILED;
        }
    }

    /** Polls the lab status until every fault in {@code keys} is applied (or failed) / undone (or failed). */
    static int await(PrintStream out, String admin, List<String> keys, boolean undo) throws InterruptedException {
        java.util.Set<String> pending = new java.util.LinkedHashSet<>(keys);
        boolean failed = false;
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!pending.isEmpty()) {
            Optional<JsonNode> s = LabCommands.status(admin);
            if (s.isPresent()) {
                for (java.util.Iterator<String> it = pending.iterator(); it.hasNext(); ) {
                    String k = it.next();
                    JsonNode f = null;
                    for (JsonNode x : s.get().path("faults")) {
                        if (x.path("name").asText().equals(k)) {
                            f = x;
                        }
                    }
                    String st = f == null ? null : f.path("state").asText(LabFaults.ACTIVE);
                    if (undo && f == null) {
                        out.println("undone " + k);
                        it.remove();
                    } else if (!undo && LabFaults.ACTIVE.equals(st)) {
                        out.println("fault " + k + ": " + f.path("detail").asText());
                        it.remove();
                    } else if (LabFaults.FAILED.equals(st) || LabFaults.UNDO_FAILED.equals(st) || (!undo && f == null)) {
                        out.println((undo ? "undo of " : "fault ") + k + " FAILED: "
                                + (f == null ? "no longer recorded" : f.path("detail").asText()));
                        failed = true;
                        it.remove();
                    }
                }
                if (pending.isEmpty()) {
                    List<String> left = names(s.get().path("faults"));
                    out.println("active faults: " + (left.isEmpty() ? "none" : left));
                    break;
                }
            }
            if (System.nanoTime() > deadline) {
                out.println("cmglab fault: still " + (undo ? "undoing " : "applying ") + pending + " after "
                        + TIMEOUT.toSeconds() + " s; see cmglab status");
                return LabCommands.EXIT_FAULT_FAILED;
            }
            Thread.sleep(300);
        }
        return failed ? LabCommands.EXIT_FAULT_FAILED : CmgLabMain.EXIT_OK;
    }

    /** How long {@code fault} waits for the supervisor to apply or undo (a restart takes up to a minute or two). */
    static final java.time.Duration TIMEOUT = java.time.Duration.ofMinutes(3);

    private static List<String> names(JsonNode active) {
        java.util.List<String> n = new java.util.ArrayList<>();
        active.forEach(a -> n.add(a.path("name").asText()
                + (a.path("state").asText(LabFaults.ACTIVE).equals(LabFaults.ACTIVE) ? "" : " (" + a.path("state").asText() + ")")));
        return n;
    }
}
