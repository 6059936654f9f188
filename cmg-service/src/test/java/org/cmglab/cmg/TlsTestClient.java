package org.cmglab.cmg;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/** A byte-level HTTPS/1.1 client for tests: verifies the server by host name, returns the raw response. */
final class TlsTestClient {
    private TlsTestClient() {}

    record Raw(String statusLine, String head, String body) {
        int status() {
            return Integer.parseInt(statusLine.split(" ")[1]);
        }
    }

    static Raw exchange(SSLContext ctx, String host, InetSocketAddress to, String request) throws IOException {
        try (SSLSocket s = open(ctx, host, to, request)) {
            return read(s.getInputStream());
        }
    }

    /** Connects, verifies the server as {@code host} (SNI + host name check) and sends {@code request}. */
    private static SSLSocket open(SSLContext ctx, String host, InetSocketAddress to, String request) throws IOException {
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket();
        try {
            s.connect(to, 5_000);
            s.setSoTimeout(20_000);
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setServerNames(List.of(new SNIHostName(host)));
            s.setSSLParameters(p);
            s.startHandshake();
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** Like {@link #exchange} but returns the body bytes (the response must be 200 with Content-Length). */
    static byte[] exchangeBytes(SSLContext ctx, String host, InetSocketAddress to, String request) throws IOException {
        try (SSLSocket s = open(ctx, host, to, request)) {
            InputStream in = new java.io.BufferedInputStream(s.getInputStream());
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("closed in head: " + head);
                }
                head.append((char) b);
            }
            if (!head.toString().startsWith("HTTP/1.1 200")) {
                throw new IOException("unexpected response: " + head);
            }
            int len = -1;
            for (String line : head.toString().split("\r\n")) {
                if (line.toLowerCase().startsWith("content-length:")) {
                    len = Integer.parseInt(line.substring(15).trim());
                }
            }
            return in.readNBytes(len);
        }
    }

    private static Raw read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed in the response head: " + head);
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        String statusLine = h.substring(0, h.indexOf("\r\n"));
        int len = -1;
        boolean chunked = false;
        for (String line : h.split("\r\n")) {
            String l = line.toLowerCase();
            if (l.startsWith("content-length:")) {
                len = Integer.parseInt(l.substring(15).trim());
            } else if (l.startsWith("transfer-encoding:") && l.contains("chunked")) {
                chunked = true;
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (chunked) {
            while (true) {
                String size = readLine(in);
                int n = Integer.parseInt(size.trim(), 16);
                if (n == 0) {
                    readLine(in);
                    break;
                }
                body.write(in.readNBytes(n));
                readLine(in);
            }
        } else if (len >= 0) {
            body.write(in.readNBytes(len));
        }
        return new Raw(statusLine, h, body.toString(StandardCharsets.UTF_8));
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                sb.append((char) b);
            }
        }
        return sb.toString();
    }
}
