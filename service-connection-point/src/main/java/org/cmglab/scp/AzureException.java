package org.cmglab.scp;

import com.fasterxml.jackson.databind.JsonNode;
import org.cmglab.proto.runtime.Json;

/**
 * An error answered by Entra ID or Resource Manager: HTTP status plus the Azure error code and message
 * ({@code {"error":{"code","message"}}} from ARM, {@code {"error","error_description"}} from Entra ID), or a failed
 * long-running operation ({@code status} 200, code and message from the operation's {@code error}).
 */
public final class AzureException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final String azureMessage;

    public AzureException(int status, String code, String message) {
        super(code + ": " + message + (status > 0 ? " (HTTP " + status + ")" : ""));
        this.status = status;
        this.code = code;
        this.azureMessage = message;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String azureMessage() {
        return azureMessage;
    }

    /** The console-style reason: {@code code: message}. */
    public String reason() {
        return code + ": " + azureMessage;
    }

    /** Parses an Azure error body (ARM or Entra ID shape); anything else is reported as is. */
    static AzureException fromBody(int status, String body) {
        try {
            JsonNode n = Json.MAPPER.readTree(body);
            JsonNode err = n == null ? null : n.get("error");
            if (err != null && err.isObject()) {
                return new AzureException(status, err.path("code").asText("Unknown"), err.path("message").asText(""));
            }
            if (err != null && err.isTextual()) {
                return new AzureException(status, err.asText(), n.path("error_description").asText(""));
            }
        } catch (Exception ignored) {
            // not JSON: fall through
        }
        String text = body == null ? "" : body.strip();
        return new AzureException(status, "HttpStatus" + status, text.length() > 300 ? text.substring(0, 300) + "…" : text);
    }
}
