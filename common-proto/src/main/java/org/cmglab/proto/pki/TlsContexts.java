package org.cmglab.proto.pki;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the lab's TLS contexts: TLS 1.3 and 1.2 only, OpenSSL (BoringSSL via
 * netty-tcnative) when available, otherwise the JDK provider.
 *
 * <p>Trust is never "accept everything" for server certificates: clients trust only the given
 * roots and always verify the host name ({@code HTTPS} endpoint identification; create the
 * handler with {@code ctx.newHandler(alloc, host, port)}). The one relaxed trust manager,
 * used by {@link ClientAuthMode#DEFERRED}, only applies to <em>client</em> certificates on a
 * server and defers their validation to the application ({@link ClientCertValidator}); it
 * rejects any attempt to use it for server certificates.
 */
public final class TlsContexts {

    private static final Logger LOG = LoggerFactory.getLogger(TlsContexts.class);
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    /**
     * TLS 1.3 suites and, for TLS 1.2, only ECDHE key exchange with AEAD ciphers (forward secrecy; no CBC, no static
     * RSA key exchange, no SHA-1 MACs), in preference order; suites a provider lacks are dropped.
     */
    static final List<String> CIPHERS = List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    private static final AtomicBoolean LOGGED = new AtomicBoolean();

    private TlsContexts() {
    }

    /**
     * A server context presenting {@code identity}'s chain.
     *
     * <ul>
     *   <li>{@link ClientAuthMode#NONE}: no client certificate is requested.</li>
     *   <li>{@link ClientAuthMode#REQUIRE}: a client certificate is required and PKIX-validated
     *       against {@code clientTrustRoots} during the handshake; failures abort it.</li>
     *   <li>{@link ClientAuthMode#DEFERRED}: a client certificate is requested (optional) and any
     *       non-empty chain passes the handshake; the CertificateRequest lists
     *       {@code clientTrustRoots}. The application MUST then validate
     *       {@link ClientCertValidator#peerChain(javax.net.ssl.SSLSession)} with
     *       {@link ClientCertValidator} per request and answer 403 with the reason, as IIS on
     *       the CMG answers 403.16 instead of failing the handshake.</li>
     * </ul>
     *
     * @param alpn application protocols to accept (e.g. "h2", "http/1.1"); none = no ALPN
     */
    public static SslContext server(IssuedCert identity, ClientAuthMode mode,
                                    List<X509Certificate> clientTrustRoots, String... alpn) throws SSLException {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(clientTrustRoots, "clientTrustRoots");
        SslContextBuilder b = SslContextBuilder.forServer(identity.privateKey(), identity.chain())
                .sslProvider(provider())
                .protocols(PROTOCOLS)
                .ciphers(CIPHERS, io.netty.handler.ssl.SupportedCipherSuiteFilter.INSTANCE);
        switch (mode) {
            case NONE -> b.clientAuth(ClientAuth.NONE);
            case REQUIRE -> {
                requireRoots(clientTrustRoots, mode);
                b.clientAuth(ClientAuth.REQUIRE).trustManager(clientTrustRoots);
            }
            case DEFERRED -> {
                requireRoots(clientTrustRoots, mode);
                b.clientAuth(ClientAuth.OPTIONAL).trustManager(new DeferredClientTrustManager(clientTrustRoots));
            }
        }
        alpn(b, alpn);
        return b.build();
    }

    /**
     * A client context that trusts only {@code trustRoots}, verifies the server's host name
     * ({@code HTTPS} endpoint identification) and presents {@code identityOrNull} if given.
     * Create handlers with {@code ctx.newHandler(alloc, host, port)} so the host name is known.
     */
    public static SslContext client(List<X509Certificate> trustRoots, IssuedCert identityOrNull, String... alpn)
            throws SSLException {
        Objects.requireNonNull(trustRoots, "trustRoots");
        if (trustRoots.isEmpty()) {
            throw new IllegalArgumentException("trustRoots: [] (expected: at least one root)");
        }
        SslContextBuilder b = SslContextBuilder.forClient()
                .sslProvider(provider())
                .protocols(PROTOCOLS)
                .ciphers(CIPHERS, io.netty.handler.ssl.SupportedCipherSuiteFilter.INSTANCE)
                .trustManager(trustRoots)
                .endpointIdentificationAlgorithm("HTTPS");
        if (identityOrNull != null) {
            b.keyManager(identityOrNull.privateKey(), identityOrNull.chain());
        }
        alpn(b, alpn);
        return b.build();
    }

    /**
     * A JDK {@link SSLContext} (for e.g. {@code java.net.http.HttpClient}, which verifies host
     * names itself) trusting only {@code trustRoots} and presenting {@code identityOrNull}.
     */
    public static SSLContext jdkClient(List<X509Certificate> trustRoots, IssuedCert identityOrNull) {
        Objects.requireNonNull(trustRoots, "trustRoots");
        if (trustRoots.isEmpty()) {
            throw new IllegalArgumentException("trustRoots: [] (expected: at least one root)");
        }
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            for (int i = 0; i < trustRoots.size(); i++) {
                trust.setCertificateEntry("root-" + i, trustRoots.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(trust);
            KeyManagerFactory kmf = null;
            if (identityOrNull != null) {
                char[] pw = "cmglab".toCharArray();
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                keys.setKeyEntry("identity", identityOrNull.privateKey(), pw,
                        identityOrNull.chain().toArray(X509Certificate[]::new));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, pw);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build JDK client SSLContext", e);
        }
    }

    /** "OpenSSL (BoringSSL)" when netty-tcnative is usable, else "JDK". */
    public static String providerName() {
        return OpenSsl.isAvailable() ? "OpenSSL (BoringSSL)" : "JDK";
    }

    static SslProvider provider() {
        if (LOGGED.compareAndSet(false, true)) {
            if (OpenSsl.isAvailable()) {
                LOG.info("TLS provider: {} (library {}, version 0x{})", providerName(),
                        OpenSsl.versionString(), Integer.toHexString(OpenSsl.version()));
            } else {
                LOG.info("TLS provider: {} (OpenSSL unavailable: {})", providerName(),
                        String.valueOf(OpenSsl.unavailabilityCause()));
            }
        }
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    private static void requireRoots(List<X509Certificate> roots, ClientAuthMode mode) {
        if (roots.isEmpty()) {
            throw new IllegalArgumentException("clientTrustRoots: [] (expected: at least one root for " + mode + ")");
        }
    }

    private static void alpn(SslContextBuilder b, String... alpn) {
        if (alpn != null && alpn.length > 0) {
            b.applicationProtocolConfig(new ApplicationProtocolConfig(
                    ApplicationProtocolConfig.Protocol.ALPN,
                    ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                    alpn));
        }
    }
}
