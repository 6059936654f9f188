package org.cmglab.client;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Objects;

/**
 * What one {@code .sms_aut} request through the CMG gave, printed as {@code RESULT <json>}.
 *
 * @param traceId     W3C trace id the request carried
 * @param status      HTTP status, 0 when no response arrived
 * @param reason      the status line's reason phrase, e.g. {@code CMGConnector_Clientcertificaterequired}
 * @param bodyBytes   response body length
 * @param contentType response Content-Type, if any
 * @param mps         MPs of an MPLIST reply (status 200 only)
 * @param error       why no response arrived (TLS, connect, timeout)
 * @param failure     the kind of outcome (decides the exit code; not printed)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MpListResult(String traceId, int status, String reason, Integer bodyBytes, String contentType,
                           List<Mp> mps, String error, @JsonIgnore Failure failure) {

    /** Outcome kinds and their exit codes. */
    public enum Failure {
        /** 200. */
        NONE(0, "ok"),
        /** Any other HTTP status. */
        HTTP_STATUS(1, null),
        /** The TLS handshake (or the TLS session) failed. */
        TLS(3, "tls-failed"),
        /** No TCP connection. */
        CONNECT(4, "connect-failed"),
        /** Connected, but no complete response within the timeout or before the server closed. */
        NO_RESPONSE(5, "no-response"),
        /** A 200 reply whose content is wrong (unreadable message, no SMSID, policy hash or decryption failure). */
        BAD_REPLY(6, "bad-reply");

        final int exitCode;
        final String outcome;

        Failure(int exitCode, String outcome) {
            this.exitCode = exitCode;
            this.outcome = outcome;
        }
    }

    /** One {@code <MP Name=".." FQDN="..">} of an MPLIST reply. */
    public record Mp(String name, String fqdn) {}

    public MpListResult {
        Objects.requireNonNull(traceId, "traceId");
        Objects.requireNonNull(failure, "failure");
        mps = mps == null ? null : List.copyOf(mps);
    }

    static MpListResult response(String traceId, int status, String reason, int bodyBytes, String contentType,
                                 List<Mp> mps) {
        return new MpListResult(traceId, status, reason, bodyBytes, contentType, status == 200 ? mps : null, null,
                status == 200 ? Failure.NONE : Failure.HTTP_STATUS);
    }

    static MpListResult failed(String traceId, Failure failure, String error) {
        return new MpListResult(traceId, 0, null, null, null, null, error, failure);
    }

    /** 0 for 200, 1 for another HTTP status, 3 TLS failure, 4 connect failure, 5 no response. */
    @JsonIgnore
    public int exitCode() {
        return failure.exitCode;
    }

    /** The flow-event outcome word: {@code ok}, {@code http-403}, {@code tls-failed}, ... */
    @JsonIgnore
    public String outcome() {
        return failure == Failure.HTTP_STATUS ? "http-" + status : failure.outcome;
    }
}
