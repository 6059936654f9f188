package org.cmglab.azure.arm;

/** A request Resource Manager refuses: HTTP status, ARM error code and a message naming the rule that failed. */
final class ArmException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;
    final String code;

    ArmException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }
}
