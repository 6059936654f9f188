package org.cmglab.site.mp;

import java.util.Arrays;
import java.util.Objects;

/**
 * A fully encoded {@code .sms_aut} reply: status line parts, Content-Type and body bytes.
 * The body array is defensively copied on the way in and out.
 */
public record MpReply(int status, String reasonPhrase, String contentType, byte[] body) {

    public MpReply {
        Objects.requireNonNull(reasonPhrase, "reasonPhrase");
        Objects.requireNonNull(contentType, "contentType");
        body = body == null ? new byte[0] : body.clone();
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    /** Body length without copying. */
    public int bodyLength() {
        return body.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MpReply r
                && status == r.status
                && reasonPhrase.equals(r.reasonPhrase)
                && contentType.equals(r.contentType)
                && Arrays.equals(body, r.body);
    }

    @Override
    public int hashCode() {
        return Objects.hash(status, reasonPhrase, contentType, Arrays.hashCode(body));
    }

    @Override
    public String toString() {
        return "MpReply[" + status + " " + reasonPhrase + ", " + contentType + ", " + body.length + " bytes]";
    }
}
