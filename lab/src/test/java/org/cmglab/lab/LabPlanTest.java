package org.cmglab.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.cmglab.proto.config.ClientSimConfig;
import org.cmglab.proto.config.CmgServiceConfig;
import org.cmglab.proto.config.ConnectionPointConfig;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.config.SiteSimConfig;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabPlanTest {

    @TempDir
    Path tmp;

    private LabPlan plan(int offset) {
        return LabPlan.builder().home(tmp).stateDir(tmp.resolve("state")).net(123).portOffset(offset).build();
    }

    @Test
    void addressesAreLoopbackAndPortsAreOffset() throws Exception {
        LabPlan p = plan(20_000);
        List<Endpoint> eps = List.of(p.cmgFrontDoor(0), p.cmgChannel(0), p.cmgAdmin(0), p.connectionPointAdmin(),
                p.mp(), p.siteSimAdmin());
        for (Endpoint e : eps) {
            assertThat(InetAddress.getByName(e.address()).isLoopbackAddress()).as(e.toString()).isTrue();
            assertThat(e.address()).startsWith("127.123.");
            assertThat(e.port()).isGreaterThanOrEqualTo(20_000);
        }
        for (String a : List.of(p.clientAddress(), p.azuriteAddress(), p.connectionPointAddress())) {
            assertThat(InetAddress.getByName(a).isLoopbackAddress()).isTrue();
        }
        assertThat(p.cmgFrontDoor(0)).isEqualTo(new Endpoint("127.123.1.10", 20_443));
        assertThat(p.cmgChannel(0)).isEqualTo(p.cmgFrontDoor(0));
        assertThat(p.mp()).isEqualTo(new Endpoint("127.123.3.10", 20_443));
        assertThat(p.cmgAdmin(0)).isEqualTo(new Endpoint("127.123.1.10", 29_090));
        assertThat(p.connectionPointAdmin()).isEqualTo(new Endpoint("127.123.2.10", 29_090));
        assertThat(List.of(p.azuriteBlobPort(), p.azuriteQueuePort(), p.azuriteTablePort()))
                .containsExactly(20_443, 30_001, 30_002);
        assertThat(p.mpInternalUrl()).isEqualTo("https://mp01.corp.contoso.com:20443");
        assertThat(p.hosts()).containsEntry(LabPlan.MP_FQDN, "127.123.3.10").doesNotContainKey(LabPlan.SERVICE_NAME);
        assertThat(p.customerZone()).contains(new org.cmglab.proto.config.AzureSimConfig.DnsRecord(LabPlan.SERVICE_NAME,
                "CNAME", LabPlan.DEPLOYMENT_NAME));
        assertThat(p.dns()).isEqualTo(new Endpoint("127.123.10.53", 20_053));
        assertThat(p.azureFront()).isEqualTo(new Endpoint("127.123.10.1", 20_443));
        assertThat(p.vipAddress()).isEqualTo("127.123.1.1");
        LabPlan classicUsGov = LabPlan.builder().home(tmp).stateDir(tmp).net(123).portOffset(0).cloud("usgov")
                .classic(true).instances(2).build();
        assertThat(classicUsGov.deploymentName()).isEqualTo("granitefalls.usgovcloudapp.net");
        assertThat(classicUsGov.cmgChannel(1)).isEqualTo(new Endpoint("127.123.1.11", 10_125));
        assertThat(classicUsGov.deploymentMethod()).isEqualTo("CloudServiceClassic");
        assertThat(classicUsGov.cmgChannelTcpTls(1)).isEqualTo(new Endpoint("127.123.1.11", 10_141));
        assertThat(classicUsGov.cmgServiceConfig(1).channelTcpTls()).isEqualTo(new Endpoint("127.123.1.11", 10_141));
        assertThat(classicUsGov.connectionPointConfig().targets()).extracting(t -> t.transport() + " " + t.port()
                + " → HTTPS " + t.httpsFallbackPort()).containsExactly("TCP-TLS 10140 → HTTPS 10124",
                "TCP-TLS 10141 → HTTPS 10125");
        LabPlan classicOne = LabPlan.builder().home(tmp).stateDir(tmp).net(123).portOffset(0).classic(true).build();
        assertThat(classicOne.connectionPointConfig().targets()).singleElement().satisfies(t -> {
            assertThat(t.transport()).isEqualTo("TCP-TLS");
            assertThat(t.port()).isEqualTo(10_140);
            assertThat(t.httpsFallbackPort()).isEqualTo(443);
        });
        assertThat(p.azureSimConfig("s", "a2V5").cmgChannel()).as("CMG keep-alive by default")
                .isEqualTo(org.cmglab.proto.config.ChannelTimings.defaults());
        LabPlan fast = LabPlan.builder().home(tmp).stateDir(tmp).net(123).portOffset(0)
                .channelPing(java.time.Duration.ofSeconds(1), java.time.Duration.ofMillis(700)).build();
        var both = new org.cmglab.proto.config.ChannelTimings(1_000, 700);
        assertThat(fast.connectionPointConfig().channel()).as("connection point keep-alive").isEqualTo(both);
        assertThat(fast.azureSimConfig("s", "a2V5").cmgChannel()).as("what azure-sim writes for each CMG instance")
                .isEqualTo(both);
        assertThat(fast.cmgServiceConfig(0).channel()).isEqualTo(both);
        assertThat(p.cmgChannelTcpTls(0)).isNull();
        assertThat(p.cmgServiceConfig(0).channelTcpTls()).isNull();

        LabPlan real = plan(0);
        assertThat(real.cmgFrontDoor(0).port()).isEqualTo(443);
        LabPlan http = LabPlan.builder().home(tmp).stateDir(tmp).portOffset(0).mpHttps(false).build();
        assertThat(http.mp().port()).isEqualTo(80);
        assertThat(http.mpInternalUrl()).isEqualTo("http://mp01.corp.contoso.com:80");
        assertThat(http.net()).isEqualTo(LabPlan.DEFAULT_NET);
    }

    @Test
    void rejectsWhatTheLabCannotRun() {
        assertThatThrownBy(() -> LabPlan.builder().home(tmp).net(0).build()).hasMessageContaining("net: 0");
        assertThatThrownBy(() -> LabPlan.builder().home(tmp).instances(17).build()).hasMessageContaining("instances: 17");
        assertThatThrownBy(() -> LabPlan.builder().home(tmp).cloud("mars").build()).hasMessageContaining("mars");
    }

    @Test
    void materializeWritesCertificatesAndConfigs() throws Exception {
        LabPlan p = plan(20_000);
        p.materialize();

        var azure = Json.readFile(p.configFile(LabPlan.AZURE_SIM), org.cmglab.proto.config.AzureSimConfig.class);
        assertThat(azure.front()).isEqualTo(p.azureFront());
        assertThat(azure.cmgServiceJar()).endsWith("cmg-service.jar");
        var scp = Json.readFile(p.configFile(LabPlan.SCP), org.cmglab.proto.config.ScpConfig.class);
        assertThat(scp.clientSecret()).isEqualTo(azure.apps().get(0).secret()).hasSizeGreaterThan(30);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p.scpSecretFile()))).isEqualTo("rw-------");
        // the storage account key: 32 random bytes, base64, 0600, given to azure-sim with Azurite's endpoints
        assertThat(p.storageKeyFile()).isEqualTo(p.pkiDir().resolve("storage-granitefalls.key"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p.storageKeyFile())))
                .isEqualTo("rw-------");
        String storageKey = Files.readString(p.storageKeyFile()).strip();
        assertThat(java.util.Base64.getDecoder().decode(storageKey)).hasSize(32);
        // Azurite serves HTTPS (lab certificate for the storage host and its address), blob on 443 + offset
        assertThat(azure.storage().blobEndpoint()).isEqualTo("https://127.123.5.10:20443");
        assertThat(azure.storage().tableEndpoint()).isEqualTo("https://127.123.5.10:30002");
        assertThat(azure.storage().trustRoots()).containsExactly(p.rootCertFile().toString());
        assertThat(p.azuriteTls().certFile()).satisfies(f -> assertThat(Path.of(f)).exists());
        var storageCert = org.cmglab.proto.pki.Pem.readCertificates(Path.of(p.azuriteTls().certFile())).get(0);
        assertThat(storageCert.getSubjectAlternativeNames()).extracting(san -> String.valueOf(san.get(1)))
                .contains("granitefalls.blob.core.windows.net", "127.123.5.10");
        assertThat(p.siteSimConfig().contentStorage()).satisfies(c -> {
            assertThat(c.blobHost()).isEqualTo("granitefalls.blob.core.windows.net");
            assertThat(c.blobPort()).isEqualTo(20_443);
            assertThat(c.keyFile()).isEqualTo(p.storageKeyFile().toString());
        });
        assertThat(azure.storage().keys()).containsExactly(
                new org.cmglab.proto.config.AzureSimConfig.StorageAccountKey(LabPlan.PREFIX, storageKey));
        assertThat(azure.storage().keyOf("GraniteFalls")).isEqualTo(storageKey);
        assertThat(azure.storage().keys().get(0).toString()).doesNotContain(storageKey);
        assertThat(scp.publishedRoles()).extracting(r -> r.roleId() + " " + r.kind())
                .containsExactly(LabPlan.MP_ROLE_ID + " MP", LabPlan.SUP_ROLE_ID + " SUP");
        assertThat(scp.dnsServer()).isEqualTo(p.dns());

        ConnectionPointConfig cp = Json.readFile(p.configFile("cmg-connection-point"), ConnectionPointConfig.class);
        assertThat(cp.targets()).singleElement().satisfies(t -> {
            assertThat(t.host()).isEqualTo(LabPlan.SERVICE_NAME);
            assertThat(t.port()).isEqualTo(20_443);
            assertThat(t.transport()).isEqualTo("HTTPS");
            assertThat(t.httpsFallbackPort()).isNull();
        });
        assertThat(cp.routes()).extracting(r -> r.roleId() + " " + r.internalBaseUrl()).containsExactly(
                LabPlan.MP_ROLE_ID + " https://mp01.corp.contoso.com:20443",
                LabPlan.SUP_ROLE_ID + " https://sup01.corp.contoso.com:28531");

        SiteSimConfig site = Json.readFile(p.configFile("site-sim"), SiteSimConfig.class);
        assertThat(site.mpFqdn()).isEqualTo(LabPlan.MP_FQDN);
        assertThat(site.sup().https()).isEqualTo(new org.cmglab.proto.config.Endpoint("127.123.3.20", 28_531));
        assertThat(site.sup().http()).isEqualTo(new org.cmglab.proto.config.Endpoint("127.123.3.20", 28_530));
        assertThat(site.sup().roleId()).isEqualTo("72057594037927941");
        ClientSimConfig client = Json.readFile(p.configFile("client-sim"), ClientSimConfig.class);
        assertThat(client.cmgPort()).isEqualTo(20_443);
        assertThat(client.sourceAddress()).isEqualTo("127.123.4.10");

        List<String> keys = new ArrayList<>();
        for (var tls : List.of(p.cmgServerTls(), p.connectionPointTls(), p.mpTls(), p.clientTls(), p.supTls())) {
            IssuedCert c = IssuedCert.readPem(Path.of(tls.certFile()), Path.of(tls.keyFile()));
            c.certificate().verify(org.cmglab.proto.pki.LabCa.loadOrCreate(p.pkiDir()).root().getPublicKey());
            keys.add(tls.keyFile());
        }
        keys.add(p.pkiDir().resolve("lab-root-ca.key.pem").toString());
        for (String k : keys) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(k)))).as(k)
                    .isEqualTo("rw-------");
        }
        IssuedCert server = IssuedCert.readPem(Path.of(p.cmgServerTls().certFile()), Path.of(p.cmgServerTls().keyFile()));
        assertThat(server.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=" + LabPlan.SERVICE_NAME);
        assertThat(server.certificate().getSubjectAlternativeNames().stream().map(l -> (Object) l.get(1)).toList())
                .containsExactly((Object) LabPlan.SERVICE_NAME, LabPlan.DEPLOYMENT_NAME);
        IssuedCert mp = IssuedCert.readPem(Path.of(p.mpTls().certFile()), Path.of(p.mpTls().keyFile()));
        assertThat(mp.certificate().getExtendedKeyUsage()).containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(Files.isDirectory(p.logDir())).isTrue();

        // a second materialize keeps valid certificates
        String before = Files.readString(Path.of(p.clientTls().certFile()));
        String frontBefore = Files.readString(Path.of(p.azureFrontTls().certFile()));
        p.materialize();
        assertThat(Files.readString(Path.of(p.clientTls().certFile()))).isEqualTo(before);
        assertThat(Files.readString(Path.of(p.azureFrontTls().certFile()))).isEqualTo(frontBefore);
        // re-planned for the US Government cloud, classic: new names, so new certificates for them
        LabPlan gov = LabPlan.builder().home(tmp).stateDir(tmp.resolve("state")).net(123).portOffset(20_000)
                .cloud("usgov").classic(true).build();
        gov.materialize();
        IssuedCert front = IssuedCert.readPem(Path.of(gov.azureFrontTls().certFile()), Path.of(gov.azureFrontTls().keyFile()));
        assertThat(front.certificate().getSubjectAlternativeNames().stream().map(l -> String.valueOf(l.get(1))).toList())
                .contains("login.microsoftonline.us", "management.usgovcloudapi.net");
        IssuedCert cmgCert = IssuedCert.readPem(Path.of(gov.cmgServerTls().certFile()), Path.of(gov.cmgServerTls().keyFile()));
        assertThat(cmgCert.certificate().getSubjectAlternativeNames().stream().map(l -> String.valueOf(l.get(1))).toList())
                .contains("granitefalls.usgovcloudapp.net");
        assertThat(Files.readString(Path.of(gov.clientTls().certFile()))).isEqualTo(before);
        // … and the storage key (Azurite's account data stays readable across lab runs)
        assertThat(p.storageKey()).isEqualTo(storageKey);
    }
}
