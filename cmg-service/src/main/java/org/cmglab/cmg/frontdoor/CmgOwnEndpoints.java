package org.cmglab.cmg.frontdoor;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cmglab.cmg.auth.ServerAuthGate;
import org.cmglab.proto.config.PublishedRole;
import org.cmglab.proto.runtime.Json;
import org.cmglab.proto.token.TokenUse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The paths the CMG answers itself, not forwarded to a role (cmg-facts §1.2):
 * <ul>
 *   <li>{@code GET /CCM_Proxy_ServerAuth/AADAuthInfo?TenantID=<guid>} — {@code AADCLIENTAPPID} and
 *       {@code AADRESOURCEURI} for ccmsetup (JSON); 404 {@code CMGService_TenantNotOnboarded} for another tenant;</li>
 *   <li>{@code GET /CCM_Proxy_MutualAuth/ServiceMetadata} — the service's metadata (no client authentication: it is
 *       where an administrator looks at the server certificate);</li>
 *   <li>{@code GET /CCM_Proxy_ServerAuth/ServiceMetadata} — the same behind a bearer token (bulk registration, client
 *       or CCM token): an expired bulk token gets {@code 401 CMGService_Invalid_Token}.</li>
 * </ul>
 */
public final class CmgOwnEndpoints {
    private static final Logger log = LoggerFactory.getLogger(CmgOwnEndpoints.class);

    private final String serviceName;
    private final String roleInstance;
    private final String certificateThumbprint;
    private final List<PublishedRole> roles;

    public CmgOwnEndpoints(String serviceName, String roleInstance, String certificateThumbprint,
                           List<PublishedRole> roles) {
        this.serviceName = serviceName;
        this.roleInstance = roleInstance;
        this.certificateThumbprint = certificateThumbprint;
        this.roles = List.copyOf(roles);
    }

    /** Whether {@code uri} is one of these paths. */
    static boolean matches(String uri) {
        String p = path(uri);
        return p.equals("/ccm_proxy_serverauth/aadauthinfo") || p.equals("/ccm_proxy_mutualauth/servicemetadata")
                || p.equals("/ccm_proxy_serverauth/servicemetadata");
    }

    /** What was answered: the status and, for a refusal, why. */
    record Answer(int status, String detail) {
        boolean ok() {
            return status == 200;
        }
    }

    /** Answers {@code req}; returns what was sent, for the flow event. */
    Answer answer(ChannelHandlerContext ctx, FullHttpRequest req, ServerAuthGate gate, boolean keepAlive) {
        String p = path(req.uri());
        if (!HttpMethod.GET.equals(req.method()) && !HttpMethod.HEAD.equals(req.method())) {
            Responses.send(ctx, 405, "Method Not Allowed", req.method() + " is not allowed on " + p, keepAlive);
            return new Answer(405, "method " + req.method());
        }
        if (p.endsWith("/aadauthinfo")) {
            List<String> t = new QueryStringDecoder(req.uri()).parameters().entrySet().stream()
                    .filter(e -> e.getKey().equalsIgnoreCase("TenantID")).map(Map.Entry::getValue).findFirst()
                    .orElse(List.of());
            String tenant = t.isEmpty() ? null : t.get(0);
            ServerAuthGate.AadAuthInfo info = gate == null ? null : gate.aadAuthInfo(tenant);
            if (info == null) {
                String why = "tenant " + tenant + " is not onboarded to this CMG";
                Responses.send(ctx, 404, "CMGService_TenantNotOnboarded", why, keepAlive);
                return new Answer(404, why);
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("AADTENANTID", info.tenantId());
            m.put("AADCLIENTAPPID", info.clientAppId());
            m.put("AADRESOURCEURI", info.resourceUri());
            json(ctx, m, keepAlive);
            log.info("AADAuthInfo for tenant {}: client app {}, resource {}", info.tenantId(), info.clientAppId(),
                    info.resourceUri());
            return new Answer(200, null);
        }
        if (p.startsWith("/ccm_proxy_serverauth/")) {
            ServerAuthGate.Decision d = gate == null
                    ? new ServerAuthGate.Decision(false, "token", "token authentication is not enabled on this CMG")
                    : gate.check(req, TokenUse.REGISTRATION);
            if (!d.ok()) {
                Responses.send(ctx, 401, "CMGService_Invalid_Token", d.detail(), keepAlive);
                return new Answer(401, d.detail());
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ServiceName", serviceName);
        m.put("RoleInstance", roleInstance);
        m.put("ServerCertificateThumbprint", certificateThumbprint);
        m.put("PublishedRoles", roles);
        json(ctx, m, keepAlive);
        return new Answer(200, null);
    }

    private static void json(ChannelHandlerContext ctx, Object body, boolean keepAlive) {
        byte[] b = Json.writeCompact(body).getBytes(StandardCharsets.UTF_8);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(b));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8");
        HttpUtil.setContentLength(res, b.length);
        HttpUtil.setKeepAlive(res, keepAlive);
        var f = ctx.writeAndFlush(res);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static String path(String uri) {
        int q = uri.indexOf('?');
        String p = (q >= 0 ? uri.substring(0, q) : uri).toLowerCase(Locale.ROOT);
        while (p.endsWith("/") && p.length() > 1) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }
}
