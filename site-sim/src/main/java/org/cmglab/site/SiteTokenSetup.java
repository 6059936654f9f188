package org.cmglab.site;

import io.netty.channel.ChannelHandler;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cmglab.proto.config.SiteSimConfig;
import org.cmglab.proto.log.ProductLogs;
import org.cmglab.proto.runtime.AdminAction;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.site.ccm.MessageAuthenticator;
import org.cmglab.site.ccm.SiteTokenMessageAuthenticator;
import org.cmglab.site.sts.CcmStsExchange;
import org.cmglab.site.sts.CcmStsHandler;
import org.cmglab.site.sts.SiteTokenAuthority;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** How site-sim sets up its token side from the config: CCM_STS.log, the authority, the handler, admin actions. */
final class SiteTokenSetup {
    private static final Logger log = LoggerFactory.getLogger("CCM_STS");

    private SiteTokenSetup() {}

    /** The authority (and CCM_STS.log, and the Entra keys loading), or null without {@code tokenAuth}. */
    static SiteTokenAuthority authority(SiteSimConfig config, ComponentRuntime runtime) throws IOException {
        if (config.tokenAuth() == null) {
            return null;
        }
        AutoCloseable stsLog = ProductLogs.attach(runtime.logDir(), "CCM_STS");
        runtime.onClose(stsLog);
        SiteTokenAuthority a = SiteTokenAuthority.fromConfig(config.tokenAuth(),
                org.cmglab.proto.runtime.LabClock.clock()); // skewed by POST /clock (cmglab fault)
        log.info("CCM_STS: site tokens signed by {} (issuer {}), Entra tenant {} (audience {}), allowed skew {} s",
                config.tokenAuth().signingCertFile(), a.tokens().issuer(),
                a.entra() == null ? "none" : a.entra().tenantId(), a.entra() == null ? "-" : a.entra().audience(),
                config.tokenAuth().skewSeconds());
        if (a.entra() != null) {
            org.cmglab.site.sts.EntraKeys.load(config.tokenAuth(), a.entra(), runtime.group());
        }
        return a;
    }

    /**
     * The MP's check of {@code ccm_system_tokenauth} messages: the site's tokens, or, when this site has no token
     * signing key ({@code tokenAuth} absent), a refusal of every token message (401, reason logged).
     */
    static MessageAuthenticator messageAuthenticator(SiteTokenAuthority a) {
        return a != null ? new SiteTokenMessageAuthenticator(a)
                : r -> MessageAuthenticator.Decision.refuse(401, "NO_TOKEN_AUTH: token authentication is not"
                + " configured on this MP (site-sim config has no tokenAuth)");
    }

    static ChannelHandler ccmSts(SiteTokenAuthority a, MpRequestObserver observer) {
        return a == null ? null : new CcmStsHandler(new CcmStsExchange(a), observer);
    }

    /** {@code POST /block-bulk-token?uniqueId=<GUID>} on the admin endpoint. */
    static Map<String, AdminAction> adminActions(SiteTokenAuthority a) {
        Map<String, AdminAction> m = new LinkedHashMap<>();
        if (a == null) {
            return m;
        }
        m.put("block-bulk-token", (query, body) -> {
            List<String> ids = query.get("uniqueId");
            if (ids == null || ids.isEmpty()) {
                throw new IllegalArgumentException("block-bulk-token: uniqueId is required (expected: ?uniqueId=<GUID>)");
            }
            boolean added = a.block(ids.get(0));
            log.info("Bulk registration token {} {}", ids.get(0), added ? "blocked" : "was already blocked");
            return Map.of("uniqueId", ids.get(0), "blocked", true, "blockedTokens", a.tokens().blocked());
        });
        return m;
    }
}
