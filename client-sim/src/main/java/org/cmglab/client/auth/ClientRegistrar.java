package org.cmglab.client.auth;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cmglab.proto.ccm.CcmFormatException;
import org.cmglab.proto.ccm.CcmMessage;
import org.cmglab.proto.ccm.CcmMultipart;
import org.cmglab.proto.ccm.ClientRequests;
import org.cmglab.proto.config.ClientSimConfig;
import org.cmglab.proto.runtime.LabHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registration with a site token: a signed {@code MP_ClientRegistration} on
 * {@code /CCM_Proxy_ServerAuth/<MP role id>/ccm_system_tokenauth/request} through the CMG with
 * {@code Authorization: Bearer <bulk, client or CCM token>} and {@code CcmTokenAuth: 1}; the reply's {@code SMSID}
 * and {@code <ClientToken>} (the lab's element, docs/client-auth.md) are the outcome.
 */
@FunctionalInterface
public interface ClientRegistrar {
    Logger regLog = LoggerFactory.getLogger("ClientIDManagerStartup");
    Pattern SMSID = Pattern.compile("SMSID=\"(GUID:[^\"]+)\"");
    Pattern CLIENT_TOKEN = Pattern.compile("<ClientToken>([^<]+)</ClientToken>");

    /** 200 with the assigned SMSID and the client token (null when the reply had none), or the refusal. */
    record Outcome(int status, String detail, String clientToken, String smsId, String replyXml) {}

    Outcome register(ClientIdentity identity, String bearerToken) throws TokenHttp.CallFailed;

    /** The real one: MP_ClientRegistration through the CMG. */
    static ClientRegistrar throughCmg(TokenHttp http, ClientSimConfig config) {
        return (id, bearer) -> {
            String fqdn = config.name();
            String netbios = fqdn.split("\\.", 2)[0].toUpperCase(Locale.ROOT);
            String mpHost = config.mpUrl() == null ? config.cmgServiceName() : URI.create(config.mpUrl()).getHost();
            ClientRequests requests = new ClientRequests(netbios, fqdn, mpHost,
                    config.siteCode() == null ? "P01" : config.siteCode(), id.signing().privateKey(),
                    id.signing().certificate());
            ClientRequests.Built b = requests.registration(Instant.now());
            URI uri = URI.create("https://" + config.cmgServiceName() + (config.cmgPort() == 443 ? ""
                    : ":" + config.cmgPort()) + "/CCM_Proxy_ServerAuth/" + config.mpRoleId()
                    + "/ccm_system_tokenauth/request");
            HttpHeaders h = new DefaultHttpHeaders().set(HttpHeaderNames.CONTENT_TYPE, CcmMultipart.CONTENT_TYPE)
                    .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + bearer).set("CcmTokenAuth", "1");
            regLog.info("[RegTask] - Sending registration request for {} with a site token to {}", id.smsId(), uri);
            LabHttpClient.Response r = http.cmg(HttpMethod.valueOf("CCM_POST"), uri, h, b.bytes(), "site token");
            if (!r.isSuccess()) {
                String body = r.bodyText().strip();
                return new Outcome(r.status(), r.reason() + (body.isEmpty() ? "" : ": "
                        + (body.length() > 300 ? body.substring(0, 300) : body)), null, null, null);
            }
            String xml;
            try {
                xml = CcmMessage.decode(r.headers().get(HttpHeaderNames.CONTENT_TYPE), r.body(),
                        CcmMessage.Limits.DEFAULT).bodyXml();
            } catch (CcmFormatException e) {
                return new Outcome(r.status(), "unreadable registration reply: " + e, null, null, null);
            }
            Matcher s = SMSID.matcher(xml);
            if (!s.find()) {
                return new Outcome(r.status(), "the registration reply has no SMSID", null, null, xml);
            }
            Matcher t = CLIENT_TOKEN.matcher(xml);
            String smsId = s.group(1);
            try {
                id.saveSmsId(smsId);
            } catch (IOException e) {
                return new Outcome(r.status(), "cannot keep the SMSID in " + id.dir() + ": " + e.getMessage(), null,
                        smsId, xml);
            }
            regLog.info("[RegTask] - Client is registered. Server assigned ClientID is {}{}", smsId,
                    t.find(0) ? "; client token received" : "");
            return new Outcome(r.status(), null, t.find(0) ? t.group(1) : null, smsId, xml);
        };
    }
}
