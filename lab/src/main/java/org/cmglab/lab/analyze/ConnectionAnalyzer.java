package org.cmglab.lab.analyze;

import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.cmglab.lab.ClientAuthArgs;
import org.cmglab.lab.ClientRun;
import org.cmglab.lab.LabPlan;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.Pem;

/**
 * The lab's CMG connection analyzer (the console's "CMG connection analyzer", cmg-facts §5.5): checks the CMG service
 * (deployment, DNS, TLS, server certificate), the connection point's channels, the chosen client authentication, MP
 * and SUP reachability through the CMG and content access, in that order. Every probe goes through {@link Probes},
 * so the order and the meaning of the results are tested without a lab.
 */
public final class ConnectionAnalyzer {
    /** The package the analyzer distributes for its content check when the site has none on the CMG. */
    public static final String PACKAGE = "P01000A1";

    /** What the analyzer asks the lab. Implementations: {@link LabProbes} (a real lab), fakes in tests. */
    public interface Probes {
        /** GET on a loopback admin endpoint: the body of a 200, else an exception. */
        String adminGet(Endpoint at, String path) throws IOException, InterruptedException;

        /** The IPv4 address of {@code name} through the lab DNS. */
        String resolve(String name) throws IOException;

        /** A TLS handshake with the CMG front door (through the VIP, SNI the service name). */
        AnalyzerChecks.Handshake handshake();

        /** One client-sim run: {@code <subcommand> --trace <new id> <args>}. */
        ClientRun client(String subcommand, List<String> args) throws InterruptedException;

        /** A bulk registration token file ({@code site-sim bulk-token}). */
        Path bulkTokenFile() throws InterruptedException;

        /** Makes sure {@code packageId} is distributed to the CMG; returns a description of its state. */
        String ensureDistributed(String packageId) throws IOException, InterruptedException;

        /** A fresh folder for a content download. */
        Path contentDest();
    }

    private final LabPlan plan;
    private final String auth;
    private final Probes probes;
    private final Clock clock;
    private final Consumer<Check> progress;

    /**
     * @param auth     pki, entra or token
     * @param progress called with each result as soon as it is known (the console prints it), may be a no-op
     */
    public ConnectionAnalyzer(LabPlan plan, String auth, Probes probes, Clock clock, Consumer<Check> progress) {
        this.plan = plan;
        this.auth = auth;
        this.probes = probes;
        this.clock = clock;
        this.progress = progress;
    }

    /** Runs every check; never throws for a lab problem (that is a FAIL). */
    public List<Check> run() throws InterruptedException {
        List<Check> out = new ArrayList<>();
        serviceChecks(out);
        channelChecks(out);
        authChecks(out);
        mpChecks(out);
        supCheck(out);
        contentCheck(out);
        return out;
    }

    private void add(List<Check> out, Check c) {
        out.add(c);
        progress.accept(c);
    }

    void serviceChecks(List<Check> out) throws InterruptedException {
        String scp = null;
        String err = null;
        try {
            scp = probes.adminGet(plan.scpAdmin(), "/status");
        } catch (IOException e) {
            err = e.getMessage();
        }
        add(out, AnalyzerChecks.deployment(plan, scp, err));
        String resolved = null;
        try {
            resolved = probes.resolve(LabPlan.SERVICE_NAME);
            err = null;
        } catch (IOException e) {
            err = e.getMessage();
        }
        add(out, AnalyzerChecks.dns(plan, resolved, err));
        AnalyzerChecks.Handshake h = probes.handshake();
        add(out, AnalyzerChecks.tls(plan, h));
        X509Certificate root = labRoot();
        if (h.chain().isEmpty() || root == null) {
            add(out, Check.skip(AnalyzerChecks.SERVICE, "Server certificate", root == null
                    ? "the lab root " + plan.rootCertFile() + " cannot be read" : "the CMG presented no certificate"));
        } else {
            CertChecks.serverCertificate(h.chain(), root, LabPlan.SERVICE_NAME, clock.instant())
                    .forEach(c -> add(out, c));
        }
    }

    void channelChecks(List<Check> out) throws InterruptedException {
        int instances = plan.instances();
        for (int i = 0; i < instances; i++) {
            Endpoint admin = new Endpoint(plan.instanceAddressPrefix() + (10 + i), plan.port(9090));
            String st = null;
            String err = null;
            try {
                st = probes.adminGet(admin, "/status");
            } catch (IOException e) {
                err = e.getMessage();
            }
            add(out, AnalyzerChecks.channel(plan, i, st, err));
        }
    }

