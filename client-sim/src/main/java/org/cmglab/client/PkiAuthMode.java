package org.cmglab.client;

import java.util.Map;
import org.cmglab.proto.pki.IssuedCert;

/**
 * PKI client-auth certificate: mutual TLS on {@code CCM_Proxy_MutualAuth}, no extra headers. The certificate may be
 * null only for {@code --direct} (the MP does not ask for one).
 */
final class PkiAuthMode implements AuthMode {
    private final IssuedCert cert;

    PkiAuthMode(IssuedCert cert) {
        this.cert = cert;
    }

    @Override
    public String name() {
        return "pki";
    }

    @Override
    public String proxyPrefix() {
        return "CCM_Proxy_MutualAuth";
    }

    @Override
    public String messagingPath() {
        return "/ccm_system/request";
    }

    @Override
    public IssuedCert tlsClientCertificate() {
        return cert;
    }

    @Override
    public Map<String, String> headers() {
        return Map.of();
    }

    @Override
    public String describe() {
        return "PKI client certificate";
    }
}
