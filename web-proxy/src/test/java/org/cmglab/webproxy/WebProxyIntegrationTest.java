package org.cmglab.webproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.config.WebProxyConfig;
import org.cmglab.proto.runtime.EventLoops;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The proxy on loopback between a socket client and an echo server. */
class WebProxyIntegrationTest {
    @TempDir
    Path tmp;
    private EventLoopGroup group;
    private ServerSocket echo;
    private WebProxy proxy;

    @BeforeEach
    void start() throws Exception {
        group = EventLoops.newGroup(2, "web-proxy-test");
        echo = new ServerSocket();
        echo.bind(new InetSocketAddress("127.0.0.1", 0));
        Thread t = new Thread(this::echoLoop, "echo");
        t.setDaemon(true);
        t.start();
        proxy = WebProxy.start(new WebProxyConfig("proxy01", new Endpoint("127.0.0.1", 0),
                List.of(echo.getLocalPort()), new Endpoint("127.0.0.1", 0), tmp.toString()), group);
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        echo.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private void echoLoop() {
        while (!echo.isClosed()) {
            try {
                Socket s = echo.accept();
                Thread t = new Thread(() -> {
                    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                        byte[] buf = new byte[8192];
                        for (int n; (n = in.read(buf)) > 0; ) {
                            out.write(buf, 0, n);
                            out.flush();
                        }
                    } catch (IOException ignored) {
                        // client gone
                    }
                });
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private Socket connect(String target) throws IOException {
        Socket s = new Socket();
        s.connect(proxy.boundAddress(), 2000);
        s.setSoTimeout(2000);
        s.getOutputStream().write(("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        return s;
    }

    private static String head(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            sb.append((char) c);
        }
        return sb.toString();
    }

    private static String roundTrip(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        byte[] buf = s.getInputStream().readNBytes(text.length());
        return new String(buf, StandardCharsets.US_ASCII);
    }

    @Test
    void tunnelsToAnAllowedLoopbackPortBothWays() throws Exception {
        try (Socket s = connect("127.0.0.1:" + echo.getLocalPort())) {
            assertThat(head(s.getInputStream())).startsWith("HTTP/1.1 200");
            assertThat(roundTrip(s, "ping-1")).isEqualTo("ping-1");
            byte[] big = new byte[1 << 20];
            java.util.Arrays.fill(big, (byte) 'x');
            Thread writer = new Thread(() -> {
                try {
                    s.getOutputStream().write(big);
                } catch (IOException ignored) {
                    // asserted by the read below
                }
            });
            writer.start();
            assertThat(s.getInputStream().readNBytes(big.length)).hasSize(big.length);
            writer.join(5000);
        }
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> proxy.status().get("openTunnels").equals(0));
        assertThat((long) proxy.status().get("bytesUp")).isGreaterThanOrEqualTo((1 << 20) + 6);
        assertThat((long) proxy.status().get("bytesDown")).isGreaterThanOrEqualTo((1 << 20) + 6);
    }

    @Test
    void refusesAPortNotAllowed() throws Exception {
        try (Socket s = connect("127.0.0.1:" + (echo.getLocalPort() == 65535 ? 1 : echo.getLocalPort() + 1))) {
            assertThat(head(s.getInputStream())).startsWith("HTTP/1.1 403");
        }
    }

    @Test
    void blackholeKeepsTheTunnelOpenButSilentThenResumes() throws Exception {
        try (Socket s = connect("127.0.0.1:" + echo.getLocalPort())) {
            assertThat(head(s.getInputStream())).startsWith("HTTP/1.1 200");
            assertThat(roundTrip(s, "before")).isEqualTo("before");
            proxy.blackhole(true);
            assertThat(proxy.status().get("mode")).isEqualTo("blackhole");
            s.setSoTimeout(700);
            s.getOutputStream().write("lost".getBytes(StandardCharsets.US_ASCII));
            // neither data nor EOF nor RST: the read times out
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            proxy.blackhole(false);
            s.setSoTimeout(2000);
            assertThat(roundTrip(s, "after")).isEqualTo("after");
        }
    }
}
