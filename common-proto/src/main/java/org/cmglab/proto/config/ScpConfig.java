package org.cmglab.proto.config;

import java.util.List;
import java.util.Objects;

/**
 * The service connection point ({@code service-connection-point} process, the CloudMgr component).
 *
 * @param environment       Azure environment name (the site's environments table holds its endpoints)
 * @param tenantId          Entra ID tenant
 * @param clientId          the SCP's web app (client credentials)
 * @param clientSecret      its secret
 * @param subscriptionId    subscription
 * @param resourceGroup     resource group for the CMG
 * @param region            e.g. {@code westus}
 * @param deploymentMethod  {@code VirtualMachineScaleSet} or {@code CloudServiceClassic}
 * @param instances         VM instances, 1..16
 * @param vmSize            {@code Standard_B2s} (Lab), {@code Standard_A2_v2} (Standard), {@code Standard_A4_v2} (Large)
 * @param serviceName       CMG service name (CN of the server certificate)
 * @param serverCertificate the CMG server-auth certificate and key the admin chose in the wizard
 * @param trustedRoots      trusted root certificates for PKI client authentication (PEM files)
 * @param connectorRoots    roots that issue connection point certificates (PEM files)
 * @param publishedRoles    site roles allowed for CMG traffic
 * @param siteCode          site code
 * @param dnsServer         the DNS server the SCP resolves Azure names with (the lab DNS)
 * @param azureTrustRoots   roots trusted for the Azure endpoints' certificates (PEM files)
 * @param admin             status API
 * @param deployOnStart     deploy (or adopt an existing deployment) when the process starts
 * @param portOffset        added to every real port (0 as root)
 * @param stateDir          state folder
 * @param logDir            lab log folder
 */
public record ScpConfig(String environment, String tenantId, String clientId, String clientSecret,
                        String subscriptionId, String resourceGroup, String region, String deploymentMethod,
                        int instances, String vmSize, String serviceName, TlsFiles serverCertificate,
                        List<String> trustedRoots, List<String> connectorRoots, List<PublishedRole> publishedRoles,
                        String siteCode, Endpoint dnsServer, List<String> azureTrustRoots, Endpoint admin,
                        boolean deployOnStart, int portOffset, String stateDir, String logDir) {
    public ScpConfig {
        Objects.requireNonNull(environment, "environment");
        Objects.requireNonNull(serviceName, "serviceName");
        trustedRoots = List.copyOf(trustedRoots);
        connectorRoots = List.copyOf(connectorRoots);
        publishedRoles = List.copyOf(publishedRoles);
        azureTrustRoots = List.copyOf(azureTrustRoots);
    }

    public AzureEnvironment env() {
        return AzureEnvironment.of(environment);
    }

    /** First label of the service name: the deployment prefix (and storage account / key vault name). */
    public String prefix() {
        int dot = serviceName.indexOf('.');
        return (dot < 0 ? serviceName : serviceName.substring(0, dot)).toLowerCase(java.util.Locale.ROOT);
    }
}
