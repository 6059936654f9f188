package org.cmglab.azure.instances;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.EventLoopGroup;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.cmglab.proto.config.AzureSimConfig;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.Pem;
import org.cmglab.proto.runtime.EventLoops;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start, ready, crash detection and stop across real OS processes. */
class ProcessInstanceTest {
    @TempDir
    Path dir;

    @Test
    void childProcessesStartBecomeReadyAreSeenCrashingAndAreStopped() throws Exception {
        EventLoopGroup group = EventLoops.newGroup(1, "proc-test");
        LabCa ca = LabCa.createEphemeral();
        IssuedCert cert = ca.issue(CertSpec.server("GraniteFalls.contoso.com", List.of(), List.of()));
        AzureSimConfig cfg = new AzureSimConfig("public", "t", "s", new Endpoint("127.88.3.1", 0),
                new Endpoint("127.88.3.1", 0), new Endpoint("127.88.3.1", 0), null, List.of(), List.of(),
                "127.88.3.5", "127.88.3.", 30000, "none.jar", List.of(), dir.resolve("state").toString(),
                dir.resolve("logs").toString(), "127.88.5.10", null);
        InstanceLauncher launcher = new ProcessInstanceLauncher(config -> {
            List<String> cmd = new ArrayList<>(ProcessInstanceLauncher.javaPrefix());
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ReadyMain.class.getName(),
                    "--config", config.toString()));
            return cmd;
        });
        CloudFabric fabric = new CloudFabric(cfg, group, launcher, "127.88.5.10")
                .timings(Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofSeconds(1));
        try {
            DeploymentPlan plan = new DeploymentPlan("granitefalls", false, "GraniteFalls.contoso.com",
                    "granitefalls.westus.cloudapp.azure.com", "P01", 2, Pem.toPem(cert.certificate()),
                    Pem.toPem(cert.privateKey()), List.of(), List.of(), List.of());
            CloudFabric.FabricDeployment d = fabric.deploy(plan);
            List<VmInstance> vms = d.instances();
            assertThat(vms).hasSize(2).allMatch(v -> v.state() == InstanceState.ReadyRole);
            long pid0 = vms.get(0).pid();
            assertThat(pid0).isPositive().isNotEqualTo(ProcessHandle.current().pid());
            assertThat(ProcessHandle.of(pid0)).hasValueSatisfying(h -> assertThat(h.isAlive()).isTrue());
            assertThat(Files.readString(vms.get(1).outFile())).contains("ReadyMain ProxyService_IN_1 serving");

            HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
            try {
                http.send(HttpRequest.newBuilder(URI.create("http://127.88.3.11:39090/crash")).build(),
                        HttpResponse.BodyHandlers.discarding());
            } catch (java.io.IOException e) {
                // the process may die before the answer is read
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(vms.get(1).state()).isEqualTo(InstanceState.Crashed);
                assertThat(vms.get(1).exitCode()).isEqualTo(3);
            });
            assertThat(d.pool().backend(1).healthy()).isFalse();
            assertThat(fabric.instanceView("granitefalls").get(1).get("state")).isEqualTo("Crashed");

            assertThat(fabric.remove("granitefalls")).isTrue();
            assertThat(ProcessHandle.of(pid0).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        } finally {
            fabric.close();
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
