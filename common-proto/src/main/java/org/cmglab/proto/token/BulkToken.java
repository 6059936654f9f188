package org.cmglab.proto.token;

import java.time.Instant;
import java.util.Objects;

/**
 * A new bulk registration token, as {@code BulkRegistrationTokenTool.exe /new} prints it.
 *
 * @param token     the compact JWT (passed to ccmsetup {@code /regtoken:})
 * @param uniqueId  its {@code UniqueId} claim (what the administrator blocks)
 * @param notBefore {@code nbf}
 * @param expires   {@code exp}
 */
public record BulkToken(String token, String uniqueId, Instant notBefore, Instant expires) {
    public BulkToken {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(uniqueId, "uniqueId");
    }
}
