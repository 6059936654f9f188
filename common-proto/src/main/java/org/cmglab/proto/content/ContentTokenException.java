package org.cmglab.proto.content;

/** A content access token the CMG refuses; {@link #reason()} is a short word for logs and tests. */
public final class ContentTokenException extends Exception {
    /** Why a token is refused. */
    public enum Reason {
        /** A parameter is missing or unreadable. */
        MALFORMED,
        /** {@code alg} is not 1.2.840.113549.1.1.11 (sha256WithRSAEncryption). */
        UNSUPPORTED_ALGORITHM,
        /** The signature does not verify with the site's token-signing certificate (tampered or foreign). */
        BAD_SIGNATURE,
        /** {@code et} has passed. */
        EXPIRED,
        /** {@code st} is in the future (beyond the allowed skew). */
        NOT_YET_VALID,
        /** The token names other content ({@code pid}/{@code cid}). */
        WRONG_CONTENT,
        /** The token was issued to another client ({@code tid}). */
        WRONG_CLIENT
    }

    private final Reason reason;

    public ContentTokenException(Reason reason, String message) {
        super(reason + ": " + message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
