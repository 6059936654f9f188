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

/**
 * A minimal HTTP CONNECT web proxy on a loopback address, for e2e tests: it records every connection it accepts and
 * the {@code host:port} of each CONNECT, tunnels to that target (loopback only) and answers 200, else 403.
 */
final class ConnectProxy implements AutoCloseable {
    private final ServerSocket server;
    /** One entry per accepted connection: the CONNECT target, or what else the client sent first. */
    final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    ConnectProxy(String address) throws IOException {
        server = new ServerSocket();
        server.bind(new InetSocketAddress(address, 0));
        Thread t = new Thread(this::acceptLoop, "e2e-connect-proxy");
        t.setDaemon(true);
        t.start();
    }

    String address() {
        return server.getInetAddress().getHostAddress();
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = server.accept();
                open.add(s);
                Thread t = new Thread(() -> serve(s), "e2e-connect-proxy-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket client) {
        try {
            client.setSoTimeout(0);
            InputStream in = client.getInputStream();
            String first = readLine(in);
            for (String l = readLine(in); l != null && !l.isEmpty(); l = readLine(in)) {
                // headers
            }
            String[] parts = first == null ? new String[0] : first.split(" ");
            if (parts.length < 2 || !"CONNECT".equals(parts[0])) {
                requests.add("not a CONNECT: " + first);
                client.getOutputStream().write("HTTP/1.1 405 Method Not Allowed\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                client.close();
                return;
            }
            requests.add(parts[1]);
            int colon = parts[1].lastIndexOf(':');
            InetAddress target = InetAddress.getByName(parts[1].substring(0, colon));
            if (!target.isLoopbackAddress()) {
                client.getOutputStream().write("HTTP/1.1 403 Forbidden\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                client.close();
                return;
            }
            Socket up = new Socket();
            open.add(up);
            up.connect(new InetSocketAddress(target, Integer.parseInt(parts[1].substring(colon + 1))), 3_000);
            client.getOutputStream().write("HTTP/1.1 200 Connection established\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            client.getOutputStream().flush();
            Thread back = new Thread(() -> pump(up, client), "e2e-connect-proxy-pump");
            back.setDaemon(true);
            back.start();
            pump(client, up);
        } catch (IOException | RuntimeException e) {
            close(client);
        }
    }

    private static void pump(Socket from, Socket to) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // one side went away
        } finally {
            close(from);
            close(to);
        }
    }

    /** One CRLF- or LF-terminated header line (at most 8 KiB), or null at end of stream. */
    static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c; (c = in.read()) >= 0; ) {
            if (c == '\n') {
                return b.toString();
            }
            if (c != '\r') {
                b.append((char) c);
            }
            if (b.length() > 8192) {
                throw new IOException("header line too long");
            }
        }
        return b.length() == 0 ? null : b.toString();
    }

    static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        open.forEach(ConnectProxy::close);
    }
}
