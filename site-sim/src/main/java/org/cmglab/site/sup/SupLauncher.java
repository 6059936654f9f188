package org.cmglab.site.sup;

import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import org.cmglab.proto.config.SupConfig;
import org.cmglab.proto.pki.ClientAuthMode;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.ComponentRuntime;

/** Starts the software update point of a {@link SupConfig} on site-sim's event loops, and describes it for /status. */
public final class SupLauncher {
    private SupLauncher() {}

    public static SoftwareUpdatePointServer start(SupConfig c, ComponentRuntime runtime) throws IOException {
        SslContext tls = null;
        if (c.https() != null) {
            IssuedCert cert = IssuedCert.readPem(Path.of(c.tls().certFile()), Path.of(c.tls().keyFile()));
            tls = TlsContexts.server(cert, ClientAuthMode.NONE, List.of());
        }
        return SoftwareUpdatePointServer.start(c.name(), c.http(), c.https(), tls, runtime.events(), runtime.group());
    }

    public static SupStatus status(SupConfig c, SoftwareUpdatePointServer s) {
        return new SupStatus(c.name(), c.fqdn(), c.roleId(), hostPort(s.httpAddress()), hostPort(s.httpsAddress()),
                s.isListening());
    }

    private static String hostPort(InetSocketAddress a) {
        return a == null ? null : a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    /** The SUP part of site-sim's {@code /status}. */
    public record SupStatus(String name, String fqdn, String roleId, String http, String https, boolean up) {}
}
