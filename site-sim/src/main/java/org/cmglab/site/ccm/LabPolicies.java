package org.cmglab.site.ccm;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.cmglab.proto.ccm.CcmSignatures;
import org.cmglab.proto.ccm.Utf16;

/**
 * The machine policies the lab MP assigns to every client: client settings, software-update agent settings (naming
 * the SUP) and one secret policy ({@code NAAConfig}, the network access account, delivered only encrypted). Bodies
 * are UTF-16LE XML with a BOM; {@code PolicyHash} is {@code SHA256:<upper hex>} of those bytes (for the secret
 * policy: of the decrypted bytes).
 */
public final class LabPolicies {

    /** One policy body. */
    public record Policy(String id, String version, String category, boolean secret, byte[] body) {
        public String hash() {
            try {
                return CcmSignatures.hex(MessageDigest.getInstance("SHA-256").digest(body));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        /** {@code http://<mp>/SMS_MP/.sms_pol?<id>.SHA256:<hash>} — {@code <mp>} is literal, the client fills it in. */
        public String location() {
            return "http://<mp>/SMS_MP/.sms_pol?" + id + ".SHA256:" + hash();
        }
    }

    public static final String NAA_USER_SUFFIX = "\\svc-cmglab-naa";

    private final Map<String, Policy> byId = new LinkedHashMap<>();
    private final String naaUser;

    /**
     * @param siteCode      site code (policy ids and PolicySource)
     * @param domainNetbios NetBIOS domain of the network access account, e.g. {@code CONTOSO}
     * @param supUrl        the intranet SUP URL written into the software-update settings
     */
    public LabPolicies(String siteCode, String domainNetbios, String supUrl) {
        String sc = siteCode.toUpperCase(Locale.ROOT);
        naaUser = domainNetbios + NAA_USER_SUFFIX;
        // a fresh lab password per MP process: never a constant in the repository
        byte[] pw = new byte[12];
        new SecureRandom().nextBytes(pw);
        String naaPassword = Base64.getUrlEncoder().withoutPadding().encodeToString(pw);
        add(new Policy(id(sc, "ClientAgentConfig"), "1.00", "ClientAgentConfig", false, body(id(sc, "ClientAgentConfig"),
                "ClientAgentConfig", "instance of CCM_ClientAgentConfig { SiteSettingsKey = 1; Enabled = TRUE;"
                        + " PolicyRequestAssignmentTimeout = 60; };")));
        add(new Policy(id(sc, "SoftwareUpdatesAgentConfig"), "1.00", "SoftwareUpdatesAgentConfig", false,
                body(id(sc, "SoftwareUpdatesAgentConfig"), "SoftwareUpdatesAgentConfig",
                        "instance of CCM_SoftwareUpdatesClientConfig { SiteSettingsKey = 1; Enabled = TRUE;"
                                + " WSUSLocation = \"" + supUrl + "\"; };")));
        add(new Policy(id(sc, "NAAConfig"), "1.00", "NAAConfig", true, body(id(sc, "NAAConfig"), "NAAConfig",
                "instance of CCM_NetworkAccessAccount { SiteSettingsKey = 1; NetworkAccessUsername = \""
                        + naaUser.replace("\\", "\\\\") + "\"; NetworkAccessPassword = \"" + naaPassword + "\"; };")));
    }

    /** Stable per site and category: {@code {<name-based UUID>}}. */
    static String id(String siteCode, String category) {
        return "{" + UUID.nameUUIDFromBytes(("cmglab:" + siteCode + ":policy:" + category)
                .getBytes(StandardCharsets.UTF_8)) + "}";
    }

    private static byte[] body(String id, String category, String mof) {
        String xml = "<?xml version=\"1.0\" encoding=\"utf-16\"?><Policy PolicyID=\"" + id
                + "\" PolicyVersion=\"1.00\" PolicyType=\"Machine\" PolicyCategory=\"" + category
                + "\" PolicySource=\"SMS\"><PolicyRule PolicyRuleID=\"{" + UUID.nameUUIDFromBytes(id.getBytes(
                StandardCharsets.UTF_8)) + "}\"><PolicyAction PolicyActionType=\"WMI-MOF\"><![CDATA[" + mof
                + "]]></PolicyAction></PolicyRule></Policy>";
        return Utf16.withBom(xml);
    }

    private void add(Policy p) {
        byId.put(p.id().toUpperCase(Locale.ROOT), p);
    }

    public Policy get(String id) {
        return id == null ? null : byId.get(id.toUpperCase(Locale.ROOT));
    }

    public List<Policy> all() {
        return List.copyOf(byId.values());
    }

    /** The network access account's user name in the secret policy (for logs and tests; not the password). */
    public String naaUser() {
        return naaUser;
    }
}
