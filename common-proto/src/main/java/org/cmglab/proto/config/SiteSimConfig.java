package org.cmglab.proto.config;

import java.util.Objects;

/**
 * The emulated site roles ({@code site-sim} process): the management point.
 *
 * @param siteCode  site code, e.g. P01
 * @param mpName    NetBIOS name, e.g. MP01
 * @param mpFqdn    e.g. mp01.corp.contoso.com
 * @param mpRoleId  the MP's role id as published to the CMG
 * @param https     HTTPS (443) or HTTP (80)
 * @param mp        where the MP listens
 * @param mpTls     MP server certificate (HTTPS)
 * @param admin     admin endpoint
 * @param logDir    lab log folder
 * @param tokenAuth site tokens (SMS Token Signing Certificate, hierarchy id) and the onboarded Entra tenant for
 *                  {@code CCM_STS}; null = token authentication off (CCM_STS answers 404)
 * @param sup       the software update point, or null for none
 * @param messaging CcmMessaging settings of the MP (null: {@link MpMessagingConfig#defaults()})
 * @param contentStorage the content-enabled CMG's storage account the site distributes content to (needs
 *                  {@code tokenAuth} for the content access tokens and {@code messaging.cmgServiceName}); null = no
 *                  cloud content (docs/content-flow.md)
 */
public record SiteSimConfig(String siteCode, String mpName, String mpFqdn, String mpRoleId, boolean https, Endpoint mp,
                            TlsFiles mpTls, Endpoint admin, String logDir, TokenAuthConfig tokenAuth, SupConfig sup,
                            MpMessagingConfig messaging, ContentStorageConfig contentStorage) {
    /** Without cloud content. */
    public SiteSimConfig(String siteCode, String mpName, String mpFqdn, String mpRoleId, boolean https, Endpoint mp,
                         TlsFiles mpTls, Endpoint admin, String logDir, TokenAuthConfig tokenAuth, SupConfig sup,
                         MpMessagingConfig messaging) {
        this(siteCode, mpName, mpFqdn, mpRoleId, https, mp, mpTls, admin, logDir, tokenAuth, sup, messaging, null);
    }

    /** The same settings with cloud content. */
    public SiteSimConfig withContentStorage(ContentStorageConfig storage) {
        return new SiteSimConfig(siteCode, mpName, mpFqdn, mpRoleId, https, mp, mpTls, admin, logDir, tokenAuth, sup,
                messaging, storage);
    }

    /** Without messaging settings (defaults). */
    public SiteSimConfig(String siteCode, String mpName, String mpFqdn, String mpRoleId, boolean https, Endpoint mp,
                         TlsFiles mpTls, Endpoint admin, String logDir, TokenAuthConfig tokenAuth, SupConfig sup) {
        this(siteCode, mpName, mpFqdn, mpRoleId, https, mp, mpTls, admin, logDir, tokenAuth, sup, null);
    }

    /** Only messaging settings (no token authentication, no software update point). */
    public SiteSimConfig(String siteCode, String mpName, String mpFqdn, String mpRoleId, boolean https, Endpoint mp,
                         TlsFiles mpTls, Endpoint admin, String logDir, MpMessagingConfig messaging) {
        this(siteCode, mpName, mpFqdn, mpRoleId, https, mp, mpTls, admin, logDir, null, null, messaging);
    }

    /** Without token authentication. */
    public SiteSimConfig(String siteCode, String mpName, String mpFqdn, String mpRoleId, boolean https, Endpoint mp,
                         TlsFiles mpTls, Endpoint admin, String logDir, SupConfig sup) {
        this(siteCode, mpName, mpFqdn, mpRoleId, https, mp, mpTls, admin, logDir, null, sup, null);
    }

    /** Without a software update point. */
    public SiteSimConfig(String siteCode, String mpName, String mpFqdn, String mpRoleId, boolean https, Endpoint mp,
                         TlsFiles mpTls, Endpoint admin, String logDir, TokenAuthConfig tokenAuth) {
        this(siteCode, mpName, mpFqdn, mpRoleId, https, mp, mpTls, admin, logDir, tokenAuth, null, null);
    }

    /** {@link #messaging()} or the defaults. */
    public MpMessagingConfig messagingOrDefaults() {
        return messaging == null ? MpMessagingConfig.defaults() : messaging;
    }

    public SiteSimConfig {
        Objects.requireNonNull(siteCode, "siteCode");
        Objects.requireNonNull(mpFqdn, "mpFqdn");
        Objects.requireNonNull(mp, "mp");
        Objects.requireNonNull(admin, "admin");
        if (https) {
            Objects.requireNonNull(mpTls, "mpTls (required when https)");
        }
    }

    /** Without token authentication, a software update point or messaging settings. */
    public SiteSimConfig(String siteCode, String mpName, String mpFqdn, String mpRoleId, boolean https, Endpoint mp,
                         TlsFiles mpTls, Endpoint admin, String logDir) {
        this(siteCode, mpName, mpFqdn, mpRoleId, https, mp, mpTls, admin, logDir, null, null, null);
    }
}
