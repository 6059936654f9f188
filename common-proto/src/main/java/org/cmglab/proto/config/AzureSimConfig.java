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
 * @param storage               the Azurite that holds the CMG's storage account (containers, tables) and the
 *                              accounts' keys; null = no storage (the account is only recorded)
 * @param deviceCaFiles         device CA certificates (PEM files): Entra ID issues device tokens to devices whose
 *                              certificate ({@code CN=<device id>}) one of them issued; empty = no device tokens
 * @param cmgChannel            the channel keep-alive azure-sim writes into every CMG instance's config (PING interval
 *                              and deadline); null = {@link ChannelTimings#defaults()}
 * @param cmgTokenAuth          what azure-sim hands each CMG instance for {@code CCM_Proxy_ServerAuth} (the site's
 *                              token-signing certificate, hierarchy id, the onboarded tenant); azure-sim adds its
 *                              Entra JWKS. Null = the CMG instances refuse every bearer token
 */
public record AzureSimConfig(String environment, String tenantId, String subscriptionId, Endpoint front, Endpoint dns,
                             Endpoint admin, TlsFiles frontTls, List<AppRegistration> apps, List<DirectoryUser> users,
                             String vipAddress, String instanceAddressPrefix, int portOffset, String cmgServiceJar,
                             List<DnsRecord> customerZone, String stateDir, String logDir, String storageAddress,
                             StorageService storage, List<String> deviceCaFiles, ChannelTimings cmgChannel,
                             TokenAuthConfig cmgTokenAuth) {
    /**
     * The Entra tenant's token-signing key in {@link #stateDir()} (PKCS#8 PEM, 0600): made by the lab with its plan
     * ({@code LabPlan.materialize}), or by azure-sim on its first start; the same key for every start of the lab.
     */
    public static final String ENTRA_SIGNING_KEY_FILE = "entra-signing-key.pem";

    public AzureSimConfig {
        cmgChannel = cmgChannel == null ? ChannelTimings.defaults() : cmgChannel;
        deviceCaFiles = deviceCaFiles == null ? List.of() : List.copyOf(deviceCaFiles);
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

    /** With the default CMG channel keep-alive and without token authentication for the CMG instances. */
    public AzureSimConfig(String environment, String tenantId, String subscriptionId, Endpoint front, Endpoint dns,
                          Endpoint admin, TlsFiles frontTls, List<AppRegistration> apps, List<DirectoryUser> users,
                          String vipAddress, String instanceAddressPrefix, int portOffset, String cmgServiceJar,
                          List<DnsRecord> customerZone, String stateDir, String logDir, String storageAddress,
                          StorageService storage, List<String> deviceCaFiles) {
        this(environment, tenantId, subscriptionId, front, dns, admin, frontTls, apps, users, vipAddress,
                instanceAddressPrefix, portOffset, cmgServiceJar, customerZone, stateDir, logDir, storageAddress, storage,
                deviceCaFiles, null, null);
    }

    /** Without token authentication for the CMG instances. */
    public AzureSimConfig(String environment, String tenantId, String subscriptionId, Endpoint front, Endpoint dns,
                          Endpoint admin, TlsFiles frontTls, List<AppRegistration> apps, List<DirectoryUser> users,
                          String vipAddress, String instanceAddressPrefix, int portOffset, String cmgServiceJar,
                          List<DnsRecord> customerZone, String stateDir, String logDir, String storageAddress,
                          StorageService storage, List<String> deviceCaFiles, ChannelTimings cmgChannel) {
        this(environment, tenantId, subscriptionId, front, dns, admin, frontTls, apps, users, vipAddress,
                instanceAddressPrefix, portOffset, cmgServiceJar, customerZone, stateDir, logDir, storageAddress, storage,
                deviceCaFiles, cmgChannel, null);
    }

    /** With the default CMG channel keep-alive. */
    public AzureSimConfig(String environment, String tenantId, String subscriptionId, Endpoint front, Endpoint dns,
                          Endpoint admin, TlsFiles frontTls, List<AppRegistration> apps, List<DirectoryUser> users,
                          String vipAddress, String instanceAddressPrefix, int portOffset, String cmgServiceJar,
                          List<DnsRecord> customerZone, String stateDir, String logDir, String storageAddress,
                          StorageService storage, List<String> deviceCaFiles, TokenAuthConfig cmgTokenAuth) {
        this(environment, tenantId, subscriptionId, front, dns, admin, frontTls, apps, users, vipAddress,
                instanceAddressPrefix, portOffset, cmgServiceJar, customerZone, stateDir, logDir, storageAddress, storage,
                deviceCaFiles, null, cmgTokenAuth);
    }

    /** Without device CAs (no device tokens). */
    public AzureSimConfig(String environment, String tenantId, String subscriptionId, Endpoint front, Endpoint dns,
                          Endpoint admin, TlsFiles frontTls, List<AppRegistration> apps, List<DirectoryUser> users,
                          String vipAddress, String instanceAddressPrefix, int portOffset, String cmgServiceJar,
                          List<DnsRecord> customerZone, String stateDir, String logDir, String storageAddress,
                          StorageService storage) {
        this(environment, tenantId, subscriptionId, front, dns, admin, frontTls, apps, users, vipAddress,
                instanceAddressPrefix, portOffset, cmgServiceJar, customerZone, stateDir, logDir, storageAddress, storage,
                List.of());
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

    /**
     * The Azurite that plays Azure Storage for the CMG's storage account. Azure-sim reaches it path-style
     * ({@code <endpoint>/<account>}, Azurite's IP-style URLs) with the account's shared key.
     *
     * @param blobEndpoint  e.g. {@code http://127.77.5.10:10000} (loopback, no account path)
     * @param tableEndpoint e.g. {@code http://127.77.5.10:10002}
     * @param keys          the storage accounts Azurite was started with and their keys (base64); secrets, never
     *                      logged ({@link StorageAccountKey#toString()} hides the key)
     * @param trustRoots    roots trusted for Azurite's certificate when the endpoints are HTTPS (PEM files)
     */
    public record StorageService(String blobEndpoint, String tableEndpoint, List<StorageAccountKey> keys,
                                 List<String> trustRoots) {
        /** Plain HTTP (no trust roots). */
        public StorageService(String blobEndpoint, String tableEndpoint, List<StorageAccountKey> keys) {
            this(blobEndpoint, tableEndpoint, keys, null);
        }

        public StorageService {
            trustRoots = trustRoots == null ? List.of() : List.copyOf(trustRoots);
            Objects.requireNonNull(blobEndpoint, "blobEndpoint");
            Objects.requireNonNull(tableEndpoint, "tableEndpoint");
            Loopback.require(java.net.URI.create(blobEndpoint).getHost(), "storage.blobEndpoint");
            Loopback.require(java.net.URI.create(tableEndpoint).getHost(), "storage.tableEndpoint");
            keys = keys == null ? List.of() : List.copyOf(keys);
        }

        /** The key of {@code account} (case-insensitive; storage account names are lower case), or null. */
        public String keyOf(String account) {
            for (StorageAccountKey k : keys) {
                if (k.account().equalsIgnoreCase(account)) {
                    return k.key();
                }
            }
            return null;
        }
    }

    /** A storage account and its shared key (base64). */
    public record StorageAccountKey(String account, String key) {
        public StorageAccountKey {
            Objects.requireNonNull(account, "account");
            Objects.requireNonNull(key, "key");
        }

        @Override
        public String toString() {
            return "StorageAccountKey[account=" + account + ", key=(hidden)]";
        }
    }

    /** A DNS record: {@code A} (value = loopback address) or {@code CNAME} (value = target name). */
    public record DnsRecord(String name, String type, String value) {}
}
