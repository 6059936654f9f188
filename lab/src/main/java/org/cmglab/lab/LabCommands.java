package org.cmglab.lab;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.runtime.Json;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What the background-lab commands ({@code up}, {@code serve}, {@code status}, {@code down}, {@code fault}) share:
 * their exit codes (besides {@link CmgLabMain}'s), the options of {@code up}, and finding the running lab.
 */
final class LabCommands {
    private LabCommands() {}

    /** {@code up}: a lab is already running from this state folder. */
    static final int EXIT_ALREADY_UP = 6;
    /** {@code status}, {@code down}, {@code fault}: no lab is running from this state folder. */
    static final int EXIT_NOT_RUNNING = 7;
    /** {@code fault}: the fault could not be injected or undone (the reason is printed). */
    static final int EXIT_FAULT_FAILED = 8;
    /** {@code down}: a process of the lab was still alive after the wait. */
    static final int EXIT_STOP_TIMEOUT = 9;
    /** {@code status}: the lab is up but not ready (starting, stopping, or a component or channel down). */
    static final int EXIT_NOT_READY = 10;

    static final List<String> AUTH_MODES = List.of("pki", "entra", "token");

    /** The options of {@code cmglab up} (and of the supervisor it starts, {@code serve}). */
    static final class UpOptions {
        @Mixin
        CmgLabMain.LabOptions lab = new CmgLabMain.LabOptions();

        @Option(names = "--auth", paramLabel = "pki|entra|token",
                description = "how client-sim authenticates by default in this lab (demo, clients): PKI client "
                        + "certificate, Entra ID token or site token (default ${DEFAULT-VALUE})")
        String auth = "pki";

        @Option(names = "--proxy", description = "the connection point's HTTPS channels go through the lab's web proxy "
                + "(127.N.2.20:8080, CONNECT to 443 and 10124-10139 only)")
        boolean proxy;

        /** The lab these options describe; IllegalArgumentException for a bad value. */
        LabTopology topology() {
            if (!AUTH_MODES.contains(auth.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("--auth: " + auth + " (expected: pki, entra or token)");
            }
            auth = auth.toLowerCase(Locale.ROOT);
            return new LabTopology(lab.toPlan(), proxy);
        }

        /** The options again, fully resolved (absolute state folder, the port offset), as {@code serve} gets them. */
        List<String> args(LabPlan plan) {
            List<String> a = new ArrayList<>(List.of("--net", String.valueOf(plan.net()),
                    "--port-offset", String.valueOf(plan.portOffset()), "--state", plan.stateDir().toString(),
                    "--cloud", lab.cloud, "--deployment", plan.classic() ? "classic" : "scaleset",
                    "--instances", String.valueOf(plan.instances()), "--auth", auth));
            if (proxy) {
                a.add("--proxy");
            }
            return a;
        }

        /** Parses {@code args} (e.g. {@link RunningLab#options()}) into these options. */
        static UpOptions parse(List<String> args) {
            UpOptions o = new UpOptions();
            CommandLine cl = new CommandLine(o);
            cl.setUnmatchedArgumentsAllowed(true);
            cl.setUnmatchedOptionsArePositionalParams(true);
            cl.parseArgs(args.toArray(String[]::new));
            return o;
        }
    }

    /** {@code --state} of status, down and fault: which lab. */
    static final class StateOption {
        @Option(names = "--state", paramLabel = "DIR", description = "state folder of the lab (default: <home>/.cmglab)")
        Path state;

        Path stateDir() {
            return (state != null ? state : LabPlan.findHome().resolve(".cmglab")).toAbsolutePath().normalize();
        }
    }

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1))
            .proxy(HttpClient.Builder.NO_PROXY).build();

    /** GET on the supervisor's admin API; the body of a 200, else IOException. */
    static String get(String adminUrl, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(adminUrl + path))
                .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + adminUrl + path + " → " + r.statusCode() + ": " + r.body().strip());
        }
        return r.body();
    }

    static Optional<JsonNode> status(String adminUrl) {
        try {
            return Optional.of(Json.MAPPER.readTree(get(adminUrl, "/status")));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** The plan of a running lab (its {@code up} options parsed again). */
    static LabPlan plan(RunningLab lab) {
        return UpOptions.parse(lab.options()).topology().plan();
    }

    /**
     * The plan of a running lab found in {@code stateDir}: its {@code up} options parsed again (unknown ones ignored),
     * that state folder, its recorded net and port offset.
     */
    static LabPlan plan(RunningLab lab, Path stateDir) {
        UpOptions o = UpOptions.parse(lab.options());
        o.lab.state = stateDir;
        if (lab.net() > 0) {
            o.lab.net = lab.net(); // what the supervisor recorded wins over its options
        }
        if (lab.portOffset() >= 0) {
            o.lab.portOffset = lab.portOffset();
        }
        return o.topology().plan();
    }

    /** An admin POST to the running lab's supervisor, through {@link LabProcesses#adminPost} (the one POST path). */
    static String post(RunningLab running, String pathAndQuery) throws IOException, InterruptedException {
        Endpoint admin = LabStatus.endpoint(running.admin());
        try (LabProcesses lp = new LabProcesses(plan(running), System.out)) {
            return lp.adminPost(admin, pathAndQuery);
        }
    }

    /** Status code and message of an {@link LabProcesses#adminPost} failure ("POST … → 409: {"error":"…"}"). */
    record PostError(int status, String message) {
        static PostError of(IOException e) {
            String m = String.valueOf(e.getMessage());
            java.util.regex.Matcher x = java.util.regex.Pattern.compile(" → (\\d{3}): (.*)$", java.util.regex.Pattern.DOTALL)
                    .matcher(m);
            if (!x.find()) {
                return new PostError(0, m);
            }
            String body = x.group(2);
            try {
                JsonNode n = Json.MAPPER.readTree(body);
                if (n.hasNonNull("error")) {
                    body = n.get("error").asText();
                }
            } catch (IOException notJson) {
                // keep the body
            }
            return new PostError(Integer.parseInt(x.group(1)), body);
        }
    }
}
