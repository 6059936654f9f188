package org.cmglab.proto.config;

import java.util.List;
import java.util.Objects;

/**
 * One CMG VM instance ({@code cmg-service} process).
 *
 * @param serviceName         CMG service name (CN of the server-auth certificate), e.g. GraniteFalls.contoso.com
 * @param deploymentName      Azure deployment name, e.g. granitefalls.westus.cloudapp.azure.com
 * @param siteCode            the site that owns the CMG
 * @param instanceIndex       0-based VM instance index ({@code ProxyService_IN_<index>})
 * @param frontDoor           HTTPS 443 (clients; and the channel when there is one instance)
 * @param channelHttps        HTTPS channel listener 10124+i, or null when the front door carries the channel
 * @param admin               admin endpoint
 * @param serverTls           server-auth certificate (CN = service name)
 * @param clientTrustRoots    trusted root certificates uploaded for PKI client authentication (PEM files)
 * @param connectorTrustRoots roots that issue connection point certificates (PEM files)
 * @param publishedRoles      what the site published for CMG traffic
 * @param maxRequestBodyBytes largest client request body accepted (the product checks content length per endpoint)
 * @param channel             channel keep-alive timings
 * @param logDir              lab log folder
 * @param channelTcpTls       TCP-TLS channel listener 10140+i (classic deployments), or null when there is none
 * @param tokenAuth           how {@code CCM_Proxy_ServerAuth} bearer tokens are checked: the site's token-signing
 *                            certificate (no key) and hierarchy id, the onboarded Entra tenant with its JWKS; null =
 *                            token authentication off (every ServerAuth request gets 401 CMGService_Invalid_Token)
 * @param contentStorage      the CMG's storage account for cloud content (SAS URLs in the content manifest); null =
 *                            not content-enabled ({@code getcontentxmlsecure} answers 404)
 */
public record CmgServiceConfig(String serviceName, String deploymentName, String siteCode, int instanceIndex,
                               Endpoint frontDoor, Endpoint channelHttps, Endpoint admin, TlsFiles serverTls,
                               List<String> clientTrustRoots, List<String> connectorTrustRoots,
                               List<PublishedRole> publishedRoles, int maxRequestBodyBytes, ChannelTimings channel,
                               String logDir, Endpoint channelTcpTls, TokenAuthConfig tokenAuth,
                               ContentStorageConfig contentStorage) {
    public CmgServiceConfig {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(frontDoor, "frontDoor");
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(serverTls, "serverTls");
        clientTrustRoots = List.copyOf(clientTrustRoots);
        connectorTrustRoots = List.copyOf(connectorTrustRoots);
        publishedRoles = List.copyOf(publishedRoles);
        if (instanceIndex < 0 || instanceIndex > 15) {
            throw new IllegalArgumentException("instanceIndex: " + instanceIndex + " (expected: 0..15)");
        }
        if (maxRequestBodyBytes < 0) {
            throw new IllegalArgumentException("maxRequestBodyBytes: " + maxRequestBodyBytes + " (expected: >= 0)");
        }
        if (channel == null) {
            channel = ChannelTimings.defaults();
        }
    }

    /** Not content-enabled. */
    public CmgServiceConfig(String serviceName, String deploymentName, String siteCode, int instanceIndex,
                            Endpoint frontDoor, Endpoint channelHttps, Endpoint admin, TlsFiles serverTls,
                            List<String> clientTrustRoots, List<String> connectorTrustRoots,
                            List<PublishedRole> publishedRoles, int maxRequestBodyBytes, ChannelTimings channel,
                            String logDir, Endpoint channelTcpTls, TokenAuthConfig tokenAuth) {
        this(serviceName, deploymentName, siteCode, instanceIndex, frontDoor, channelHttps, admin, serverTls,
                clientTrustRoots, connectorTrustRoots, publishedRoles, maxRequestBodyBytes, channel, logDir,
                channelTcpTls, tokenAuth, null);
    }

    /** The same settings, content-enabled with this storage account. */
    public CmgServiceConfig withContentStorage(ContentStorageConfig storage) {
        return new CmgServiceConfig(serviceName, deploymentName, siteCode, instanceIndex, frontDoor, channelHttps,
                admin, serverTls, clientTrustRoots, connectorTrustRoots, publishedRoles, maxRequestBodyBytes, channel,
                logDir, channelTcpTls, tokenAuth, storage);
    }

    /** Without token authentication. */
    public CmgServiceConfig(String serviceName, String deploymentName, String siteCode, int instanceIndex,
                            Endpoint frontDoor, Endpoint channelHttps, Endpoint admin, TlsFiles serverTls,
                            List<String> clientTrustRoots, List<String> connectorTrustRoots,
                            List<PublishedRole> publishedRoles, int maxRequestBodyBytes, ChannelTimings channel,
                            String logDir, Endpoint channelTcpTls) {
        this(serviceName, deploymentName, siteCode, instanceIndex, frontDoor, channelHttps, admin, serverTls,
                clientTrustRoots, connectorTrustRoots, publishedRoles, maxRequestBodyBytes, channel, logDir,
                channelTcpTls, null);
    }

    /** {@code ProxyService_IN_<n>}, the role instance name the product uses in synced log names. */
    public String instanceName() {
        return "ProxyService_IN_" + instanceIndex;
    }
}
