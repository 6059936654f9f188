package org.cmglab.proto.token;

import java.util.EnumSet;
import java.util.Set;

/**
 * What a bearer token is presented for, and which site tokens each use accepts (the table "What the CMG checks" in
 * docs/client-auth.md). Entra tokens are accepted only for {@link #STS}, and only by the Entra verifier.
 */
public enum TokenUse {
    /** {@code CCM_STS}: a client token (or a CCM token being renewed); Entra tokens via the Entra verifier. */
    STS(EnumSet.of(SiteTokenType.CLIENT_TOKEN, SiteTokenType.CCM_UDA, SiteTokenType.CCM_DEVICE)),
    /** A registration request on {@code ccm_system_tokenauth/request}: bulk token, client token or CCM token. */
    REGISTRATION(EnumSet.of(SiteTokenType.BULK_REGISTRATION, SiteTokenType.CLIENT_TOKEN, SiteTokenType.CCM_UDA,
            SiteTokenType.CCM_DEVICE)),
    /** Everything else through {@code CCM_Proxy_ServerAuth}: a CCM token or a client token. */
    MESSAGING(EnumSet.of(SiteTokenType.CLIENT_TOKEN, SiteTokenType.CCM_UDA, SiteTokenType.CCM_DEVICE));

    private final Set<SiteTokenType> accepted;

    TokenUse(Set<SiteTokenType> accepted) {
        this.accepted = Set.copyOf(accepted);
    }

    /** The site token types accepted for this use. */
    public Set<SiteTokenType> accepted() {
        return accepted;
    }
}
