package org.cmglab.site.ccm;

import static org.cmglab.proto.ccm.SafeXml.esc;

import java.util.List;
import java.util.Locale;
import org.cmglab.proto.ccm.CcmFormatException;
import org.cmglab.proto.ccm.SafeXml;
import org.cmglab.proto.config.MpMessagingConfig;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * {@code MP_LocationManager} (Visibility All: no signature needed): {@code EnumerateMPLocationRequest},
 * {@code SiteInformationRequest}, {@code ContentLocationRequest}, {@code WSUSLocationRequest}. Reply shapes are
 * the lab's (docs/mp-wire-formats.md; the product's exact attributes are not public).
 */
final class LocationReplies {
    private final String siteCode;
    private final String mpName;
    private final String mpFqdn;
    private final boolean mpHttps;
    private final int mpVersion;
    private final MpMessagingConfig cfg;
    private final ContentLocationSource cloudContent;

    LocationReplies(String siteCode, String mpName, String mpFqdn, boolean mpHttps, int mpVersion,
                    MpMessagingConfig cfg, ContentLocationSource cloudContent) {
        this.siteCode = siteCode;
        this.mpName = mpName;
        this.mpFqdn = mpFqdn;
        this.mpHttps = mpHttps;
        this.mpVersion = mpVersion;
        this.cfg = cfg;
        this.cloudContent = cloudContent;
    }

    /** The request root's name, e.g. {@code WSUSLocationRequest} (for logs). */
    static String requestName(Document d) {
        return d.getDocumentElement().getTagName();
    }

    /**
     * @param tokenAuth the message came on {@code ccm_system_tokenauth} (its SUP URL uses {@code CCM_Proxy_ServerAuth})
     */
    String reply(Document d, boolean tokenAuth) {
        return reply(d, tokenAuth, null);
    }

    /** @param clientId the message's SourceID ({@code GUID:…}) or null; content tokens are scoped to it */
    String reply(Document d, boolean tokenAuth, String clientId) {
        Element root = d.getDocumentElement();
        return switch (root.getTagName()) {
            case "EnumerateMPLocationRequest" -> mpLocations();
            case "SiteInformationRequest" -> siteInfo();
            case "ContentLocationRequest" -> contentLocations(root, clientId);
            case "WSUSLocationRequest" -> wsusLocation(root, tokenAuth);
            default -> throw new CcmFormatException(CcmFormatException.Reason.MISSING_FIELD,
                    "MP_LocationManager does not handle <" + root.getTagName() + ">");
        };
    }

    /** The site's MPs: the intranet MP and, with a CMG, the CMG as internet MP ({@code <CMG>/CCM_Proxy_MutualAuth/<id>}). */
    String mpLocations() {
        StringBuilder s = new StringBuilder("<MPLocationReply SchemaVersion=\"1.00\"><Sites><Site><MPSite SiteCode=\"")
                .append(esc(siteCode)).append("\" MasterSiteCode=\"").append(esc(siteCode))
                .append("\" SiteLocality=\"LOCAL\"/><LocationRecords>");
        s.append(record((mpHttps ? "HTTPS://" : "HTTP://") + mpFqdn, mpHttps ? 1 : 0, "Intranet"));
        if (cfg.cmgServiceName() != null && cfg.mpRoleId() != null) {
            s.append(record(cmgHost() + "/CCM_Proxy_MutualAuth/" + cfg.mpRoleId(), 1, "Internet"));
        }
        return s.append("</LocationRecords></Site></Sites></MPLocationReply>").toString();
    }

    private String record(String url, int sslState, String type) {
        return "<LocationRecord><URL Name=\"" + esc(url) + "\"/><Version>" + mpVersion + "</Version>"
                + "<Capabilities SchemaVersion=\"1.0\"><Property Name=\"SSLState\" Value=\"" + sslState + "\"/>"
                + "</Capabilities><ServerName>" + esc(mpName) + "</ServerName><ServerRemoteName>" + esc(mpFqdn)
                + "</ServerRemoteName><SiteCode>" + esc(siteCode) + "</SiteCode><Type>" + type + "</Type>"
                + "</LocationRecord>";
    }

    /** {@code GraniteFalls.contoso.com[:port]} */
    private String cmgHost() {
        return cfg.cmgServiceName() + (cfg.cmgPort() == null || cfg.cmgPort() == 443 ? "" : ":" + cfg.cmgPort());
    }

