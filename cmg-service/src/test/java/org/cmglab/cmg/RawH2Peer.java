package org.cmglab.cmg;

import io.netty.handler.codec.http2.Http2Error;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import org.cmglab.proto.pki.IssuedCert;

/**
 * A byte-level connection point for the TCP-TLS channel listener's bad-input cases: TLS (optionally with a client
 * certificate the JDK would not choose by itself), then raw HTTP/2 frames in the connection point's role (the HTTP/2
 * server), so a case can send exactly the malformed bytes it is about. It reads what the CMG sends (preface, SETTINGS,
 * the hello request, GOAWAY…) with a bounded wait, and reports how the CMG ended the connection.
 */
final class RawH2Peer implements AutoCloseable {
    static final byte[] CLIENT_MAGIC = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
    static final int DATA = 0x0;
    static final int HEADERS = 0x1;
    static final int RST_STREAM = 0x3;
    static final int SETTINGS = 0x4;
    static final int PUSH_PROMISE = 0x5;
    static final int PING = 0x6;
    static final int GOAWAY = 0x7;
    static final int WINDOW_UPDATE = 0x8;
    static final int CONTINUATION = 0x9;
    static final int END_STREAM = 0x1;
    static final int ACK = 0x1;
    static final int END_HEADERS = 0x4;

    /** One frame the CMG sent. */
    record Frame(int type, int flags, int stream, byte[] payload) {}

    private final SSLSocket socket;
    private final InputStream in;
    private final OutputStream out;
    /** GOAWAY and RST_STREAM frames the CMG sent, in order ("GOAWAY PROTOCOL_ERROR", "RST_STREAM 1 STREAM_CLOSED"). */
    final List<String> seen = new ArrayList<>();
    private boolean prefaceRead;

    private RawH2Peer(SSLSocket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** TLS to {@code to} as {@code host} (SNI, host name verified); throws when the handshake fails. */
    static RawH2Peer connect(SSLContext ctx, String host, InetSocketAddress to) throws IOException {
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket();
        try {
            s.connect(to, 5_000);
            s.setSoTimeout(10_000);
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setServerNames(List.of(new SNIHostName(host)));
            s.setSSLParameters(p);
            s.startHandshake();
            return new RawH2Peer(s);
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /**
     * A JDK TLS client trusting {@code root} that always presents {@code identity} (null: none), whatever CAs the
     * server asks for: the JDK's own key manager would silently send nothing for a certificate of another CA.
     */
    static SSLContext presenting(X509Certificate root, IssuedCert identity) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("root", root);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(identity == null ? null : new KeyManager[] {new Always(identity)}, tmf.getTrustManagers(), null);
            return ctx;
        } catch (Exception e) {
            throw new IllegalStateException("cannot build the test TLS client: " + e, e);
        }
    }

    /** Writes bytes; the CMG may already have closed (its answer is what the case observes). */
    void write(byte[]... chunks) {
        try {
            for (byte[] c : chunks) {
                out.write(c);
            }
            out.flush();
        } catch (IOException e) {
            // closed by the CMG mid-write
        }
    }

    /** Reads the CMG's next frame (the client magic first, once); null at end of stream. */
    Frame next() throws IOException {
        if (!prefaceRead) {
            byte[] magic = in.readNBytes(CLIENT_MAGIC.length);
            if (magic.length < CLIENT_MAGIC.length) {
                return null;
            }
            prefaceRead = true;
        }
        byte[] h = in.readNBytes(9);
        if (h.length < 9) {
            return null;
        }
        int len = (h[0] & 0xFF) << 16 | (h[1] & 0xFF) << 8 | h[2] & 0xFF;
        int stream = (h[5] & 0x7F) << 24 | (h[6] & 0xFF) << 16 | (h[7] & 0xFF) << 8 | h[8] & 0xFF;
        byte[] payload = in.readNBytes(len);
        if (payload.length < len) {
            return null;
        }
        Frame f = new Frame(h[3] & 0xFF, h[4] & 0xFF, stream, payload);
        if (f.type() == GOAWAY && payload.length >= 8) {
            seen.add("GOAWAY " + errorName(int32(payload, 4)));
        } else if (f.type() == RST_STREAM && payload.length >= 4) {
            seen.add("RST_STREAM " + stream + " " + errorName(int32(payload, 0)));
        }
        return f;
    }

    /**
     * Plays the connection point's part up to a registered channel: server preface (SETTINGS), ACK of the CMG's
     * SETTINGS, then {@code status} and {@code body} on the hello stream. Returns the hello stream's id.
     */
    int answerHello(String status, String body) throws IOException {
        write(frame(SETTINGS, 0, 0, new byte[0]));
        int helloStream = -1;
        while (helloStream < 0) {
            Frame f = next();
            if (f == null) {
                throw new IOException("the CMG closed before it sent its hello request; saw " + seen);
            }
            if (f.type() == SETTINGS && (f.flags() & ACK) == 0) {
                write(frame(SETTINGS, ACK, 0, new byte[0]));
            } else if (f.type() == HEADERS) {
                helloStream = f.stream();
            }
        }
        write(frame(HEADERS, END_HEADERS, helloStream, statusBlock(status)),
                frame(DATA, END_STREAM, helloStream, body.getBytes(StandardCharsets.UTF_8)));
        return helloStream;
    }

    /**
     * Reads until the CMG closes the connection or {@code ms} pass: {@code closed}, with the GOAWAY error when it
     * sent one ({@code closed (GOAWAY PROTOCOL_ERROR)}), or {@code still open}.
     */
    String awaitClose(long ms) {
        long deadline = System.nanoTime() + ms * 1_000_000;
        try {
            while (System.nanoTime() < deadline) {
                socket.setSoTimeout((int) Math.max(1, Math.min(1_000, (deadline - System.nanoTime()) / 1_000_000)));
                try {
                    if (next() == null) {
                        return closed();
                    }
                } catch (SocketTimeoutException slow) {
                    // keep waiting until the deadline
                }
            }
            return "still open";
        } catch (IOException e) {
            return closed();
        }
    }

    private String closed() {
        return seen.stream().filter(s -> s.startsWith("GOAWAY")).findFirst().map(g -> "closed (" + g + ")")
                .orElse("closed");
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // already gone
        }
    }

