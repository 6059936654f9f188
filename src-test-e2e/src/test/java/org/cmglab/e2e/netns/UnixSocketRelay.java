package org.cmglab.e2e.netns;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Relays TCP through Unix domain sockets, which (being files) are not bound to a network namespace: the way the
 * test JVM in the root namespace reads the admin endpoints of components that run in another namespace. Only the
 * lab's observation endpoints (admin {@code /ready}, {@code /status}, {@code /events}, Azurite's readiness) are
 * relayed, and only between the root namespace and one namespace; no lab component ever uses a relay.
 *
 * <p>Inside a namespace, {@link #main} ({@code ip netns exec <ns> java -cp <test-classes> ...UnixSocketRelay <dir>
 * host:port...}) listens on {@code <dir>/<host>_<port>.sock} and connects each accepted stream to {@code host:port}
 * in its namespace; it exits when its standard input closes (its parent is gone). In the root namespace,
 * {@link #listenTcp} listens on {@code host:port} (free there, since the component is elsewhere) and connects each
 * accepted stream to that Unix socket.
 */
public final class UnixSocketRelay implements AutoCloseable {
    private static final int BUFFER = 16 * 1024;

    private final List<ServerSocketChannel> servers = new ArrayList<>();

    /** The socket file for {@code host:port} in {@code dir}. */
    public static Path socketFile(Path dir, String host, int port) {
        return dir.resolve(host + "_" + port + ".sock");
    }

    /** Root side: listens on TCP {@code host:port} and relays each connection to {@code socketFile(dir, host, port)}. */
    public void listenTcp(Path dir, String host, int port) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open();
        s.bind(new InetSocketAddress(host, port));
        servers.add(s);
        UnixDomainSocketAddress target = UnixDomainSocketAddress.of(socketFile(dir, host, port));
        acceptLoop(s, "relay-tcp-" + host + ":" + port, () -> open(target, StandardProtocolFamily.UNIX));
    }

    /** Namespace side: listens on {@code socketFile(dir, host, port)} and relays each connection to TCP host:port. */
    public void listenUnix(Path dir, String host, int port) throws IOException {
        Path file = socketFile(dir, host, port);
        Files.deleteIfExists(file);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(file));
        servers.add(s);
        InetSocketAddress target = new InetSocketAddress(host, port);
        acceptLoop(s, "relay-unix-" + host + ":" + port, () -> open(target, StandardProtocolFamily.INET));
    }

    private static SocketChannel open(SocketAddress target, StandardProtocolFamily family) {
        try {
            SocketChannel c = SocketChannel.open(family);
            c.connect(target);
            return c;
        } catch (IOException e) {
            return null;
        }
    }

    private static void acceptLoop(ServerSocketChannel server, String name, Supplier<SocketChannel> connector) {
        Thread t = new Thread(() -> {
            while (server.isOpen()) {
                SocketChannel in;
                try {
                    in = server.accept();
                } catch (IOException e) {
                    return; // closed
                }
                SocketChannel out = connector.get();
                if (out == null) {
                    closeQuietly(in);
                    continue;
                }
                AtomicInteger open = new AtomicInteger(2);
                pump(in, out, open, name + "-up");
                pump(out, in, open, name + "-down");
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    /** Copies until EOF, then half-closes the other side; the second direction to finish closes both. */
    private static void pump(SocketChannel from, SocketChannel to, AtomicInteger open, String name) {
        Thread t = new Thread(() -> {
            ByteBuffer buf = ByteBuffer.allocate(BUFFER);
            try {
                while (from.read(buf) >= 0) {
                    buf.flip();
                    while (buf.hasRemaining()) {
                        to.write(buf);
                    }
                    buf.clear();
                }
                to.shutdownOutput();
            } catch (IOException e) {
                closeQuietly(from);
                closeQuietly(to);
            }
            if (open.decrementAndGet() == 0) {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        for (ServerSocketChannel s : servers) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
        servers.clear();
    }

    /** {@code <dir> host:port...}: the namespace side; runs until standard input closes. */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        try (UnixSocketRelay relay = new UnixSocketRelay()) {
            for (int i = 1; i < args.length; i++) {
                int colon = args[i].lastIndexOf(':');
                relay.listenUnix(dir, args[i].substring(0, colon), Integer.parseInt(args[i].substring(colon + 1)));
            }
            System.out.println("READY");
            System.out.flush();
            while (System.in.read() >= 0) {
                // wait for the parent to go away
            }
        }
    }
}
