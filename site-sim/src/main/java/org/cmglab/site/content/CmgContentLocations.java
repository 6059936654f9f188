package org.cmglab.site.content;

import static org.cmglab.proto.ccm.SafeXml.esc;

import java.security.PrivateKey;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.cmglab.proto.content.ContentManifest;
import org.cmglab.proto.content.ContentToken;
import org.cmglab.site.ccm.ContentLocationSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The content-enabled CMG as a content location (flow C1/C2): only for content in the {@link CloudContentCatalog},
 * one {@code <LocationRecord>} whose URL is
 * {@code https://<CMG service name>[:port]/downloadrestservice.svc/getcontentxmlsecure?pid=…&cid=…} with the
 * site-signed content access token appended ({@link ContentToken}: {@code tid, iss, alg, st, et, sig}, 24 h, scoped
 * to the requesting client and this content).
 */
public final class CmgContentLocations implements ContentLocationSource {
    private static final Logger log = LoggerFactory.getLogger("MP_Location");
    public static final String PATH = "/downloadrestservice.svc/getcontentxmlsecure";

    private final CloudContentCatalog catalog;
    private final String cmgHost;
    private final String mpFqdn;
    private final int mpVersion;
    private final PrivateKey signingKey;
    private final Clock clock;

    /**
     * @param cmgHost    the CMG service name, with {@code :port} when not 443
     * @param signingKey the site's token-signing key
     */
    public CmgContentLocations(CloudContentCatalog catalog, String cmgHost, String mpFqdn, int mpVersion,
                               PrivateKey signingKey, Clock clock) {
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        this.cmgHost = Objects.requireNonNull(cmgHost, "cmgHost");
        this.mpFqdn = Objects.requireNonNull(mpFqdn, "mpFqdn");
        this.mpVersion = mpVersion;
        this.signingKey = Objects.requireNonNull(signingKey, "signingKey");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public List<String> locationRecords(String packageId, String version, boolean onInternet) {
        return locationRecords(packageId, version, onInternet, null);
    }

    @Override
    public List<String> locationRecords(String packageId, String version, boolean onInternet, String clientId) {
        Optional<ContentManifest> m = catalog.find(packageId);
        if (m.isEmpty()) {
            log.info("Content {} is not on the cloud distribution point {}; not offered", packageId, cmgHost);
            return List.of();
        }
        if (version != null && !version.isBlank() && !version.equals(Integer.toString(m.get().version()))) {
            log.info("Content {} version {} requested, the cloud distribution point has version {}; not offered",
                    packageId, version, m.get().version());
            return List.of();
        }
        if (clientId == null || clientId.isBlank()) {
            log.warn("Content location request for {} without a client id (SourceID): no content access token,"
                    + " the cloud distribution point is not offered", packageId);
            return List.of();
        }
        ContentToken t = ContentToken.issue(m.get().packageId(), m.get().contentId(), clientId, mpFqdn, clock,
                signingKey);
        log.info("Offering cloud distribution point {} for {} to {} (content access token valid {} .. {})", cmgHost,
                packageId, clientId, t.start(), t.end());
        String url = "https://" + cmgHost + PATH + "?" + t.query();
        return List.of("<LocationRecord><URL Name=\"" + esc(url) + "\" Signature=\"\"/><ADSite Name=\"\"/>"
                + "<IPSubnets/><Metric Value=\"\"/><Version>" + mpVersion + "</Version>"
                + "<Capabilities SchemaVersion=\"1.0\"><Property Name=\"SSLState\" Value=\"1\"/></Capabilities>"
                + "<ServerRemoteName>" + esc(cmgHost.split(":")[0]) + "</ServerRemoteName><DPType>CLOUD</DPType>"
                + "<Windows Trust=\"0\"/><Locality>INTERNET</Locality></LocationRecord>");
    }
}