    // ------------------------------------------------------------------ frame bytes

    static byte[] frame(int type, int flags, int stream, byte[] payload) {
        return frame(payload.length, type, flags, stream, payload);
    }

    /** A frame whose header declares {@code length}, whatever the payload really is. */
    static byte[] frame(int length, int type, int flags, int stream, byte[] payload) {
        byte[] f = new byte[9 + payload.length];
        f[0] = (byte) (length >>> 16);
        f[1] = (byte) (length >>> 8);
        f[2] = (byte) length;
        f[3] = (byte) type;
        f[4] = (byte) flags;
        f[5] = (byte) (stream >>> 24 & 0x7F);
        f[6] = (byte) (stream >>> 16);
        f[7] = (byte) (stream >>> 8);
        f[8] = (byte) stream;
        System.arraycopy(payload, 0, f, 9, payload.length);
        return f;
    }

    static byte[] int32(long v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    static byte[] repeat(byte[] one, int n) {
        ByteArrayOutputStream all = new ByteArrayOutputStream(one.length * n);
        for (int i = 0; i < n; i++) {
            all.writeBytes(one);
        }
        return all.toByteArray();
    }

    /** An HPACK block with only {@code :status} (indexed for 200 and 404, literal otherwise). */
    static byte[] statusBlock(String status) {
        if ("200".equals(status)) {
            return new byte[] {(byte) 0x88};
        }
        if ("404".equals(status)) {
            return new byte[] {(byte) 0x8d};
        }
        byte[] v = status.getBytes(StandardCharsets.ISO_8859_1);
        byte[] b = new byte[2 + v.length];
        b[0] = 0x08; // literal without indexing, name = static index 8 (:status)
        b[1] = (byte) v.length;
        System.arraycopy(v, 0, b, 2, v.length);
        return b;
    }

    private static int int32(byte[] b, int off) {
        return (b[off] & 0xFF) << 24 | (b[off + 1] & 0xFF) << 16 | (b[off + 2] & 0xFF) << 8 | b[off + 3] & 0xFF;
    }

    private static String errorName(int code) {
        Http2Error e = Http2Error.valueOf(code & 0xFFFFFFFFL);
        return e == null ? "error " + code : e.name();
    }

    /** Plain TCP: writes {@code bytes} (maybe none) and tells how the listener ended the connection. */
    static String plain(InetSocketAddress to, byte[] bytes, int waitMs) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(to, 5_000);
            s.setSoTimeout(waitMs);
            long t0 = System.nanoTime();
            if (bytes.length > 0) {
                s.getOutputStream().write(bytes);
                s.getOutputStream().flush();
            }
            InputStream in = s.getInputStream();
            byte[] first = new byte[1];
            int n;
            try {
                n = in.read(first);
                while (n >= 0 && in.read(new byte[4096]) >= 0) {
                    // drain until the listener closes
                }
            } catch (SocketTimeoutException e) {
                return "still open after " + waitMs + " ms";
            } catch (IOException e) {
                return "closed (" + e.getClass().getSimpleName() + ")" + seconds(t0);
            }
            return (n == 1 && first[0] == 0x15 ? "TLS alert, closed" : "closed") + seconds(t0);
        }
    }

    /** " after N s" for waits that are part of the expectation (whole seconds, rounded down). */
    private static String seconds(long t0) {
        long s = (System.nanoTime() - t0) / 1_000_000_000L;
        return s >= 5 ? " after " + (s >= 15 ? "more than 15" : "5 to 15") + " s" : "";
    }

    /** A key manager that always presents one identity (tests only). */
    private static final class Always extends X509ExtendedKeyManager {
        private final IssuedCert id;

        Always(IssuedCert id) {
            this.id = id;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[] {"id"};
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return "id";
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return "id";
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return id.chain().toArray(X509Certificate[]::new);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return id.privateKey();
        }
    }
}
