package org.cmglab.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.cmglab.proto.config.Endpoint;
import org.junit.jupiter.api.Test;

class BaselineConfigTest {
    @Test
    void nginxTerminatesTlsAndReEncryptsToTheMpWithVerificationOnLoopback() {
        String c = NginxFrontDoor.config(Path.of("/tmp/w/nginx"), new Endpoint("127.9.8.10", 20443),
                new Endpoint("127.9.3.10", 20443), "mp01.corp.contoso.com", Path.of("/p/mp.crt"), Path.of("/p/mp.key"),
                Path.of("/p/root.crt"), 2);
        assertThat(c).contains("listen 127.9.8.10:20443 ssl;", "server 127.9.3.10:20443;", "proxy_pass https://mp;",
                "proxy_ssl_verify on;", "proxy_ssl_name mp01.corp.contoso.com;", "proxy_ssl_trusted_certificate /p/root.crt;",
                "keepalive 128;", "proxy_max_temp_file_size 0;", "pid /tmp/w/nginx/nginx.pid;", "worker_processes 2;");
        assertThat(c).doesNotContain("0.0.0.0").doesNotContain("listen 80");
    }

    @Test
    void sshdAllowsOnlyKeyAuthAndRemoteForwardingOnItsLoopbackAddress() {
        String c = SshReverseTunnel.sshdConfig(Path.of("/tmp/w/ssh"), new Endpoint("127.9.9.10", 20022));
        assertThat(c).contains("Port 20022", "ListenAddress 127.9.9.10", "PasswordAuthentication no",
                "AllowTcpForwarding remote", "HostKey /tmp/w/ssh/host_ed25519",
                "AuthorizedKeysFile /tmp/w/ssh/authorized_keys");
    }
}
