package org.cmglab.proto.pki;

/**
 * How a TLS server built by {@link TlsContexts#server} treats client certificates.
 */
public enum ClientAuthMode {
    /** No client certificate is requested. */
    NONE,
    /**
     * A client certificate is requested but not validated during the handshake; the application
     * validates it per request with {@link ClientCertValidator} and answers 403 with a reason,
     * like IIS on the real CMG (403.16) instead of breaking the handshake.
     */
    DEFERRED,
    /** A client certificate is required and validated (PKIX) during the handshake. */
    REQUIRE
}
