package org.cmglab.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.cmglab.proto.config.Endpoint;

/**
 * The {@code ssh -R} baseline, OpenSSH as a reverse tunnel: an sshd on a loopback port (host key, authorized key and
 * config generated into {@code dir}), and {@code ssh -N -R entrance:mp} dialled from the "on-prem" side, so the
 * sshd side listens on {@code entrance} and carries each TCP connection over the one SSH connection to the MP's HTTPS
 * port. TLS is end to end (client ↔ MP); SSH adds its own encryption and per-channel windows in between.
 */
final class SshReverseTunnel implements AutoCloseable {
    static final String SSHD = "/usr/sbin/sshd";
    static final String SSH = "/usr/bin/ssh";
    static final String SSH_KEYGEN = "/usr/bin/ssh-keygen";

    private final Tool sshd;
    private final Tool ssh;
    private final Endpoint entrance;

    private SshReverseTunnel(Tool sshd, Tool ssh, Endpoint entrance) {
        this.sshd = sshd;
        this.ssh = ssh;
        this.entrance = entrance;
    }

    Endpoint entrance() {
        return entrance;
    }

    List<Long> pids() {
        return List.of(sshd.pid(), ssh.pid());
    }

    /** sshd_config: key auth only, only remote forwarding, listening on {@code sshdAt}, everything in {@code dir}. */
    static String sshdConfig(Path dir, Endpoint sshdAt) {
        String d = dir.toAbsolutePath().toString();
        return """
                Port %d
                ListenAddress %s
                HostKey %s/host_ed25519
                PidFile %s/sshd.pid
                AuthorizedKeysFile %s/authorized_keys
                PubkeyAuthentication yes
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                PermitRootLogin prohibit-password
                StrictModes no
                UsePAM no
                AllowTcpForwarding remote
                GatewayPorts clientspecified
                X11Forwarding no
                PermitTTY no
                AllowAgentForwarding no
                PrintMotd no
                ClientAliveInterval 10
                LogLevel ERROR
                """.formatted(sshdAt.port(), sshdAt.address(), d, d, d);
    }

    /**
     * Generates keys, starts sshd on {@code sshdAt}, then {@code ssh -N -R entrance:mp}; returns once
     * {@code entrance} accepts connections.
     */
    static SshReverseTunnel start(Path dir, Endpoint sshdAt, Endpoint entrance, Endpoint mp)
            throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Path log = dir.resolve("keygen.out");
        for (String key : List.of("host_ed25519", "client_ed25519")) {
            Files.deleteIfExists(dir.resolve(key));
            Files.deleteIfExists(dir.resolve(key + ".pub"));
            Tool.Result r = Tool.run("ssh-keygen", List.of(SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C",
                    "cmglab-bench", "-f", dir.resolve(key).toString()), log, Duration.ofSeconds(20));
            if (r.exit() != 0) {
                throw new IllegalStateException("ssh-keygen failed (" + r.exit() + "): " + r.output());
            }
        }
        Files.copy(dir.resolve("client_ed25519.pub"), dir.resolve("authorized_keys"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        String hostPub = Files.readString(dir.resolve("host_ed25519.pub")).strip();
        String knownAs = sshdAt.port() == 22 ? sshdAt.address() : "[" + sshdAt.address() + "]:" + sshdAt.port();
        Files.writeString(dir.resolve("known_hosts"), knownAs + " " + hostPub + "\n");
        Path conf = dir.resolve("sshd_config");
        Files.writeString(conf, sshdConfig(dir, sshdAt));
        if (isRoot()) {
            Files.createDirectories(Path.of("/run/sshd")); // sshd's privilege-separation directory (Debian's path)
        }
        Tool sshd = Tool.start("sshd", List.of(SSHD, "-D", "-e", "-f", conf.toString()), dir.resolve("sshd.out"));
        Tool ssh = null;
        try {
            sshd.awaitListening(sshdAt.address(), sshdAt.port(), Duration.ofSeconds(10));
            ssh = Tool.start("ssh", List.of(SSH, "-N", "-F", "/dev/null", "-i", dir.resolve("client_ed25519").toString(),
                    "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                    "-o", "UserKnownHostsFile=" + dir.resolve("known_hosts"), "-o", "ExitOnForwardFailure=yes",
                    "-o", "ServerAliveInterval=10", "-o", "ServerAliveCountMax=3", "-p", Integer.toString(sshdAt.port()),
                    "-R", entrance.address() + ":" + entrance.port() + ":" + mp.address() + ":" + mp.port(),
                    System.getProperty("user.name") + "@" + sshdAt.address()), dir.resolve("ssh.out"));
            ssh.awaitListening(entrance.address(), entrance.port(), Duration.ofSeconds(15));
            return new SshReverseTunnel(sshd, ssh, entrance);
        } catch (RuntimeException | InterruptedException e) {
            if (ssh != null) {
                ssh.close();
            }
            sshd.close();
            throw e;
        }
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    @Override
    public void close() {
        ssh.close();
        sshd.close();
    }
}
