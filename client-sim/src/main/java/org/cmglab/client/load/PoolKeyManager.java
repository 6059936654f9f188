package org.cmglab.client.load;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * One TLS client context for thousands of simulated clients: the key manager presents, on each connection, the
 * certificate of the client that owns the connection's {@link SSLEngine} ({@link #bind}), so the run needs one
 * {@code SslContext} instead of one per client. Aliases are {@code c<index>}.
 */
final class PoolKeyManager extends X509ExtendedKeyManager {
    private final ClientCertPool pool;
    private final Map<SSLEngine, Integer> owners = new ConcurrentHashMap<>();

    PoolKeyManager(ClientCertPool pool) {
        this.pool = Objects.requireNonNull(pool, "pool");
    }

    /** The next handshake of {@code engine} presents client {@code index}'s certificate. */
    void bind(SSLEngine engine, int index) {
        owners.put(engine, index);
    }

    /** Forgets the engine (its connection closed). */
    void unbind(SSLEngine engine) {
        owners.remove(engine);
    }

    int bound() {
        return owners.size();
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        Integer i = engine == null ? null : owners.get(engine);
        return i == null ? null : "c" + i;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        int i = index(alias);
        return i < 0 ? null : pool.get(i).chain().toArray(X509Certificate[]::new);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        int i = index(alias);
        return i < 0 ? null : pool.get(i).privateKey();
    }

    private int index(String alias) {
        if (alias == null || !alias.startsWith("c")) {
            return -1;
        }
        try {
            int i = Integer.parseInt(alias.substring(1));
            return i >= 0 && i < pool.size() ? i : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return null;
    }
}
