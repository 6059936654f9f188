package org.cmglab.proto.config;

import java.util.List;
import java.util.Locale;

/**
 * One row of the Azure environments table the site keeps (site DB {@code AzureEnvironments}): the host names of an
 * Azure cloud. The lab serves the public cloud and the US Government cloud.
 *
 * @param name              {@code AzurePublicCloud} or {@code AzureUSGovernmentCloud}
 * @param loginHost         Entra ID
 * @param managementHost    Resource Manager
 * @param graphHost         Microsoft Graph
 * @param vmssSuffix        scale-set deployment names are {@code <prefix>.<region>.<vmssSuffix>}
 * @param classicSuffix     classic deployment names are {@code <prefix>.<classicSuffix>}
 * @param blobSuffix        storage accounts are {@code <account>.<blobSuffix>}
 * @param keyVaultSuffix    key vaults are {@code <name>.<keyVaultSuffix>}
 */
public record AzureEnvironment(String name, String loginHost, String managementHost, String graphHost,
                               String vmssSuffix, String classicSuffix, String blobSuffix, String keyVaultSuffix) {
    public static final AzureEnvironment PUBLIC = new AzureEnvironment("AzurePublicCloud", "login.microsoftonline.com",
            "management.azure.com", "graph.microsoft.com", "cloudapp.azure.com", "cloudapp.net",
            "blob.core.windows.net", "vault.azure.net");
    public static final AzureEnvironment US_GOVERNMENT = new AzureEnvironment("AzureUSGovernmentCloud",
            "login.microsoftonline.us", "management.usgovcloudapi.net", "graph.microsoft.us",
            "cloudapp.usgovcloudapi.net", "usgovcloudapp.net", "blob.core.usgovcloudapi.net", "vault.usgovcloudapi.net");

    public static List<AzureEnvironment> all() {
        return List.of(PUBLIC, US_GOVERNMENT);
    }

    /** By name ({@code AzurePublicCloud}, {@code AzureUSGovernmentCloud}) or short name ({@code public}, {@code usgov}). */
    public static AzureEnvironment of(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.equals("public") || n.equals("azurepubliccloud")) {
            return PUBLIC;
        }
        if (n.equals("usgov") || n.equals("azureusgovernmentcloud")) {
            return US_GOVERNMENT;
        }
        throw new IllegalArgumentException("Azure environment: " + name
                + " (expected: AzurePublicCloud or AzureUSGovernmentCloud)");
    }

    /** The host names the emulated cloud front serves (login, management, graph). */
    public List<String> frontHosts() {
        return List.of(loginHost, managementHost, graphHost);
    }

    /** Scale-set deployment name: {@code granitefalls.westus.cloudapp.azure.com}. */
    public String vmssDeploymentName(String prefix, String region) {
        return (prefix + "." + region + "." + vmssSuffix).toLowerCase(Locale.ROOT);
    }

    /** Classic deployment name: {@code granitefalls.cloudapp.net}. */
    public String classicDeploymentName(String prefix) {
        return (prefix + "." + classicSuffix).toLowerCase(Locale.ROOT);
    }
}
