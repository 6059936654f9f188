package org.cmglab.client.load;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandler;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.naming.ldap.LdapName;
import org.cmglab.proto.ccm.CcmMessage;
import org.cmglab.proto.ccm.CcmMultipart;
import org.cmglab.proto.pki.ClientCertValidator;
import org.cmglab.proto.pki.IssuedCert;

/**
 * A stand-in for what a load token client talks to, on one HTTPS port of 127.0.0.1 (the CMG service name and the
 * Entra login host both resolve to it): the CMG's {@code AADAuthInfo}; Entra's token endpoint, which checks the device
 * assertion (RS256 by the {@code x5c} certificate, issued by the lab CA, {@code iss} = {@code sub} = its CN, the
 * audience) and issues an Entra token; {@code CCM_STS}, which takes only an Entra token it issued and gives a CCM token
 * for the {@code client_id}; and the mix on {@code CCM_Proxy_ServerAuth}, which takes only a CCM token it issued (401)
 * and, for messages, {@code CcmTokenAuth: 1} and a SourceID equal to the token's client (403). Records it all.
 */
final class LoadTokenStub extends LoadStubServer {
    static final String CLIENT_APP = "5b3f6c3e-0000-4000-8000-00000000c11e";
    static final String RESOURCE = "https://ConfigMgrService";

    final String tenant;
    final String loginHost;
    final String roleId;
    final Set<String> entraDevices = ConcurrentHashMap.newKeySet();
    final Set<String> stsClients = ConcurrentHashMap.newKeySet();
    final Set<String> refusedDevices = ConcurrentHashMap.newKeySet();
    final Set<String> bearersSeen = ConcurrentHashMap.newKeySet();
    final AtomicInteger entraCalls = new AtomicInteger();
    final AtomicInteger stsCalls = new AtomicInteger();
    final AtomicInteger withCert = new AtomicInteger();
    final AtomicInteger unauthorized = new AtomicInteger();
    final AtomicInteger mismatched = new AtomicInteger();
    final AtomicInteger assertionRefused = new AtomicInteger();
    volatile long stsLifetimeSeconds = 28_800;
    private final Map<String, String> entraTokens = new ConcurrentHashMap<>(); // token → device id
    private final Map<String, String> ccmTokens = new ConcurrentHashMap<>(); // token → client id (GUID:…)
    private final X509Certificate deviceCa;

    LoadTokenStub(EventLoopGroup group, IssuedCert serverCert, X509Certificate deviceCa, String tenant,
                  String loginHost, String roleId) throws Exception {
        super(group, serverCert, deviceCa);
        this.deviceCa = deviceCa;
        this.tenant = tenant;
        this.loginHost = loginHost;
        this.roleId = roleId;
    }

    @Override
    ChannelHandler newHandler() {
        return new Handler();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
            if (!ClientCertValidator.peerChain(ctx.pipeline().get(SslHandler.class).engine().getSession()).isEmpty()) {
                withCert.incrementAndGet();
            }
            String path = new QueryStringDecoder(req.uri()).path();
            String proxy = "/CCM_Proxy_ServerAuth/" + roleId;
            FullHttpResponse res;
            if (path.equals("/CCM_Proxy_ServerAuth/AADAuthInfo")) {
                String asked = new QueryStringDecoder(req.uri()).parameters().getOrDefault("TenantID", List.of("")).get(0);
                res = asked.equalsIgnoreCase(tenant)
                        ? json(HttpResponseStatus.OK, "{\"AADTENANTID\":\"" + tenant + "\",\"AADCLIENTAPPID\":\""
                                + CLIENT_APP + "\",\"AADRESOURCEURI\":\"" + RESOURCE + "\"}")
                        : json(HttpResponseStatus.NOT_FOUND, "{\"error\":\"CMGService_TenantNotOnboarded\"}");
            } else if (path.equals("/" + tenant + "/oauth2/token") && req.method().name().equals("POST")) {
                res = entra(req);
            } else if (path.equals(proxy + "/CCM_STS") && req.method().name().equals("POST")) {
                res = sts(req);
            } else if (path.startsWith(proxy + "/")) {
                res = mix(req, path.substring(proxy.length()));
            } else {
                res = json(HttpResponseStatus.NOT_FOUND, "{}");
            }
            ctx.writeAndFlush(res);
        }

