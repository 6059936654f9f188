package org.cmglab.cmg.frontdoor;

import java.time.Clock;
import java.util.Set;
import org.cmglab.cmg.channel.ChannelRegistry;
import org.cmglab.proto.channel.ChannelSettings;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.pki.ClientCertValidator;

/**
 * What every front-door connection of one instance shares.
 *
 * @param instance           e.g. {@code cmg-service/0}
 * @param siteCode           the CMG's site (a channel claiming another site is refused)
 * @param publishedRoles     role ids the site published
 * @param registry           channels from connection points
 * @param clientValidator    PKI client authentication against the uploaded trusted roots
 * @param connectorValidator connection point certificate check
 * @param events             flow events
 * @param settings           channel settings
 * @param frontDoorPort      the port clients use (for flow events)
 * @param requestTimeoutMs   how long a forwarded request may wait for its response
 * @param clock              time source for certificate validity
 * @param serverAuth         bearer checks of {@code CCM_Proxy_ServerAuth} paths; null = token authentication off
 * @param ownEndpoints       what the CMG answers itself (AADAuthInfo, ServiceMetadata); null = nothing
 * @param content            the content service ({@code getcontentxmlsecure}); null = not content-enabled
 */
public record FrontDoorContext(String instance, String siteCode, Set<String> publishedRoles, ChannelRegistry registry,
                               ClientCertValidator clientValidator, ClientCertValidator connectorValidator,
                               FlowEventLog events, ChannelSettings settings, int frontDoorPort,
                               long requestTimeoutMs, Clock clock,
                               org.cmglab.cmg.auth.ServerAuthGate serverAuth, CmgOwnEndpoints ownEndpoints,
                               org.cmglab.cmg.content.ContentService content) {

    /** Not content-enabled. */
    public FrontDoorContext(String instance, String siteCode, Set<String> publishedRoles, ChannelRegistry registry,
                            ClientCertValidator clientValidator, ClientCertValidator connectorValidator,
                            FlowEventLog events, ChannelSettings settings, int frontDoorPort, long requestTimeoutMs,
                            Clock clock, org.cmglab.cmg.auth.ServerAuthGate serverAuth, CmgOwnEndpoints ownEndpoints) {
        this(instance, siteCode, publishedRoles, registry, clientValidator, connectorValidator, events, settings,
                frontDoorPort, requestTimeoutMs, clock, serverAuth, ownEndpoints, null);
    }

    /** Without token authentication and own endpoints. */
    public FrontDoorContext(String instance, String siteCode, Set<String> publishedRoles, ChannelRegistry registry,
                            ClientCertValidator clientValidator, ClientCertValidator connectorValidator,
                            FlowEventLog events, ChannelSettings settings, int frontDoorPort, long requestTimeoutMs,
                            Clock clock) {
        this(instance, siteCode, publishedRoles, registry, clientValidator, connectorValidator, events, settings,
                frontDoorPort, requestTimeoutMs, clock, null, null, null);
    }
}
