package org.cmglab.proto.config;

/**
 * The management point's CcmMessaging settings (site-sim; docs/client-auth.md). Every field may be null in JSON and
 * then takes the default named below.
 *
 * @param autoApprove             approve every registration (default true; the product's "automatically approve
 *                                all computers"); otherwise only {@code ccm_system_windowsauth} registrations
 * @param windowsAuthWithoutAuth  accept {@code /ccm_system_windowsauth/request} without Negotiate/NTLM (and
 *                                approve) instead of answering 401 (default false)
 * @param cmgServiceName          CMG service name published as the internet MP and SUP (null: no CMG)
 * @param cmgPort                 the CMG's port as clients see it (443 unless the lab is offset)
 * @param mpRoleId                the MP's role id behind the CMG
 * @param supFqdn                 software update point FQDN (default {@code sup01.<MP domain>})
 * @param supRoleId               its role id behind the CMG (default {@code 72057594037927941})
 * @param supIntranetUrl          the SUP URL intranet clients get (default {@code https://<supFqdn>:8531})
 * @param timestampSkewSeconds    allowed clock skew of CCMClient / ClientToken timestamps (default 300)
 * @param extraHttp               a second, plain-HTTP listener of the MP (the product's MP can serve HTTP 80 next to
 *                                HTTPS 443 in E-HTTP mode); null = none
 */
public record MpMessagingConfig(Boolean autoApprove, Boolean windowsAuthWithoutAuth, String cmgServiceName,
                                Integer cmgPort, String mpRoleId, String supFqdn, String supRoleId,
                                String supIntranetUrl, Integer timestampSkewSeconds, Endpoint extraHttp) {

    public static final String DEFAULT_SUP_ROLE_ID = "72057594037927941";

    /** Defaults only (no CMG). */
    public static MpMessagingConfig defaults() {
        return new MpMessagingConfig(null, null, null, null, null, null, null, null, null, null);
    }

    public boolean autoApproveOrDefault() {
        return autoApprove == null || autoApprove;
    }

    public boolean windowsAuthWithoutAuthOrDefault() {
        return windowsAuthWithoutAuth != null && windowsAuthWithoutAuth;
    }

    public int skewSecondsOrDefault() {
        return timestampSkewSeconds == null ? 300 : timestampSkewSeconds;
    }

    public String supRoleIdOrDefault() {
        return supRoleId == null ? DEFAULT_SUP_ROLE_ID : supRoleId;
    }

    public String supFqdnOrDefault(String mpFqdn) {
        if (supFqdn != null) {
            return supFqdn;
        }
        int dot = mpFqdn.indexOf('.');
        return "sup01" + (dot >= 0 ? mpFqdn.substring(dot) : "");
    }

    public String supIntranetUrlOrDefault(String mpFqdn) {
        return supIntranetUrl != null ? supIntranetUrl : "https://" + supFqdnOrDefault(mpFqdn) + ":8531";
    }

    /** {@code https://<CMG>[:port]} or null without a CMG. */
    public String cmgOrigin() {
        if (cmgServiceName == null) {
            return null;
        }
        return "https://" + cmgServiceName + (cmgPort == null || cmgPort == 443 ? "" : ":" + cmgPort);
    }
}
