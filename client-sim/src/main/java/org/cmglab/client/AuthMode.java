package org.cmglab.client;

import java.io.IOException;
import java.util.Map;
import org.cmglab.client.auth.ClientIdentity;
import org.cmglab.proto.pki.IssuedCert;

/**
 * How the client proves itself to the CMG (docs/client-auth.md): which proxy prefix it uses, which TLS client
 * certificate it presents and which headers it adds. {@code pki}: {@link PkiAuthMode}; {@code entra} and
 * {@code token}: {@link TokenAuthMode} ({@code CCM_STS}, {@code CCM_Proxy_ServerAuth}, {@code ccm_system_tokenauth}).
 */
interface AuthMode {
    /** Why {@link #prepare} failed: the step, its HTTP status (0 without a response), the error and its kind. */
    record Failure(String step, int status, String error, MpListResult.Failure kind) {}

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

    /** Before the first step: obtain (or renew) what the mode needs, e.g. a CCM token. Null = ready. */
    default Failure prepare(ClientIdentity identity) throws IOException {
        return null;
    }

    /** After a registration: the reply (it may carry a client token). Null = ready for the next step. */
    default Failure registered(ClientIdentity identity, String replyXml) throws IOException {
        return null;
    }
}
