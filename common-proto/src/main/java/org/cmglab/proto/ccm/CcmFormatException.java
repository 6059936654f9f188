package org.cmglab.proto.ccm;

/**
 * A CcmMessaging request (or reply) that cannot be read: the MP answers {@code 400 Bad Request} and logs
 * {@link #reason()} with the message. Never thrown for a well-formed message the caller merely refuses.
 */
public class CcmFormatException extends RuntimeException {

    /** Why the bytes were refused. */
    public enum Reason {
        /** The request or one of its parts is larger than the limit. */
        TOO_LARGE,
        /** No or a wrong boundary, missing parts, missing closing delimiter, bad part headers. */
        MALFORMED_MULTIPART,
        /** The zlib stream is broken or truncated. */
        BAD_ZLIB,
        /** The zlib stream inflates beyond the decompressed-size cap (zlib bomb). */
        ZLIB_BOMB,
        /** Odd length, unpaired surrogates or other bytes that are not UTF-16. */
        BAD_UTF16,
        /** Not well-formed XML, or XML with a DTD / external entity (XXE). */
        BAD_XML,
        /** A required element or attribute is missing or malformed. */
        MISSING_FIELD
    }

    private final Reason reason;

    public CcmFormatException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public CcmFormatException(Reason reason, String message, Throwable cause) {
        super(message, cause);
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
