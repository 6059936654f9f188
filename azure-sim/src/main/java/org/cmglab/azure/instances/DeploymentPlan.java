package org.cmglab.azure.instances;

import java.util.List;
import java.util.Objects;
import org.cmglab.proto.config.PublishedRole;

/**
 * What the fabric runs for one validated CMG deployment.
 *
 * @param prefix            deployment prefix (lower case; also the storage account and key vault name)
 * @param classic           classic cloud service (TCP-TLS NAT rules) rather than a scale set
 * @param serviceName       CMG service name (CN of the server-auth certificate)
 * @param deploymentName    Azure DNS name of the deployment
 * @param siteCode          owning site
 * @param capacity          number of VM instances, 1..16
 * @param certificatePem    server-auth certificate chain, leaf first
 * @param privateKeyPem     its private key
 * @param trustedRootsPem   client trust roots
 * @param connectorRootsPem roots issuing connection point certificates
 * @param publishedRoles    roles the site published
 */
public record DeploymentPlan(String prefix, boolean classic, String serviceName, String deploymentName,
                             String siteCode, int capacity, String certificatePem, String privateKeyPem,
                             List<String> trustedRootsPem, List<String> connectorRootsPem,
                             List<PublishedRole> publishedRoles) {
    public static final int MAX_INSTANCES = 16;

    public DeploymentPlan {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(certificatePem, "certificatePem");
        Objects.requireNonNull(privateKeyPem, "privateKeyPem");
        if (capacity < 1 || capacity > MAX_INSTANCES) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: 1..16)");
        }
        trustedRootsPem = List.copyOf(trustedRootsPem);
        connectorRootsPem = List.copyOf(connectorRootsPem);
        publishedRoles = List.copyOf(publishedRoles);
    }

    public DeploymentPlan withCapacity(int n) {
        return new DeploymentPlan(prefix, classic, serviceName, deploymentName, siteCode, n, certificatePem,
                privateKeyPem, trustedRootsPem, connectorRootsPem, publishedRoles);
    }

    public DeploymentPlan withCertificate(String certPem, String keyPem) {
        return new DeploymentPlan(prefix, classic, serviceName, deploymentName, siteCode, capacity, certPem, keyPem,
                trustedRootsPem, connectorRootsPem, publishedRoles);
    }
}
