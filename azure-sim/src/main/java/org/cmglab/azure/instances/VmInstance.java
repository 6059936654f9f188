package org.cmglab.azure.instances;

import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cmglab.proto.config.CmgServiceConfig;

/** One VM instance of a deployment as the fabric tracks it (state changes come from the fabric and the exit monitor). */
public final class VmInstance {
    final int index;
    final String address;
    final Path configFile;
    final Path outFile;
    volatile CmgServiceConfig config;
    volatile LaunchedInstance launched;
    volatile InstanceState state = InstanceState.BusyRole;
    volatile Integer exitCode;
    volatile boolean stopping;
    volatile Instant since = Instant.now();
    volatile String detail = "starting";
    volatile int restarts;

    VmInstance(int index, String address, Path configFile, Path outFile) {
        this.index = index;
        this.address = address;
        this.configFile = configFile;
        this.outFile = outFile;
    }

    public int index() { return index; }
    public String roleInstance() { return "ProxyService_IN_" + index; }
    public String address() { return address; }
    public InstanceState state() { return state; }
    public Integer exitCode() { return exitCode; }
    public Path configFile() { return configFile; }
    public Path outFile() { return outFile; }
    public CmgServiceConfig config() { return config; }

    public long pid() {
        LaunchedInstance l = launched;
        return l == null ? -1 : l.pid();
    }

    void state(InstanceState s, String why) {
        state = s;
        detail = why;
        since = Instant.now();
    }

    /** The instance as the resource JSON and the status page show it. */
    public Map<String, Object> view(int tcpTlsPortOrMinus1) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", index);
        m.put("roleInstance", roleInstance());
        m.put("address", address);
        m.put("state", state.name());
        m.put("detail", detail);
        m.put("since", since.toString());
        m.put("pid", pid());
        m.put("exitCode", exitCode);
        m.put("restarts", restarts);
        CmgServiceConfig c = config;
        Map<String, Object> ports = new LinkedHashMap<>();
        if (c != null) {
            ports.put("https", c.frontDoor().port());
            ports.put("channelHttps", c.channelHttps() == null ? null : c.channelHttps().port());
            if (tcpTlsPortOrMinus1 >= 0) {
                ports.put("channelTcpTls", tcpTlsPortOrMinus1);
            }
            ports.put("admin", c.admin().port());
        }
        m.put("ports", ports);
        m.put("log", outFile.toString());
        return m;
    }
}
