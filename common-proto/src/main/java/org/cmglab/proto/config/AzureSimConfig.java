package org.cmglab.proto.config;

import java.util.List;
import java.util.Objects;

/**
 * The emulated Azure ({@code azure-sim} process).
 *
 * @param environment           {@code AzurePublicCloud} or {@code AzureUSGovernmentCloud}
 * @param tenantId              the Entra ID tenant (GUID)
 * @param subscriptionId        the subscription the CMG is deployed into (GUID)
 * @param front                 HTTPS 443 serving the login, management and graph host names of the environment
 * @param dns                   DNS 53, UDP and TCP
 * @param admin                 admin endpoint
 * @param frontTls              certificate naming every front host
 * @param apps                  app registrations (the SCP's web app with its secret, the CMG server app, the client app)
 * @param users                 directory users (Graph, user tokens)
 * @param vipAddress            load balancer VIP of the CMG deployment
 * @param instanceAddressPrefix VM instance i listens on {@code prefix + (10 + i)}, e.g. {@code 127.77.1.}
 * @param portOffset            added to every real port (0 as root)
 * @param cmgServiceJar         the jar started for each VM instance
 * @param customerZone          the customer's DNS records (CNAME service name → deployment name, on-prem A records)
 * @param stateDir              where deployments, instance configs and certificates are kept
 * @param logDir                lab log folder
 * @param storageAddress        where storage account names ({@code <account>.blob.core.windows.net}) resolve: Azurite
 */
public record AzureSimConfig(String environment, String tenantId, String subscriptionId, Endpoint front, Endpoint dns,
                             Endpoint admin, TlsFiles frontTls, List<AppRegistration> apps, List<DirectoryUser> users,
                             String vipAddress, String instanceAddressPrefix, int portOffset, String cmgServiceJar,
                             List<DnsRecord> customerZone, String stateDir, String logDir, String storageAddress) {
    public AzureSimConfig {
        Objects.requireNonNull(environment, "environment");
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(subscriptionId, "subscriptionId");
        Objects.requireNonNull(front, "front");
        Objects.requireNonNull(dns, "dns");
        Loopback.require(vipAddress, "vipAddress");
        apps = List.copyOf(apps);
        users = List.copyOf(users);
        customerZone = List.copyOf(customerZone);
        Loopback.require(storageAddress, "storageAddress");
    }

    public AzureEnvironment env() {
        return AzureEnvironment.of(environment);
    }

    /**
     * An Entra ID app registration.
     *
     * @param clientId     application (client) id
     * @param displayName  e.g. {@code CMG Lab SCP}
     * @param secret       client secret (null for a public/native client)
     * @param appIdUri     App ID URI (e.g. {@code https://ConfigMgrService}), or null
     * @param redirectUris reply URLs
     */
    public record AppRegistration(String clientId, String displayName, String secret, String appIdUri,
                                  List<String> redirectUris) {}

    /** A directory user. */
    public record DirectoryUser(String userPrincipalName, String objectId, String displayName, String password) {}

    /** A DNS record: {@code A} (value = loopback address) or {@code CNAME} (value = target name). */
    public record DnsRecord(String name, String type, String value) {}
}