    String siteInfo() {
        return "<SiteInfoReply SchemaVersion=\"1.00\"><Site><Code>" + esc(siteCode) + "</Code><Version>5.00."
                + mpVersion + ".1000</Version><DefaultMP>" + esc(mpFqdn) + "</DefaultMP>"
                + (cfg.cmgServiceName() == null ? "" : "<InternetMP>" + esc(cmgHost() + "/CCM_Proxy_MutualAuth/"
                + cfg.mpRoleId()) + "</InternetMP>")
                + "<Capabilities SchemaVersion=\"1.0\"><Property Name=\"SSLState\" Value=\"" + (mpHttps ? 1 : 0)
                + "\"/></Capabilities></Site></SiteInfoReply>";
    }

    String contentLocations(Element root) {
        return contentLocations(root, null);
    }

    String contentLocations(Element root, String clientId) {
        Element pkg = SafeXml.first(root, "Package");
        String id = pkg == null ? null : pkg.getAttribute("ID");
        if (id == null || id.isBlank()) {
            throw new CcmFormatException(CcmFormatException.Reason.MISSING_FIELD,
                    "ContentLocationRequest without Package/@ID");
        }
        String version = pkg.getAttribute("Version");
        boolean internet = onInternet(root);
        StringBuilder s = new StringBuilder("<ContentLocationReply SchemaVersion=\"1.00\"><ContentInfo PackageFlags=\"0\"/>"
                + "<Sites><Site><MPSite SiteCode=\"").append(esc(siteCode)).append("\" MasterSiteCode=\"")
                .append(esc(siteCode)).append("\" SiteLocality=\"LOCAL\"/><LocationRecords>");
        if (!internet) {
            s.append(dpRecord(mpFqdn, mpHttps, mpVersion, id));
        }
        for (String r : cloudContent.locationRecords(id, version, internet, clientId)) {
            s.append(r);
        }
        return s.append("</LocationRecords></Site></Sites><RelatedContentIDs/></ContentLocationReply>").toString();
    }

    /** An on-premises DP's {@code <LocationRecord>} for package {@code id} (the MP's own DP or another one). */
    static String dpRecord(String dpFqdn, boolean https, int version, String id) {
        String scheme = https ? "https://" : "http://";
        return "<LocationRecord><URL Name=\"" + esc(scheme + dpFqdn + "/SMS_DP_SMSPKG$/" + id) + "\" Signature=\""
                + esc(scheme + dpFqdn + "/SMS_DP_SMSSIG$/" + id) + "\"/><ADSite Name=\"Default-First-Site-Name\"/>"
                + "<IPSubnets/><Metric Value=\"\"/><Version>" + version + "</Version><Capabilities SchemaVersion=\"1.0\">"
                + "<Property Name=\"SSLState\" Value=\"" + (https ? 1 : 0) + "\"/></Capabilities><ServerRemoteName>"
                + esc(dpFqdn) + "</ServerRemoteName><DPType>SERVER</DPType><Windows Trust=\"1\"/>"
                + "<Locality>SUBNET</Locality></LocationRecord>";
    }

    /**
     * The SUP: through the CMG ({@code https://<CMG>/CCM_Proxy_{MutualAuth|ServerAuth}/<SUP role id>}) for
     * internet clients, the intranet URL otherwise.
     */
    String wsusLocation(Element root, boolean tokenAuth) {
        boolean internet = onInternet(root);
        String sup = cfg.supFqdnOrDefault(mpFqdn);
        String url = internet && cfg.cmgServiceName() != null
                ? "https://" + cmgHost() + "/CCM_Proxy_" + (tokenAuth ? "ServerAuth" : "MutualAuth") + "/"
                        + cfg.supRoleIdOrDefault()
                : cfg.supIntranetUrlOrDefault(mpFqdn);
        return "<WSUSLocationReply SchemaVersion=\"1.00\"><Sites><Site><MPSite SiteCode=\"" + esc(siteCode)
                + "\"/><LocationRecords><LocationRecord WSUSURL=\"" + esc(url) + "\" ServerName=\"" + esc(sup)
                + "\" Version=\"" + mpVersion + "\"/></LocationRecords></Site></Sites></WSUSLocationReply>";
    }

    static boolean onInternet(Element root) {
        Element info = SafeXml.first(root, "ClientLocationInfo");
        if (info == null) {
            return false;
        }
        String v = info.getAttribute("OnInternet");
        if (v.isEmpty()) {
            v = info.getAttribute("UseInternetDP");
        }
        return "1".equals(v) || "true".equals(v.toLowerCase(Locale.ROOT));
    }

    List<String> handled() {
        return List.of("EnumerateMPLocationRequest", "SiteInformationRequest", "ContentLocationRequest",
                "WSUSLocationRequest");
    }
}
