package org.cmglab.proto.config;

import java.util.List;
import java.util.Objects;

/**
 * The lab's corporate web proxy ({@code web-proxy} process): an HTTP CONNECT proxy that tunnels only to loopback
 * addresses and only to the allowed ports, like a proxy that lets the CMG's HTTPS ports (443, 10124–10139) through
 * and blocks everything else (e.g. TCP-TLS 10140+). With {@code cmglab up --proxy} the connection point's HTTPS
 * channels go through it.
 *
 * @param name         proxy host name shown in status and logs, e.g. {@code proxy01.corp.contoso.com}
 * @param listen       where it accepts CONNECT requests (127.N.2.20:8080 + offset in the lab)
 * @param allowedPorts ports CONNECT may reach (already moved by the port offset); others answer 403
 * @param admin        admin endpoint ({@code /status}, {@code POST /blackhole}, {@code POST /resume})
 * @param logDir       lab log folder
 */
public record WebProxyConfig(String name, Endpoint listen, List<Integer> allowedPorts, Endpoint admin, String logDir) {
    public WebProxyConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(admin, "admin");
        Loopback.require(listen.address(), "listen");
        Loopback.require(admin.address(), "admin");
        allowedPorts = List.copyOf(Objects.requireNonNull(allowedPorts, "allowedPorts"));
        for (int p : allowedPorts) {
            if (p < 1 || p > 65535) {
                throw new IllegalArgumentException("allowedPorts: " + p + " (expected: 1..65535)");
            }
        }
        Objects.requireNonNull(logDir, "logDir");
    }
}
