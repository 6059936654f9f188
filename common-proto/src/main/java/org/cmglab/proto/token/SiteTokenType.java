package org.cmglab.proto.token;

import java.time.Duration;
import java.util.Locale;

/**
 * The kinds of site-issued token (docs/client-auth.md, "Tokens"): the {@code Type} claim, the
 * {@code SCCMTokenCategory} claim and the lifetime the site gives them.
 */
public enum SiteTokenType {
    /** Bulk registration token ({@code BulkRegistrationTokenTool.exe /new}); lifetime chosen at issue time. */
    BULK_REGISTRATION("BulkRegistration", "SCCMPreAuthToken", Duration.ofMinutes(4_320)),
    /** Client token, issued at registration and tied to the client's self-signed signing certificate. */
    CLIENT_TOKEN("ClientToken", "SCCMClientToken", Duration.ofDays(90)),
    /** CCM token from {@code CCM_STS} for an Entra (user or device) token. */
    CCM_UDA("UDA", "SCCMAccessToken", Duration.ofHours(8)),
    /** CCM token from {@code CCM_STS} for a client token. */
    CCM_DEVICE("Device", "SCCMAccessToken", Duration.ofHours(8));

    private final String wire;
    private final String category;
    private final Duration lifetime;

    SiteTokenType(String wire, String category, Duration lifetime) {
        this.wire = wire;
        this.category = category;
        this.lifetime = lifetime;
    }

    /** The {@code Type} claim. */
    public String wire() {
        return wire;
    }

    /** The {@code SCCMTokenCategory} claim. */
    public String category() {
        return category;
    }

    /** Lifetime ({@code exp - nbf}); the default one for bulk tokens. */
    public Duration lifetime() {
        return lifetime;
    }

    /** Whether this is a CCM token ({@code SCCMAccessToken}). */
    public boolean isCcmToken() {
        return this == CCM_UDA || this == CCM_DEVICE;
    }

    /** The type whose {@code Type} claim is {@code wire} (case-insensitive), or null. */
    public static SiteTokenType ofWire(String wire) {
        if (wire == null) {
            return null;
        }
        for (SiteTokenType t : values()) {
            if (t.wire.toLowerCase(Locale.ROOT).equals(wire.toLowerCase(Locale.ROOT))) {
                return t;
            }
        }
        return null;
    }
}
