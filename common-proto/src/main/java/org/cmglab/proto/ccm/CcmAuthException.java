package org.cmglab.proto.ccm;

/**
 * A well-formed message or request whose identity proof is refused (signature, clock skew, replay, unknown
 * client): the MP answers {@code 403} and logs {@link #reason()}.
 */
public class CcmAuthException extends RuntimeException {

    /** Why the proof was refused. */
    public enum Reason {
        /** A signature or the value it signs is missing. */
        MISSING_SIGNATURE,
        /** The signature does not verify with the key registered for the client (or the key presented). */
        BAD_SIGNATURE,
        /** No client is registered under that id. */
        UNKNOWN_CLIENT,
        /** The timestamp cannot be parsed. */
        BAD_TIMESTAMP,
        /** The timestamp is outside the allowed clock skew. */
        CLOCK_SKEW,
        /** The same signed timestamp was already used for another URL. */
        REPLAY,
        /** The presented public key is not the registered one. */
        KEY_MISMATCH
    }

    private final Reason reason;

    public CcmAuthException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    @Override
    public String toString() {
        return reason + ": " + getMessage();
    }
}
