package org.cmglab.proto.config;

import java.util.Objects;

/**
 * A site role the site published to the CMG (the product uploads the external URLs so the CMG can filter them):
 * {@code roleId} is the number clients put after {@code /CCM_Proxy_MutualAuth/}; {@code kind} is MP or SUP.
 */
public record PublishedRole(String roleId, String kind, String siteCode) {
    public PublishedRole {
        Objects.requireNonNull(roleId, "roleId");
        if (!roleId.matches("\\d{1,20}")) {
            throw new IllegalArgumentException("roleId: " + roleId + " (expected: a decimal number)");
        }
        Objects.requireNonNull(kind, "kind");
    }
}
