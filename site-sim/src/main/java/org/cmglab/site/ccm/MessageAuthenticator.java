package org.cmglab.site.ccm;

import java.util.Objects;
import java.util.function.Function;
import org.cmglab.proto.ccm.CcmMsgHeader;

/**
 * Decides whether a message on a token-authenticated path ({@code /ccm_system_tokenauth/request}) may proceed. The
 * site-token / {@code CCM_STS} work plugs its JWT checks in here; until then {@link BearerRecordingAuthenticator}
 * requires and records a bearer without validating it.
 */
@FunctionalInterface
public interface MessageAuthenticator {

    /**
     * @param path    the request path as received, e.g. {@code /ccm_system_tokenauth/request}
     * @param headers request header lookup (case-insensitive)
     * @param message the message header (endpoint, SourceID)
     */
    record Request(String path, Function<String, String> headers, CcmMsgHeader message) {
        public Request {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(headers, "headers");
            Objects.requireNonNull(message, "message");
        }
    }

    /** The outcome: allowed with an identity for the logs, or refused with a status (401/403) and a reason. */
    record Decision(boolean allowed, int status, String reason, String identity) {
        public static Decision allow(String identity) {
            return new Decision(true, 200, null, identity);
        }

        public static Decision refuse(int status, String reason) {
            return new Decision(false, status, reason, null);
        }
    }

    Decision authenticate(Request request);
}
