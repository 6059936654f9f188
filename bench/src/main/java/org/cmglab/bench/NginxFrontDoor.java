package org.cmglab.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.cmglab.proto.config.Endpoint;

/**
 * The nginx baseline: a TLS-terminating front door to the MP, the way an admin would put nginx in front of IIS.
 * The client's TLS ends at nginx (with the MP's own certificate, so clients see the same name), nginx re-encrypts to
 * the MP over a pool of keep-alive HTTPS connections and verifies the MP's certificate against the lab root, as the
 * connection point does on F5. Config, pid, logs and temp folders all live in {@code dir}; nginx runs in the
 * foreground ({@code daemon off}) as a child of the harness.
 */
final class NginxFrontDoor implements AutoCloseable {
    static final String BINARY = "/usr/sbin/nginx";

    private final Tool process;
    private final Endpoint listen;

    private NginxFrontDoor(Tool process, Endpoint listen) {
        this.process = process;
        this.listen = listen;
    }

    Endpoint listen() {
        return listen;
    }

    long pid() {
        return process.pid();
    }

    /**
     * The nginx.conf: one server on {@code listen} (TLS with {@code certFile}/{@code keyFile}), {@code proxy_pass} to
     * {@code mp} over HTTPS with upstream keep-alive and TLS session reuse; bodies up to 16 MiB (the CMG's maximum);
     * responses buffered in memory only ({@code proxy_max_temp_file_size 0}: a 64 MiB reply is never spooled to disk).
     */
    static String config(Path dir, Endpoint listen, Endpoint mp, String mpName, Path certFile, Path keyFile,
                         Path trustedRoot, int workers) {
        String d = dir.toAbsolutePath().toString();
        return """
                worker_processes %d;
                pid %s/nginx.pid;
                error_log %s/error.log warn;
                events { worker_connections 4096; }
                http {
                    access_log off;
                    client_body_temp_path %s/tmp/body;
                    proxy_temp_path %s/tmp/proxy;
                    fastcgi_temp_path %s/tmp/fastcgi;
                    uwsgi_temp_path %s/tmp/uwsgi;
                    scgi_temp_path %s/tmp/scgi;
                    client_max_body_size 16m;
                    keepalive_requests 1000000;
                    upstream mp {
                        server %s;
                        keepalive 128;
                    }
                    server {
                        listen %s ssl;
                        ssl_certificate %s;
                        ssl_certificate_key %s;
                        ssl_protocols TLSv1.2 TLSv1.3;
                        ssl_session_cache shared:bench:4m;
                        location / {
                            proxy_pass https://mp;
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                            proxy_set_header Host %s;
                            proxy_ssl_server_name on;
                            proxy_ssl_name %s;
                            proxy_ssl_verify on;
                            proxy_ssl_trusted_certificate %s;
                            proxy_ssl_session_reuse on;
                            proxy_buffers 16 64k;
                            proxy_max_temp_file_size 0;
                        }
                    }
                }
                """.formatted(workers, d, d, d, d, d, d, d, mp, listen, certFile.toAbsolutePath(),
                keyFile.toAbsolutePath(), mpName, mpName, trustedRoot.toAbsolutePath());
    }

    /** Writes the config into {@code dir}, starts nginx in the foreground and waits until it listens. */
    static NginxFrontDoor start(Path dir, Endpoint listen, Endpoint mp, String mpName, Path certFile, Path keyFile,
                                Path trustedRoot, int workers) throws IOException, InterruptedException {
        Files.createDirectories(dir.resolve("tmp"));
        Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, config(dir, listen, mp, mpName, certFile, keyFile, trustedRoot, workers));
        Tool t = Tool.start("nginx", List.of(BINARY, "-p", dir.toString(), "-c", conf.toString(), "-g", "daemon off;"),
                dir.resolve("nginx.out"));
        try {
            t.awaitListening(listen.address(), listen.port(), Duration.ofSeconds(10));
        } catch (RuntimeException | InterruptedException e) {
            t.close();
            throw e;
        }
        return new NginxFrontDoor(t, listen);
    }

    @Override
    public void close() {
        process.close();
    }
}
