package org.cmglab.e2e.netns;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Two fresh network namespaces, "cloud" and "on-prem", joined by a veth pair; the root namespace's routing is never
 * touched. Each namespace's {@code lo} carries 127.0.0.1/32 and the /24 subnets of its side of the lab plan only (not
 * 127.0.0.0/8, which would make every lab address local), {@code route_localnet} lets 127.0.0.0/8 packets cross the
 * veth, each side routes the other side's subnets over it and hides 127.0.0.1 behind its own address (SNAT) on
 * the way out. The on-prem namespace's firewall (iptables, INPUT
 * policy DROP) accepts only {@code lo} and packets of connections it opened itself (conntrack ESTABLISHED, RELATED):
 * no inbound connection reaches anything on-prem.
 *
 * <p>Every command is bounded in time; {@link #close()} deletes both namespaces (which removes the veth pair).
 */
public final class SplitNetwork implements AutoCloseable {
    private static final long COMMAND_TIMEOUT_SECONDS = 10;

    private final String cloud;
    private final String onPrem;
    private final List<String> created = new ArrayList<>();
    /** Deletes the namespaces if the JVM is stopped before {@link #close()} (Ctrl-C, a killed test run). */
    private final Thread hook = new Thread(this::deleteCreated, "cmglab-netns-cleanup");

    private SplitNetwork(String suffix) {
        this.cloud = "cmglab-cloud-" + suffix;
        this.onPrem = "cmglab-onprem-" + suffix;
    }

    /** Result of one command. */
    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    public String cloud() {
        return cloud;
    }

    public String onPrem() {
        return onPrem;
    }

    /** {@code ip netns exec <ns>}: the command prefix that runs a process in namespace {@code ns}. */
    public static List<String> execIn(String ns) {
        return List.of("ip", "netns", "exec", ns);
    }

    /**
     * Why this machine cannot build the split network, or null when it can: not root, no {@code ip netns add}
     * (CAP_NET_ADMIN), or no {@code iptables} for the on-prem firewall. Creates and deletes one probe namespace.
     */
    public static String unsupportedReason() {
        if (!"0".equals(run(List.of("id", "-u")).output().strip())) {
            return "not running as root (network namespaces need root)";
        }
        Result which = run(List.of("sh", "-c", "command -v iptables"));
        if (!which.ok()) {
            return "no iptables on the PATH for the on-prem firewall (apt-get install iptables)";
        }
        String probe = "cmglab-probe-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 20));
        Result add = run(List.of("ip", "netns", "add", probe));
        if (!add.ok()) {
            return "`ip netns add` failed (no CAP_NET_ADMIN?): " + add.output().strip();
        }
        Result fw = run(List.of("ip", "netns", "exec", probe, "iptables", "-S", "INPUT"));
        run(List.of("ip", "netns", "del", probe));
        if (!fw.ok()) {
            return "iptables does not work in a network namespace: " + fw.output().strip();
        }
        return null;
    }

    /**
     * Builds the two namespaces for lab network {@code 127.<net>.x.y}.
     *
     * @param cloudSubnets  third octets of the cloud side (each becomes 127.net.x.0/24 on the cloud {@code lo})
     * @param onPremSubnets third octets of the on-prem side
     * @param cloudSource   the source address for cloud → on-prem packets (a cloud address)
     * @param onPremSource  the source address for on-prem → cloud packets (an on-prem address)
     */
    public static SplitNetwork create(int net, List<Integer> cloudSubnets, List<Integer> onPremSubnets,
            String cloudSource, String onPremSource) throws IOException {
        SplitNetwork n = new SplitNetwork(Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24)));
        Runtime.getRuntime().addShutdownHook(n.hook);
        try {
            n.build(net, cloudSubnets, onPremSubnets, cloudSource, onPremSource);
        } catch (IOException | RuntimeException e) {
            n.close();
            throw e;
        }
        return n;
    }

    private void build(int net, List<Integer> cloudSubnets, List<Integer> onPremSubnets, String cloudSource,
            String onPremSource) throws IOException {
        String vc = "cl" + cloud.substring(cloud.lastIndexOf('-') + 1);
        String vo = "op" + onPrem.substring(onPrem.lastIndexOf('-') + 1);
        must("ip", "netns", "add", cloud);
        created.add(cloud);
        must("ip", "netns", "add", onPrem);
        created.add(onPrem);
        must("ip", "link", "add", vc, "type", "veth", "peer", "name", vo);
        must("ip", "link", "set", vc, "netns", cloud);
        must("ip", "link", "set", vo, "netns", onPrem);
        side(cloud, vc, net, cloudSubnets, onPremSubnets, cloudSource);
        side(onPrem, vo, net, onPremSubnets, cloudSubnets, onPremSource);
        // on-prem firewall: nothing comes in unless on-prem opened it
        must(in(onPrem, "iptables", "-A", "INPUT", "-i", "lo", "-j", "ACCEPT"));
        must(in(onPrem, "iptables", "-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j",
                "ACCEPT"));
        must(in(onPrem, "iptables", "-P", "INPUT", "DROP"));
    }

    private void side(String ns, String dev, int net, List<Integer> own, List<Integer> other, String source)
            throws IOException {
        must(in(ns, "sysctl", "-q", "-w", "net.ipv4.conf.all.route_localnet=1"));
        must(in(ns, "ip", "link", "set", "lo", "up"));
        must(in(ns, "ip", "addr", "flush", "dev", "lo"));
        must(in(ns, "ip", "addr", "add", "127.0.0.1/32", "dev", "lo"));
        for (int third : own) {
            must(in(ns, "ip", "addr", "add", "127." + net + "." + third + ".0/24", "dev", "lo"));
        }
        must(in(ns, "ip", "link", "set", dev, "up"));
        must(in(ns, "sysctl", "-q", "-w", "net.ipv4.conf." + dev + ".route_localnet=1"));
        for (int third : other) {
            must(in(ns, "ip", "route", "add", "127." + net + "." + third + ".0/24", "dev", dev, "src", source));
        }
        // Components bind 127.0.0.1 for some sockets (the lab DNS resolver does); both sides have that address, so
        // it is hidden behind the side's own address on the way out (conntrack maps the answers back).
        must(in(ns, "iptables", "-t", "nat", "-A", "POSTROUTING", "-o", dev, "-s", "127.0.0.1/32", "-j", "SNAT",
                "--to-source", source));
    }

    /** Runs {@code command} in namespace {@code ns} (bounded by {@code timeoutSeconds}). */
    public Result exec(String ns, long timeoutSeconds, String... command) {
        return run(in(ns, command), timeoutSeconds);
    }

    /**
     * Tries a TCP connection from namespace {@code ns} to {@code host:port} for at most {@code seconds} (bash's
     * {@code /dev/tcp} under {@code timeout}): 0 = connected, 124 = timed out (packets dropped), other = refused or
     * unreachable.
     */
    public int tcpConnect(String ns, String host, int port, int seconds) {
        return exec(ns, seconds + 5L, "timeout", Integer.toString(seconds), "bash", "-c",
                "exec 3<>/dev/tcp/" + host + "/" + port).exitCode();
    }

    /** Packets the on-prem INPUT chain dropped by its policy so far. */
    public long onPremDroppedPackets() {
        Result r = exec(onPrem, COMMAND_TIMEOUT_SECONDS, "iptables", "-L", "INPUT", "-v", "-x", "-n");
        // "Chain INPUT (policy DROP 3 packets, 180 bytes)"
        var m = java.util.regex.Pattern.compile("policy DROP (\\d+) packets").matcher(r.output());
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static List<String> in(String ns, String... command) {
        List<String> all = new ArrayList<>(execIn(ns));
        all.addAll(List.of(command));
        return all;
    }

    private static void must(String... command) throws IOException {
        must(List.of(command));
    }

    private static void must(List<String> command) throws IOException {
        Result r = run(command);
        if (!r.ok()) {
            throw new IOException(String.join(" ", command) + " exited " + r.exitCode() + ": " + r.output().strip());
        }
    }

    public static Result run(List<String> command) {
        return run(command, COMMAND_TIMEOUT_SECONDS);
    }

    static Result run(List<String> command, long timeoutSeconds) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out;
            try (InputStream in = p.getInputStream()) {
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                    return new Result(-1, String.join(" ", command) + ": no exit within " + timeoutSeconds + " s");
                }
                out = in.readAllBytes();
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, String.join(" ", command) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    /** Deletes the namespaces this object created (the veth pair goes with them). Idempotent. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs
        }
        deleteCreated();
    }

    private synchronized void deleteCreated() {
        for (int i = created.size() - 1; i >= 0; i--) {
            run(List.of("ip", "netns", "del", created.get(i)));
        }
        created.clear();
    }
}