    void authChecks(List<Check> out) throws InterruptedException {
        if ("pki".equals(auth)) {
            X509Certificate root = labRoot();
            List<X509Certificate> chain;
            try {
                chain = IssuedCert.readPem(Path.of(plan.clientTls().certFile()), Path.of(plan.clientTls().keyFile()))
                        .chain();
            } catch (IOException | RuntimeException e) {
                add(out, Check.fail(AnalyzerChecks.AUTH, "Client certificate", "cannot read "
                        + plan.clientTls().certFile() + ": " + e.getMessage(),
                        "Issue the client a client authentication certificate from the lab root (cmglab plan)"));
                return;
            }
            if (root == null) {
                add(out, Check.skip(AnalyzerChecks.AUTH, "Client certificate", "the lab root cannot be read"));
                return;
            }
            CertChecks.clientCertificate(chain, root, clock.instant()).forEach(c -> add(out, c));
            return;
        }
        ClientRun run;
        try {
            run = probes.client("token", tokenArgs());
        } catch (IllegalStateException e) {
            add(out, Check.fail(AnalyzerChecks.AUTH, "Bulk registration token", e.getMessage(),
                    "Create a bulk registration token on the site (BulkRegistrationTokenTool /new; site-sim bulk-token)"));
            return;
        }
        add(out, AnalyzerChecks.token(plan, auth, run));
    }

    private List<String> tokenArgs() throws InterruptedException {
        List<String> args = new ArrayList<>(ClientAuthArgs.args(auth, "token".equals(auth) ? probes.bulkTokenFile()
                : null));
        args.add("--renew");
        return args;
    }

    void mpChecks(List<Check> out) throws InterruptedException {
        String mp = "MP01 (" + LabPlan.MP_FQDN + ")";
        ClientRun mplist = probes.client("mplist", List.of());
        add(out, AnalyzerChecks.throughCmg(plan, AnalyzerChecks.MP, "MPLIST through the CMG (PKI)", mplist,
                "status " + mplist.status() + ", MPs " + mplist.mps().stream().map(ClientRun.Mp::name).toList(), mp));
        List<String> args;
        try {
            args = ClientAuthArgs.args(auth, "token".equals(auth) ? probes.bulkTokenFile() : null);
        } catch (IllegalStateException e) {
            add(out, Check.skip(AnalyzerChecks.MP, "Registration and location request through the CMG (" + auth + ")",
                    "no bulk registration token: " + e.getMessage()));
            return;
        }
        ClientRun reg = probes.client("register", args);
        if (reg.exitCode() != 0) {
            add(out, AnalyzerChecks.throughCmg(plan, AnalyzerChecks.MP, "Registration through the CMG (" + auth + ")",
                    reg, "", mp));
            return;
        }
        ClientRun loc = probes.client("location", args);
        String ok = loc.result() == null ? "ok" : "internet MP " + loc.result().path("internetMp").asText("-")
                + ", WSUS " + loc.result().path("wsusUrl").asText("-");
        add(out, AnalyzerChecks.throughCmg(plan, AnalyzerChecks.MP, "Location request through the CMG (" + auth + ")",
                loc, ok, mp));
    }

    void supCheck(List<Check> out) throws InterruptedException {
        String path = "/CCM_Proxy_MutualAuth/" + LabPlan.SUP_ROLE_ID + "/selfupdate/wuident.cab";
        ClientRun run = probes.client("probe", List.of("--verb", "GET", "--path", path));
        add(out, AnalyzerChecks.throughCmg(plan, AnalyzerChecks.SUP, "WSUS path through the CMG (GET " + path + ")",
                run, "status " + run.status() + " from SUP01 (" + LabPlan.SUP_FQDN + ")",
                "SUP01 (" + LabPlan.SUP_FQDN + ")"));
    }

    void contentCheck(List<Check> out) throws InterruptedException {
        String state;
        try {
            state = probes.ensureDistributed(PACKAGE);
        } catch (IOException | RuntimeException e) {
            add(out, Check.fail(AnalyzerChecks.CONTENT, "Content on the CMG", "cannot distribute " + PACKAGE + ": "
                    + e.getMessage(), "Check the site's access to the CMG's storage account (site-sim log, DistMgr "
                    + "lines) and that the CMG is content-enabled"));
            return;
        }
        add(out, Check.pass(AnalyzerChecks.CONTENT, "Content on the CMG", PACKAGE + ": " + state));
        ClientRun run = probes.client("content", List.of("--package", PACKAGE, "--dest", probes.contentDest().toString()));
        add(out, AnalyzerChecks.content(plan, run));
    }

    private X509Certificate labRoot() {
        try {
            return Pem.readCertificates(plan.rootCertFile()).get(0);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
