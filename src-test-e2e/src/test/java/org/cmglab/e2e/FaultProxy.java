package org.cmglab.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * The site's web proxy for the fault matrix: an HTTP CONNECT proxy on a loopback address (targets in 127.0.0.0/8
 * only) that can be broken the ways a middlebox breaks:
 * <ul>
 *   <li>{@link #blackHole(Predicate)}: the tunnels to matching targets stop forwarding in both directions and never
 *       pass a FIN or RST on (a half-open channel: the sockets stay open, nothing arrives); new tunnels work;</li>
 *   <li>{@link #down()}: the proxy "process" dies: listener and every tunnel closed (the kernel's FIN/RST);
 *       {@link #up()} listens again on the same address and port.</li>
 * </ul>
 */
public final class FaultProxy implements AutoCloseable {
    private final InetSocketAddress bound;
    private volatile ServerSocket server;
    private final List<Tunnel> tunnels = new CopyOnWriteArrayList<>();
    /** CONNECT targets seen, one per accepted tunnel. */
    public final List<String> connects = new CopyOnWriteArrayList<>();

    private static final class Tunnel {
        final Socket client;
        final Socket up;
        final String target;
        volatile boolean blackHoled;

        Tunnel(Socket client, Socket up, String target) {
            this.client = client;
            this.up = up;
            this.target = target;
        }
    }

    public FaultProxy(String address) throws IOException {
        ServerSocket s = listen(new InetSocketAddress(address, 0));
        bound = new InetSocketAddress(s.getInetAddress(), s.getLocalPort());
        start(s);
    }

    public String address() {
        return bound.getAddress().getHostAddress();
    }

    public int port() {
        return bound.getPort();
    }

    private static ServerSocket listen(InetSocketAddress at) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(at);
        return s;
    }

    private void start(ServerSocket s) {
        server = s;
        Thread t = new Thread(() -> acceptLoop(s), "fault-proxy-accept");
        t.setDaemon(true);
        t.start();
    }

    /** Black-holes the open tunnels whose CONNECT target matches; returns how many. */
    public int blackHole(Predicate<String> target) {
        int n = 0;
        for (Tunnel t : tunnels) {
            if (!t.blackHoled && target.test(t.target) && !t.client.isClosed()) {
                t.blackHoled = true;
                n++;
            }
        }
        return n;
    }

    /** Open (not closed) tunnels to targets matching. */
    public long open(Predicate<String> target) {
        return tunnels.stream().filter(t -> !t.client.isClosed() && !t.blackHoled && target.test(t.target)).count();
    }

    /** The proxy dies: stops listening and closes every tunnel. */
    public synchronized void down() throws IOException {
        ServerSocket s = server;
        server = null;
        if (s != null) {
            s.close();
        }
        for (Tunnel t : tunnels) {
            ConnectProxy.close(t.client);
            ConnectProxy.close(t.up);
        }
        tunnels.clear();
    }

    /** The proxy is back on the same address and port. */
    public synchronized void up() throws IOException {
        if (server == null) {
            start(listen(bound));
        }
    }

    private void acceptLoop(ServerSocket s) {
        while (!s.isClosed()) {
            try {
                Socket c = s.accept();
                Thread t = new Thread(() -> serve(c), "fault-proxy-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket client) {
        try {
            client.setSoTimeout(10_000);
            InputStream in = client.getInputStream();
            String first = ConnectProxy.readLine(in);
            for (String l = ConnectProxy.readLine(in); l != null && !l.isEmpty(); l = ConnectProxy.readLine(in)) {
                // headers
            }
            client.setSoTimeout(0);
            String[] parts = first == null ? new String[0] : first.split(" ");
            if (parts.length < 2 || !"CONNECT".equals(parts[0]) || parts[1].lastIndexOf(':') < 0) {
                reply(client, "HTTP/1.1 405 Method Not Allowed\r\n\r\n");
                return;
            }
            int colon = parts[1].lastIndexOf(':');
            InetAddress target = InetAddress.getByName(parts[1].substring(0, colon));
            if (!target.isLoopbackAddress()) {
                reply(client, "HTTP/1.1 403 Forbidden\r\n\r\n");
                return;
            }
            connects.add(parts[1]);
            Socket up = new Socket();
            up.connect(new InetSocketAddress(target, Integer.parseInt(parts[1].substring(colon + 1))), 3_000);
            Tunnel t = new Tunnel(client, up, parts[1]);
            tunnels.add(t);
            client.getOutputStream().write("HTTP/1.1 200 Connection established\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            client.getOutputStream().flush();
            Thread back = new Thread(() -> pump(t, up, client), "fault-proxy-pump");
            back.setDaemon(true);
            back.start();
            pump(t, client, up);
        } catch (IOException | RuntimeException e) {
            ConnectProxy.close(client);
        }
    }

    private static void reply(Socket client, String s) throws IOException {
        client.getOutputStream().write(s.getBytes(StandardCharsets.ISO_8859_1));
        client.close();
    }

    /** Copies until EOF; once black-holed, swallows what arrives and passes neither data nor the close on. */
    private void pump(Tunnel t, Socket from, Socket to) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n; (n = in.read(buf)) >= 0; ) {
                if (!t.blackHoled) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            }
        } catch (IOException e) {
            // one side went away
        } finally {
            ConnectProxy.close(from);
            if (!t.blackHoled) {
                ConnectProxy.close(to);
            }
            if (t.client.isClosed() && t.up.isClosed()) {
                tunnels.remove(t);
            }
        }
    }


    @Override
    public void close() throws IOException {
        down();
    }
}
