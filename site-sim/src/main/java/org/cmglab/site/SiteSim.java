package org.cmglab.site;

import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import javax.net.ssl.SSLException;
import java.time.Clock;
import java.util.Map;
import org.cmglab.proto.config.MpMessagingConfig;
import org.cmglab.proto.config.SiteSimConfig;
import org.cmglab.proto.log.ProductLogs;
import org.cmglab.site.ccm.CcmMessagingHandler;
import org.cmglab.site.ccm.ContentLocationSource;
import org.cmglab.site.ccm.MpMessaging;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.ClientAuthMode;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.site.mp.ManagementPointServer;
import org.cmglab.site.mp.MpIdentity;
import org.cmglab.site.mp.SmsAutResponder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The site-sim process without its {@code main}: builds the MP identity from the config and runs the management
 * point on the component's event loops.
 *
 * <p>An HTTPS MP presents {@code mpTls} and does not request client certificates yet (so an HTTPS MP answers
 * {@code .sms_aut} to anyone; "403 client certificate required" for HTTPS MPs comes later). The site signing
 * certificate is the MP certificate for now. An HTTP MP without {@code mpTls} publishes a throw-away
 * certificate ({@code ?MPCERT}, {@code ?SITESIGNCERT}) made when the process starts.
 */
public final class SiteSim implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SiteSim.class);

    /** MP build number the lab publishes (MPLIST {@code Version}; ConfigMgr 2403). */
    public static final int MP_VERSION = 9128;

    private final SiteSimConfig config;
    private final MpIdentity identity;
    private final ManagementPointServer server;
    private final MpRequestObserver observer;
    private final MpMessaging messaging;
    private final ManagementPointServer extraHttp;
    private volatile InetSocketAddress adminAddress;
    private volatile org.cmglab.site.sts.SiteTokenAuthority tokens;
    private volatile org.cmglab.site.content.SiteContent content;
    private org.cmglab.site.sup.SoftwareUpdatePointServer sup;
    private final org.cmglab.site.mp.ReceivedRequestRecorder received;
    private volatile org.cmglab.site.mp.MpSlowdown slowdown;
    private volatile org.cmglab.site.ccm.DistributionPoints dps;

    private SiteSim(SiteSimConfig config, MpIdentity identity, ManagementPointServer server,
                    MpRequestObserver observer, org.cmglab.site.mp.ReceivedRequestRecorder received,
                    MpMessaging messaging, ManagementPointServer extraHttp) {
        this.config = config;
        this.received = received;
        this.identity = identity;
        this.server = server;
        this.observer = observer;
        this.messaging = messaging;
        this.extraHttp = extraHttp;
    }

    /** Starts the MP on {@code config.mp()}; it is closed with the runtime. */
    public static SiteSim start(SiteSimConfig config, ComponentRuntime runtime) throws IOException {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(runtime, "runtime");
        IssuedCert mpCert = config.mpTls() == null ? throwAwayCert(config)
                : IssuedCert.readPem(Path.of(config.mpTls().certFile()), Path.of(config.mpTls().keyFile()));
        MpIdentity identity = identity(config, mpCert.certificate());
        SslContext ssl = config.https() ? serverContext(mpCert) : null;
        ManagementPointServer[] holder = new ManagementPointServer[1];
        org.cmglab.site.mp.ReceivedRequestRecorder received = new org.cmglab.site.mp.ReceivedRequestRecorder();
        MpRequestObserver observer = new MpRequestObserver(runtime.events(), identity.name(),
                () -> holder[0] == null ? config.mp().port() : holder[0].boundAddress().getPort(), runtime.registry());
        MpMessagingConfig mc = config.messagingOrDefaults();
        org.cmglab.site.sts.SiteTokenAuthority tokens = SiteTokenSetup.authority(config, runtime);
        org.cmglab.site.content.SiteContent content = org.cmglab.site.content.SiteContent.fromConfig(config,
                identity.fqdn(), MP_VERSION, Clock.systemUTC());
        if (content != null) {
            runtime.onClose(content);
        }
        org.cmglab.site.ccm.DistributionPoints dps = new org.cmglab.site.ccm.DistributionPoints(identity.fqdn(),
                config.https(), MP_VERSION);
        MpMessaging messaging = new MpMessaging(config.siteCode(), identity.name(), identity.fqdn(), config.https(),
                MP_VERSION, mc, SiteTokenSetup.messageAuthenticator(tokens),
                dps.then(content == null ? ContentLocationSource.NONE : content.locations()), Clock.systemUTC());
        if (tokens != null) {
            messaging.clientTokenIssuer(tokens::issueClientToken);
        }
        for (String product : List.of("MP_RegistrationManager", "MP_Policy", "MP_Location")) {
            runtime.onClose(ProductLogs.attach(runtime.logDir(), product));
        }
        CcmMessagingHandler ccm = new CcmMessagingHandler(messaging, observer);
        io.netty.channel.ChannelHandler ccmSts = SiteTokenSetup.ccmSts(tokens, observer);
        org.cmglab.site.mp.MpSlowdown slowdown = new org.cmglab.site.mp.MpSlowdown();
        holder[0] = ManagementPointServer.start(config.mp().socketAddress(), ssl, new SmsAutResponder(identity),
                observer, runtime.group(), received, ccmSts, ccm, slowdown);
        ManagementPointServer extra = mc.extraHttp() == null ? null : ManagementPointServer.start(
                mc.extraHttp().socketAddress(), null, new SmsAutResponder(identity), observer, runtime.group(),
                received, ccmSts, ccm, slowdown);
        SiteSim sim = runtime.onClose(new SiteSim(config, identity, holder[0], observer, received, messaging, extra));
        sim.slowdown = slowdown;
        sim.tokens = tokens;
        sim.content = content;
        sim.dps = dps;
        sim.sup = config.sup() == null ? null : runtime.onClose(org.cmglab.site.sup.SupLauncher.start(config.sup(), runtime));
        log.info("Management point {} ({}) of site {} serves {}", identity.name(), identity.fqdn(),
                identity.siteCode(), sim.url());
        return sim;
    }

    /** What {@code main} does before waiting: {@link #start}, the admin endpoint on {@code config.admin()}, READY. */
    public static SiteSim launch(SiteSimConfig config, ComponentRuntime runtime) throws Exception {
        SiteSim sim = start(config, runtime);
        java.util.Map<String, org.cmglab.proto.runtime.AdminAction> actions =
                new java.util.LinkedHashMap<>(SiteTokenSetup.adminActions(sim.tokens));
        if (sim.content != null) {
            actions.putAll(sim.content.adminActions());
        }
        actions.put("received", (q, body) -> sim.received(q.getOrDefault("trace", java.util.List.of()).stream()
                .findFirst().orElse(null)));
        actions.put("dps", (q, body) -> sim.dps.adminPlace(q));
        actions.put("slow", (q, body) -> sim.slow(q.getOrDefault("ms", java.util.List.of()).stream().findFirst()
                .orElse(null)));
        sim.adminAddress = runtime.startAdmin(config.admin(), sim::isListening, sim::status, actions).boundAddress();
        runtime.ready("MP " + sim.url());
        return sim;
    }

    static MpIdentity identity(SiteSimConfig config, X509Certificate mpCertificate) {
        String name = config.mpName() != null ? config.mpName()
                : config.mpFqdn().split("\\.", 2)[0].toUpperCase(Locale.ROOT);
        return new MpIdentity(name, config.mpFqdn(), config.siteCode(), MP_VERSION, config.https(),
                mpCertificate, mpCertificate,
                unknownMachineGuid(config.siteCode(), "x64"), unknownMachineGuid(config.siteCode(), "x86"));
    }

    /** Stable per site: the same site code always publishes the same "All Unknown Computers" GUIDs. */
    static String unknownMachineGuid(String siteCode, String arch) {
        return UUID.nameUUIDFromBytes(("cmglab:" + siteCode.toUpperCase(Locale.ROOT) + ":" + arch
                + "UnknownMachine").getBytes(StandardCharsets.UTF_8)).toString();
    }

    private static SslContext serverContext(IssuedCert mpCert) throws SSLException {
        return TlsContexts.server(mpCert, ClientAuthMode.NONE, List.of());
    }

    private static IssuedCert throwAwayCert(SiteSimConfig config) {
        return LabCa.createEphemeral().issue(CertSpec.server(config.mpFqdn(), List.of(config.mpFqdn()), List.of()));
    }

    public InetSocketAddress boundAddress() {
        return server.boundAddress();
    }

    /** Where {@link #launch} started the admin endpoint, or null after a bare {@link #start}. */
    public InetSocketAddress adminAddress() {
        return adminAddress;
    }

    /** The site's token side (CCM_STS, client tokens, bulk tokens), or null when the config has no tokenAuth. */
    public org.cmglab.site.sts.SiteTokenAuthority tokenAuthority() {
        return tokens;
    }

    public MpIdentity identity() {
        return identity;
    }

    public boolean isListening() {
        return server.isListening() && (sup == null || sup.isListening());
    }

    /** What the MP received (as on the wire) for one trace; the admin action {@code POST /received?trace=<id>}. */
    public java.util.List<org.cmglab.site.mp.ReceivedRequestRecorder.Received> received(String traceId) {
        return received.received(traceId);
    }

    /**
     * The admin action {@code POST /slow?ms=<0..60000>}: the MP answers every request that much later (0: off), for
     * the fault matrix; {@code {"slowMs": n}}.
     */
    public java.util.Map<String, Object> slow(String ms) {
        long v;
        try {
            v = Long.parseLong(String.valueOf(ms).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("ms must be a number of milliseconds (got " + ms + ")");
        }
        slowdown.delayMillis(v);
        return java.util.Map.of("slowMs", v);
    }

    /**
     * The site's other on-premises DPs and what they hold (admin action {@code POST /dps?package=<id>&count=<n>}):
     * intranet location replies list them after the MP's own DP.
     */
    public org.cmglab.site.ccm.DistributionPoints distributionPoints() {
        return dps;
    }

    /** The software update point, or null when the config has none. */
    public org.cmglab.site.sup.SoftwareUpdatePointServer sup() {
        return sup;
    }

    public long requestsServed() {
        return observer.served();
    }

    /** {@code https://mp01.corp.contoso.com:443} */
    public String url() {
        return (config.https() ? "https://" : "http://") + config.mpFqdn() + ":" + boundAddress().getPort();
    }

    /** The admin endpoint's {@code /status}. */
    public Status status() {
        InetSocketAddress a = boundAddress();
        return new Status(config.siteCode(), new Mp(identity.name(), identity.fqdn(),
                a.getAddress().getHostAddress() + ":" + a.getPort(), config.https(), config.mpRoleId(),
                isListening()), requestsServed(), messaging.status(),
                sup == null ? null : org.cmglab.site.sup.SupLauncher.status(config.sup(), sup));
    }

    /** The site's cloud content (distribution to the CMG), or null when not configured. */
    public org.cmglab.site.content.SiteContent content() {
        return content;
    }

    /** The MP's messaging (registrations, counters). */
    public MpMessaging messaging() {
        return messaging;
    }

    /** The second, plain-HTTP listener ({@code messaging.extraHttp}), or null. */
    public InetSocketAddress extraHttpAddress() {
        return extraHttp == null ? null : extraHttp.boundAddress();
    }

    @Override
    public void close() {
        server.close();
        if (extraHttp != null) {
            extraHttp.close();
        }
    }

    /** {@code /status} of site-sim ({@code messaging}: registered clients, messages per endpoint, refusals). */
    public record Status(String siteCode, Mp mp, long requestsServed, Map<String, Object> messaging,
                         org.cmglab.site.sup.SupLauncher.SupStatus sup) {}

    /** The MP part of {@link Status}. */
    public record Mp(String name, String fqdn, String listening, boolean https, String roleId, boolean up) {}
}
