package org.cmglab.azure.instances;

/** A deployment step failed; the message says which instance and why (with the tail of its output). */
public final class DeploymentException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String code;

    public DeploymentException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public DeploymentException(String code, String message) {
        this(code, message, null);
    }

    /** ARM-style error code for the failed operation (e.g. {@code VMStartTimedOut}). */
    public String code() {
        return code;
    }
}