        private FullHttpResponse entra(FullHttpRequest req) throws Exception {
            entraCalls.incrementAndGet();
            Map<String, List<String>> form = form(req);
            if (!"urn:ietf:params:oauth:grant-type:jwt-bearer".equals(first(form, "grant_type"))
                    || !CLIENT_APP.equals(first(form, "client_id")) || !RESOURCE.equals(first(form, "resource"))) {
                return refuseAssertion("bad grant, client_id or resource");
            }
            SignedJWT jwt = SignedJWT.parse(first(form, "assertion"));
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                    new ByteArrayInputStream(jwt.getHeader().getX509CertChain().get(0).decode()));
            try {
                cert.verify(deviceCa.getPublicKey());
            } catch (Exception e) {
                return refuseAssertion("device certificate not from the device CA");
            }
            if (!jwt.verify(new RSASSAVerifier((RSAPublicKey) cert.getPublicKey()))) {
                return refuseAssertion("bad signature");
            }
            String cn = new LdapName(cert.getSubjectX500Principal().getName()).getRdns().stream()
                    .filter(r -> r.getType().equalsIgnoreCase("CN")).findFirst().orElseThrow().getValue().toString();
            JWTClaimsSet c = jwt.getJWTClaimsSet();
            if (!cn.equals(c.getIssuer()) || !cn.equals(c.getSubject())
                    || !c.getAudience().contains("https://" + loginHost + "/" + tenant + "/oauth2/token")) {
                return refuseAssertion("iss/sub/aud");
            }
            if (refusedDevices.contains(cn)) {
                return json(HttpResponseStatus.UNAUTHORIZED, "{\"error\":\"invalid_client\"}");
            }
            entraDevices.add(cn);
            String token = "entra." + cn + "." + UUID.randomUUID();
            entraTokens.put(token, cn);
            return json(HttpResponseStatus.OK, "{\"token_type\":\"Bearer\",\"access_token\":\"" + token + "\"}");
        }

        private FullHttpResponse refuseAssertion(String why) {
            assertionRefused.incrementAndGet();
            return json(HttpResponseStatus.BAD_REQUEST, "{\"error\":\"invalid_request\",\"error_description\":\""
                    + why + "\"}");
        }

        private FullHttpResponse sts(FullHttpRequest req) {
            stsCalls.incrementAndGet();
            Map<String, List<String>> form = form(req);
            String bearer = bearer(req);
            String clientId = first(form, "client_id");
            if (bearer == null || !entraTokens.containsKey(bearer) || !"urn:sccm:grant:aad".equals(first(form,
                    "grant_type")) || clientId == null || !clientId.startsWith("GUID:")) {
                return json(HttpResponseStatus.UNAUTHORIZED, "{\"error\":\"invalid_token\"}");
            }
            stsClients.add(clientId);
            String token = "ccm." + UUID.randomUUID();
            ccmTokens.put(token, clientId);
            return json(HttpResponseStatus.OK, "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\","
                    + "\"expires_in\":" + stsLifetimeSeconds + "}");
        }

        private FullHttpResponse mix(FullHttpRequest req, String rest) {
            String bearer = bearer(req);
            String client = bearer == null ? null : ccmTokens.get(bearer);
            if (client == null) {
                unauthorized.incrementAndGet();
                return json(new HttpResponseStatus(401, "CMGService_Invalid_Token"), "{}");
            }
            bearersSeen.add(bearer);
            String kind;
            FullHttpResponse res;
            if (rest.equals("/SMS_MP/.sms_aut")) {
                kind = "mplist";
                res = body(HttpResponseStatus.OK, "text/xml", "<MPList><MP Name=\"MP01\"/></MPList>");
            } else if (rest.equals("/SMS_MP/.sms_pol")) {
                kind = "policy";
                res = body(HttpResponseStatus.OK, "text/xml", "<Policy/>");
            } else if (rest.equals("/ccm_system_tokenauth/request") && req.method().name().equals("CCM_POST")) {
                CcmMessage m = CcmMessage.decode(req.headers().get(HttpHeaderNames.CONTENT_TYPE),
                        ByteBufUtil.getBytes(req.content()), CcmMessage.Limits.DEFAULT);
                if (!"1".equals(req.headers().get("CcmTokenAuth"))
                        || !client.equalsIgnoreCase(m.header().sourceId())) {
                    mismatched.incrementAndGet();
                    return json(HttpResponseStatus.FORBIDDEN, "{}");
                }
                kind = m.bodyXml().contains("ContentLocationRequest") ? "content" : "location";
                res = body(HttpResponseStatus.OK, CcmMultipart.CONTENT_TYPE, "--reply--");
            } else {
                kind = "other";
                res = json(HttpResponseStatus.NOT_FOUND, "{}");
            }
            counted(kind);
            return res;
        }

        private String bearer(FullHttpRequest req) {
            String h = req.headers().get(HttpHeaderNames.AUTHORIZATION);
            return h != null && h.startsWith("Bearer ") ? h.substring(7) : null;
        }

        private Map<String, List<String>> form(FullHttpRequest req) {
            return new QueryStringDecoder(req.content().toString(StandardCharsets.UTF_8), false).parameters();
        }

        private String first(Map<String, List<String>> form, String name) {
            List<String> v = form.get(name);
            return v == null || v.isEmpty() ? null : v.get(0);
        }

        private FullHttpResponse json(HttpResponseStatus st, String text) {
            return body(st, "application/json", text);
        }

        private FullHttpResponse body(HttpResponseStatus st, String type, String text) {
            return response(st, type, text.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
