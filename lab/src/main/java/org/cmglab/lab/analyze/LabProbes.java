package org.cmglab.lab.analyze;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.cmglab.lab.ClientAuthArgs;
import org.cmglab.lab.ClientRun;
import org.cmglab.lab.LabPlan;
import org.cmglab.lab.LabProcesses;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.runtime.EventLoops;
import org.cmglab.proto.runtime.Json;
import org.cmglab.proto.runtime.LabDns;

/**
 * The analyzer's probes on a real lab: admin endpoints over loopback HTTP, the lab DNS, a JDK TLS handshake with the
 * CMG that trusts only the lab root (the presented chain is recorded before the real PKIX check decides), client-sim
 * and site-sim runs through {@link LabProcesses}.
 */
public final class LabProbes implements ConnectionAnalyzer.Probes {
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    static final Duration DISTRIBUTE_TIMEOUT = Duration.ofSeconds(60);

    private final LabPlan plan;
    private final LabProcesses lab;
    private Path bulkToken;

    public LabProbes(LabPlan plan, LabProcesses lab) {
        this.plan = plan;
        this.lab = lab;
    }

    @Override
    public String adminGet(Endpoint at, String path) throws IOException, InterruptedException {
        return lab.adminGet(at, path);
    }

    @Override
    public String resolve(String name) throws IOException {
        EventLoopGroup g = EventLoops.newGroup(1, "analyze-dns");
        try {
            return LabDns.resolve(g, plan.dns().socketAddress(), name, TIMEOUT).getHostAddress();
        } catch (RuntimeException e) {
            throw new IOException(e.getMessage(), e);
        } finally {
            g.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Override
    public AnalyzerChecks.Handshake handshake() {
        List<X509Certificate> seen = new ArrayList<>();
        try {
            X509Certificate root = Pem.readCertificates(plan.rootCertFile()).get(0);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("lab-root", root);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(trust);
            X509TrustManager pkix = (X509TrustManager) Arrays.stream(tmf.getTrustManagers())
                    .filter(t -> t instanceof X509TrustManager).findFirst().orElseThrow();
            // records what the CMG presented, then lets the real PKIX check (lab root only) decide
            X509TrustManager recording = new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                    throw new CertificateException("this is a client");
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                    seen.addAll(Arrays.asList(chain));
                    pkix.checkServerTrusted(chain, authType);
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return pkix.getAcceptedIssuers();
                }
            };
            IssuedCert id = IssuedCert.readPem(Path.of(plan.clientTls().certFile()), Path.of(plan.clientTls().keyFile()));
            char[] pw = "analyze".toCharArray();
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("client", id.privateKey(), pw, id.chain().toArray(X509Certificate[]::new));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, pw);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), new javax.net.ssl.TrustManager[] {recording}, null);
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
                s.connect(new InetSocketAddress(plan.vipAddress(), plan.port(443)), (int) TIMEOUT.toMillis());
                s.setSoTimeout((int) TIMEOUT.toMillis());
                var p = s.getSSLParameters();
                p.setServerNames(List.of(new SNIHostName(LabPlan.SERVICE_NAME)));
                s.setSSLParameters(p);
                s.startHandshake();
                return new AnalyzerChecks.Handshake(s.getSession().getProtocol(), s.getSession().getCipherSuite(),
                        seen, null);
            }
        } catch (IOException | java.security.GeneralSecurityException | RuntimeException e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            return new AnalyzerChecks.Handshake(null, null, seen, why);
        }
    }

    @Override
    public ClientRun client(String subcommand, List<String> args) throws InterruptedException {
        return lab.runClientCommand(plan.configFile(LabPlan.CLIENT_SIM), subcommand, TraceContext.newTraceId(), args);
    }

    @Override
    public synchronized Path bulkTokenFile() throws InterruptedException {
        if (bulkToken == null) {
            bulkToken = ClientAuthArgs.bulkTokenFile(plan);
        }
        return bulkToken;
    }

    @Override
    public String ensureDistributed(String packageId) throws IOException, InterruptedException {
        String state = contentState(packageId);
        if (state.startsWith("Distributed")) {
            return state;
        }
        lab.adminPost(plan.siteSimAdmin(), "/distribute?package=" + packageId + "&version=1&files=1&bytes=100000");
        long deadline = System.nanoTime() + DISTRIBUTE_TIMEOUT.toNanos();
        while (!(state = contentState(packageId)).startsWith("Distributed")) {
            if (state.startsWith("Failed")) {
                throw new IOException(state);
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("not distributed within " + DISTRIBUTE_TIMEOUT.toSeconds() + " s (" + state + ")");
            }
            Thread.sleep(200);
        }
        return state;
    }

    private String contentState(String packageId) throws IOException, InterruptedException {
        JsonNode c = Json.MAPPER.readTree(lab.adminPost(plan.siteSimAdmin(), "/content"));
        return c.path("states").path(packageId).asText("");
    }

    @Override
    public Path contentDest() {
        return plan.stateDir().resolve("analyze").resolve("ccmcache").resolve(TraceContext.newTraceId());
    }
}
