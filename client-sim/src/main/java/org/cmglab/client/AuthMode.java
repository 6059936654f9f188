package org.cmglab.client;

import java.util.Map;
import org.cmglab.proto.pki.IssuedCert;

/**
 * How the client proves itself to the CMG (docs/client-auth.md): which proxy prefix it uses, which TLS client
 * certificate it presents and which headers it adds. {@code pki} is implemented ({@link PkiAuthMode}); {@code entra}
 * and {@code token} (CCM_STS, {@code CCM_Proxy_ServerAuth}, {@code ccm_system_tokenauth}) plug in here.
 */
interface AuthMode {
    /** {@code pki}, {@code entra}, {@code token}. */
    String name();

    /** {@code CCM_Proxy_MutualAuth} or {@code CCM_Proxy_ServerAuth}. */
    String proxyPrefix();

    /** The CcmMessaging path on the MP: {@code /ccm_system/request} or {@code /ccm_system_tokenauth/request}. */
    String messagingPath();

    /** The TLS client certificate for the CMG, or null. */
    IssuedCert tlsClientCertificate();

    /** Headers for a request through the CMG ({@code Authorization: Bearer ...}, {@code CcmTokenAuth: 1}). */
    Map<String, String> headers();

    /** For flow events: {@code PKI client certificate}, ... */
    String describe();
}
