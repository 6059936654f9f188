package org.cmglab.proto.pki;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Server-side trust manager for {@link ClientAuthMode#DEFERRED}: it lets any non-empty client
 * chain through the handshake so the application can validate it per request with
 * {@link ClientCertValidator} and answer 403 with a reason (like IIS's 403.16 on the real CMG).
 *
 * <p>The TLS layer still proves that the client holds the private key of the leaf it presented
 * (CertificateVerify). {@link #getAcceptedIssuers()} returns the trusted roots so the server's
 * CertificateRequest names the right CAs. It is never usable to trust a <em>server</em>:
 * every {@code checkServerTrusted} throws.
 */
final class DeferredClientTrustManager extends X509ExtendedTrustManager {

    private final X509Certificate[] acceptedIssuers;

    DeferredClientTrustManager(List<X509Certificate> clientTrustRoots) {
        this.acceptedIssuers = List.copyOf(Objects.requireNonNull(clientTrustRoots, "clientTrustRoots"))
                .toArray(X509Certificate[]::new);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("client certificate chain: empty (expected: at least one certificate)");
        }
        // Deliberately no path validation here: see class Javadoc (validated per request).
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("deferred client trust manager never trusts server certificates");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return acceptedIssuers.clone();
    }
}
