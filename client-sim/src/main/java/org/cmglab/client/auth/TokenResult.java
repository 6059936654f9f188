package org.cmglab.client.auth;

/**
 * The outcome of {@code client-sim token}, printed as {@code RESULT <json>}.
 *
 * @param traceId   the trace the CMG requests carried
 * @param auth      {@code entra} or {@code token}
 * @param status    HTTP status of the step that decided (200 when a CCM token was obtained), 0 without a response
 * @param reason    its reason phrase (e.g. {@code CMGService_Invalid_Token})
 * @param step      the step that decided: {@code cache}, {@code AADAuthInfo}, {@code Entra}, {@code ServiceMetadata},
 *                  {@code registration} or {@code CCM_STS}
 * @param tokenType the CCM token's type ({@code UDA} or {@code Device}) when obtained
 * @param expiresIn its lifetime in seconds
 * @param smsId     the client's SMSID
 * @param renewed   true when a new CCM token was obtained, false when the cached one was still good
 * @param error     what went wrong, or null
 * @param failure   {@code NONE}, {@code HTTP_STATUS}, {@code TLS}, {@code CONNECT}, {@code NO_RESPONSE}, {@code USAGE} or
 *                  {@code BAD_REPLY} (a 200 registration reply without a client token)
 */
public record TokenResult(String traceId, String auth, int status, String reason, String step, String tokenType,
                          long expiresIn, String smsId, boolean renewed, String error, String failure) {

    /** 0 (token), 1 (HTTP error), 2 (usage), 3 (TLS), 4 (connect), 5 (no response), 6 (bad reply), as the other commands. */
    public int exitCode() {
        return switch (failure) {
            case "NONE" -> 0;
            case "HTTP_STATUS" -> 1;
            case "USAGE" -> 2;
            case "BAD_REPLY" -> 6;
            case "TLS" -> 3;
            case "CONNECT" -> 4;
            default -> 5;
        };
    }
}
