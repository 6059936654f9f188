package org.cmglab.client.load;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import org.cmglab.proto.ccm.CcmMultipart;
import org.cmglab.proto.ccm.ClientRequests;
import org.cmglab.proto.ccm.ClientSigningCert;
import org.cmglab.proto.flow.TraceContext;

/**
 * Builds the HTTP request of each {@link LoadKind} for simulated client {@code i}, and checks a reply is what that
 * kind expects. Every client has its own SMSID ({@code GUID:<name-based UUID of its index>}), NetBIOS name and FQDN
 * in its messages; the location messages are not signed (the MP does not ask for it), so the run shares one
 * throw-away "ConfigMgr Client" key for {@link ClientRequests} instead of making an RSA key per client. PKI clients
 * use {@code CCM_Proxy_MutualAuth} (their certificate proves them); token clients {@code CCM_Proxy_ServerAuth} with
 * their own CCM token on every request (docs/client-auth.md, "What the CMG checks").
 */
final class LoadRequests {
    static final String USER_AGENT = "ConfigMgr Messaging HTTP Sender";
    /** The machine policies the lab MP serves to anyone: ids as site-sim's LabPolicies names them. */
    static final String[] POLICY_CATEGORIES = {"ClientAgentConfig", "SoftwareUpdatesAgentConfig"};

    private final String hostHeader;
    private final String prefix;
    private final String siteCode;
    private final String mpHost;
    private final String packageId;
    private final String[] policyIds;
    private final ClientSigningCert.Generated shared;
    private final int first;
    private final String[] bearers;
    private final String messagingPath;

    /**
     * @param hostHeader the CMG service name (with {@code :port} when not 443)
     * @param mpRoleId   the MP's role id in {@code /CCM_Proxy_MutualAuth/<id>}
     * @param mpHost     the MP's FQDN for the messages' TargetHost
     */
    LoadRequests(String hostHeader, String mpRoleId, String siteCode, String mpHost, String packageId) {
        this(hostHeader, mpRoleId, siteCode, mpHost, packageId, 0);
    }

    /** {@code first}: the number of this process's client 0 (several load processes use disjoint ranges). */
    LoadRequests(String hostHeader, String mpRoleId, String siteCode, String mpHost, String packageId, int first) {
        this(hostHeader, mpRoleId, siteCode, mpHost, packageId, first, null);
    }

    /**
     * {@code bearersOrNull}: token clients ({@code --auth token}): the CCM token of each client (index 0 = client
     * {@code first}; null = none), sent as {@code Authorization: Bearer} on {@code CCM_Proxy_ServerAuth}, messages to
     * {@code ccm_system_tokenauth} with {@code CcmTokenAuth: 1}; null = PKI clients on {@code CCM_Proxy_MutualAuth}.
     */
    LoadRequests(String hostHeader, String mpRoleId, String siteCode, String mpHost, String packageId, int first,
                 String[] bearersOrNull) {
        this.first = first;
        this.bearers = bearersOrNull;
        this.hostHeader = Objects.requireNonNull(hostHeader, "hostHeader");
        this.prefix = (bearersOrNull == null ? "/CCM_Proxy_MutualAuth/" : "/CCM_Proxy_ServerAuth/")
                + Objects.requireNonNull(mpRoleId, "mpRoleId");
        this.messagingPath = bearersOrNull == null ? "/ccm_system/request" : "/ccm_system_tokenauth/request";
        this.siteCode = siteCode == null ? "P01" : siteCode;
        this.mpHost = Objects.requireNonNull(mpHost, "mpHost");
        this.packageId = Objects.requireNonNull(packageId, "packageId");
        this.policyIds = new String[POLICY_CATEGORIES.length];
        for (int i = 0; i < POLICY_CATEGORIES.length; i++) {
            policyIds[i] = policyId(this.siteCode, POLICY_CATEGORIES[i]);
        }
        this.shared = ClientSigningCert.generate(Instant.now());
    }

    /** site-sim's stable policy id: {@code {<name-based UUID of cmglab:<site>:policy:<category>>}}. */
    static String policyId(String siteCode, String category) {
        return "{" + UUID.nameUUIDFromBytes(("cmglab:" + siteCode.toUpperCase(Locale.ROOT) + ":policy:" + category)
                .getBytes(StandardCharsets.UTF_8)) + "}";
    }

    static String smsId(int client) {
        return "GUID:" + UUID.nameUUIDFromBytes(("cmglab-load-client-" + client).getBytes(StandardCharsets.UTF_8))
                .toString().toUpperCase(Locale.ROOT);
    }

    /** The request of kind {@code k} for client {@code client}; {@code seq} varies what repeats (policy ids). */
    FullHttpRequest build(LoadKind k, int localClient, long seq, ByteBufAllocator alloc) {
        int client = first + localClient;
        FullHttpRequest r = switch (k) {
            case MPLIST -> get(prefix + "/SMS_MP/.sms_aut?MPLIST", alloc);
            case POLICY -> get(prefix + "/SMS_MP/.sms_pol?" + policyIds[(int) (seq % policyIds.length)]
                    .replace("{", "%7B").replace("}", "%7D"), alloc);
            case LOCATION -> post(requests(client).enumerateMpLocations(smsId(client), Instant.now()), alloc);
            case CONTENT -> post(requests(client).contentLocation(smsId(client), packageId, true, Instant.now()),
                    alloc);
        };
        if (bearers != null) {
            String token = localClient < bearers.length ? bearers[localClient] : null;
            if (token != null) { // without one the CMG answers 401, counted as http-401
                r.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
            }
            if (!HttpMethod.GET.equals(r.method())) {
                r.headers().set("CcmTokenAuth", "1");
            }
        }
        return r;
    }

    private ClientRequests requests(int client) {
        String fqdn = ClientCertPool.clientName(client);
        String netbios = fqdn.split("\\.", 2)[0].toUpperCase(Locale.ROOT);
        return new ClientRequests(netbios, fqdn, mpHost, siteCode, shared.keyPair().getPrivate(), shared.certificate());
    }

    private FullHttpRequest get(String uri, ByteBufAllocator alloc) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri, alloc.buffer(0));
        headers(r);
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
        return r;
    }

    private FullHttpRequest post(ClientRequests.Built b, ByteBufAllocator alloc) {
        byte[] body = b.bytes();
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf("CCM_POST"),
                prefix + messagingPath, alloc.buffer(body.length).writeBytes(body));
        headers(r);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, CcmMultipart.CONTENT_TYPE);
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return r;
    }

    private void headers(FullHttpRequest r) {
        r.headers().set(HttpHeaderNames.HOST, hostHeader);
        r.headers().set(HttpHeaderNames.USER_AGENT, USER_AGENT);
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        r.headers().set(TraceContext.HEADER, TraceContext.traceparent(TraceContext.newTraceId()));
    }

    /**
     * Null when {@code res} is a good reply to {@code k}, else the error class: {@code http-<status>}, or
     * {@code bad-reply} when a 200 lacks what the kind expects.
     */
    static String check(LoadKind k, FullHttpResponse res) {
        int status = res.status().code();
        if (res.decoderResult().isFailure()) {
            return "bad-reply";
        }
        if (status != 200) {
            return "http-" + status;
        }
        String type = res.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
        boolean good = switch (k) {
            case MPLIST -> res.content().toString(StandardCharsets.UTF_8).contains("<MPList");
            case POLICY -> res.content().readableBytes() > 0;
            case LOCATION, CONTENT -> type.toLowerCase(Locale.ROOT).startsWith("multipart/mixed")
                    && res.content().readableBytes() > 0;
        };
        return good ? null : "bad-reply";
    }
}
