package org.cmglab.cmg.route;

import java.util.Locale;

/**
 * The largest request body the CMG accepts per published endpoint (the product "checks content length per
 * publishing endpoint"; the numbers are the lab's, docs/client-auth.md): token and metadata endpoints are small,
 * MP queries carry no body, messaging and uploads get the instance maximum.
 */
public final class EndpointLimits {
    /** {@code CCM_STS}: a form with grant_type and client_id. */
    public static final int STS = 64 * 1024;
    /** {@code SMS_MP} ({@code .sms_aut}, {@code .sms_pol}): GETs. */
    public static final int SMS_MP = 64 * 1024;
    /** The CMG's own endpoints ({@code AADAuthInfo}, {@code ServiceMetadata}). */
    public static final int CMG_OWN = 4 * 1024;

    private final int max;

    /** @param max the instance maximum (CmgServiceConfig.maxRequestBodyBytes) for messaging, uploads and the rest */
    public EndpointLimits(int max) {
        if (max < 0) {
            throw new IllegalArgumentException("max: " + max + " (expected: >= 0)");
        }
        this.max = max;
    }

    /** The limit for a request-target; {@code endpoint} names it in refusals. */
    public Limit limitFor(String uri) {
        String lower = uri == null ? "" : uri.toLowerCase(Locale.ROOT);
        int q = lower.indexOf('?');
        String path = q >= 0 ? lower.substring(0, q) : lower;
        if (path.endsWith("/serviceMetadata".toLowerCase(Locale.ROOT)) || path.endsWith("/aadauthinfo")) {
            return new Limit("CMG metadata", Math.min(CMG_OWN, max));
        }
        ProxyPath pp = ProxyPath.parse(uri);
        if (pp == null) {
            return new Limit("unpublished", Math.min(CMG_OWN, max));
        }
        String rest = pp.rest().toLowerCase(Locale.ROOT);
        if (rest.startsWith("/ccm_sts")) {
            return new Limit("CCM_STS", Math.min(STS, max));
        }
        if (rest.startsWith("/sms_mp/")) {
            return new Limit("SMS_MP", Math.min(SMS_MP, max));
        }
        return new Limit(rest.startsWith("/ccm_incoming") ? "CCM_Incoming" : rest.startsWith("/ccm_system")
                ? "CCM_System" : "role " + pp.roleId(), max);
    }

    /** A published endpoint's name and its largest body in bytes. */
    public record Limit(String endpoint, int maxBytes) {}
}
