package org.cmglab.site.ccm;

import java.util.Objects;
import java.util.function.Function;
import org.cmglab.proto.ccm.CcmMsgHeader;

/**
 * Decides whether a message on a token-authenticated path ({@code /ccm_system_tokenauth/request}) may proceed. The
 * MP uses {@link SiteTokenMessageAuthenticator} (the site's token checks); tests may plug in their own.
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

    /**
     * The outcome: allowed with an identity for the logs, or refused with a status (401/403) and a reason.
     *
     * @param deviceId {@code GUID:<SMSID>} the accepted token speaks for (client and CCM tokens), else null (a bulk
     *                 token, or an authenticator that does not know)
     */
    record Decision(boolean allowed, int status, String reason, String identity, String deviceId) {
        public Decision(boolean allowed, int status, String reason, String identity) {
            this(allowed, status, reason, identity, null);
        }

        public static Decision allow(String identity) {
            return new Decision(true, 200, null, identity, null);
        }

        public static Decision allow(String identity, String deviceId) {
            return new Decision(true, 200, null, identity, deviceId);
        }

        public static Decision refuse(int status, String reason) {
            return new Decision(false, status, reason, null, null);
        }
    }

    Decision authenticate(Request request);
}
