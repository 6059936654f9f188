package org.cmglab.proto.token;

/**
 * Checks the {@code Authorization: Bearer <token>} header of a request against the site tokens accepted for a
 * {@link TokenUse}. The MP plugs one into {@code ccm_system_tokenauth} and {@code CCM_STS}; the CMG into its
 * {@code CCM_Proxy_ServerAuth} check. Implementations are thread-safe and never block.
 */
@FunctionalInterface
public interface BearerAuthenticator {

    /**
     * @param authorizationHeader the whole header value ({@code Bearer eyJ…}), or null when absent
     * @return the verified token
     * @throws SiteTokenException with the reason and a product-style message when it must be refused
     */
    SiteToken verifyBearer(String authorizationHeader, TokenUse use) throws SiteTokenException;

    /** The token of an {@code Authorization: Bearer} header value; throws MALFORMED when there is none. */
    static String bearerToken(String authorizationHeader) throws SiteTokenException {
        if (authorizationHeader == null || authorizationHeader.isBlank()) {
            throw new SiteTokenException(SiteTokenException.Reason.MALFORMED,
                    "IDX10000: The parameter 'token' cannot be a 'null' or an empty object (no Authorization: Bearer header).");
        }
        String h = authorizationHeader.trim();
        if (h.length() < 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new SiteTokenException(SiteTokenException.Reason.MALFORMED,
                    "Authorization scheme '" + h.split(" ", 2)[0] + "' is not supported (expected: Bearer)");
        }
        String token = h.substring(7).trim();
        if (token.isEmpty()) {
            throw new SiteTokenException(SiteTokenException.Reason.MALFORMED,
                    "IDX10000: The parameter 'token' cannot be a 'null' or an empty object.");
        }
        return token;
    }
}
