package org.cmglab.client.auth;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Objects;
import org.cmglab.proto.config.ClientSimConfig;
import org.cmglab.proto.config.ClientTokenConfig;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.runtime.Json;
import org.cmglab.proto.runtime.LabHttpClient;
import org.cmglab.proto.token.ClientSignatures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a client gets its CCM token through the CMG (docs/client-auth.md), reusing a cached one until it is near
 * expiry ({@link TokenStore#RENEW_BEFORE}):
 * <ul>
 *   <li><b>entra</b>: {@code GET /CCM_Proxy_ServerAuth/AADAuthInfo?TenantID=} (the client and server app ids, as
 *       ccmsetup asks) → an Entra device token (RFC 7523 assertion signed with the device certificate) →
 *       {@code POST /CCM_Proxy_ServerAuth/<id>/CCM_STS} with {@code grant_type=urn:sccm:grant:aad} → CCM token
 *       {@code UDA};</li>
 *   <li><b>token</b>: the stored client token; without one, the bulk registration token is checked at
 *       {@code /CCM_Proxy_ServerAuth/ServiceMetadata} (as ccmsetup does: an expired one gets
 *       {@code 401 CMGService_Invalid_Token}) and registration gives a client token ({@link ClientRegistrar}); then
 *       {@code CCM_STS} with {@code grant_type=urn:sccm:grant:clienttoken} and the signed {@code CCMClient*} headers →
 *       CCM token {@code Device}.</li>
 * </ul>
 * Blocking; each call bounded by {@link TokenHttp#AWAIT_SECONDS}.
 */
public final class TokenAcquisition {
    private static final Logger log = LoggerFactory.getLogger("CcmMessaging");
    static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

    /** {@code --auth entra|token}. */
    public enum Mode { ENTRA, TOKEN }

    /**
     * @param bulkToken  the bulk registration token ({@code /regtoken:}), or null
     * @param forceRenew ignore a cached CCM token
     */
    public record Options(Mode mode, String bulkToken, boolean forceRenew) {}

    private final ClientSimConfig config;
    private final ClientTokenConfig tokens;
    private final TokenHttp http;
    private final ClientRegistrar registrar;
    private final Clock clock;

    public TokenAcquisition(ClientSimConfig config, TokenHttp http, ClientRegistrar registrar, Clock clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.tokens = Objects.requireNonNull(config.tokens(), "config.tokens (expected for --auth entra|token)");
        this.http = Objects.requireNonNull(http, "http");
        this.registrar = registrar;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    String cmgOrigin() {
        return "https://" + config.cmgServiceName() + (config.cmgPort() == 443 ? "" : ":" + config.cmgPort());
    }

    String stsUrl() {
        return cmgOrigin() + "/CCM_Proxy_ServerAuth/" + config.mpRoleId() + "/CCM_STS";
    }

    public TokenResult acquire(Options o) throws IOException {
        return acquire(ClientIdentity.loadOrCreate(ClientIdentity.stateDir(config)), o);
    }

    /** As {@link #acquire(Options)} for an identity the caller already holds (the lifecycle's). */
    public TokenResult acquire(ClientIdentity id, Options o) throws IOException {
        TokenStore store = new TokenStore(id.dir(), clock);
        String type = o.mode() == Mode.ENTRA ? "UDA" : "Device";
        String auth = o.mode().name().toLowerCase(Locale.ROOT);
        if (!o.forceRenew()) {
            TokenStore.CcmToken cached = store.usableCcmToken(type);
            if (cached != null) {
                log.info("Using the cached CCM token ({}), valid until {}", type, cached.expires());
                return new TokenResult(http.traceId(), auth, 200, "OK", "cache", type,
                        cached.expires().getEpochSecond() - clock.instant().getEpochSecond(), id.smsId(), false, null,
                        "NONE");
            }
        }
        try {
            return o.mode() == Mode.ENTRA ? entra(id, store) : token(id, store, o.bulkToken());
        } catch (TokenHttp.CallFailed e) {
            log.error("[CCMHTTP] ERROR: {} ({})", e.getMessage(), e.failure);
            return new TokenResult(http.traceId(), auth, 0, null, "request", null, 0, id.smsId(), false, e.getMessage(),
                    e.failure);
        }
    }

    private TokenResult entra(ClientIdentity id, TokenStore store) throws TokenHttp.CallFailed, IOException {
        if (tokens.deviceTls() == null || tokens.entraAuthority() == null || tokens.entraTenantId() == null) {
            return usage("entra", id, "the config has no Entra device certificate, authority or tenant");
        }
        URI info = URI.create(cmgOrigin() + "/CCM_Proxy_ServerAuth/AADAuthInfo?TenantID=" + tokens.entraTenantId());
        LabHttpClient.Response r = http.cmg(HttpMethod.GET, info, null, null, "none");
        if (!r.isSuccess()) {
            return failed("entra", id, "AADAuthInfo", r);
        }
        JsonNode ai = Json.MAPPER.readTree(r.body());
        String clientApp = ai.path("AADCLIENTAPPID").asText();
        String resource = ai.path("AADRESOURCEURI").asText();
        log.info("AADAuthInfo: AADCLIENTAPPID {}, AADRESOURCEURI {}", clientApp, resource);

        IssuedCert device = IssuedCert.readPem(Path.of(tokens.deviceTls().certFile()), Path.of(tokens.deviceTls().keyFile()));
        URI tokenUri = URI.create(tokens.entraAuthority() + "/oauth2/token");
        String aud = DeviceAssertion.audience(tokens.entraAuthority());
        String assertion = DeviceAssertion.sign(device, aud, clock.instant());
        String form = "grant_type=" + enc("urn:ietf:params:oauth:grant-type:jwt-bearer") + "&client_id=" + enc(clientApp)
                + "&resource=" + enc(resource) + "&assertion=" + enc(assertion);
        LabHttpClient.Response er = http.call(HttpMethod.POST, tokenUri, formHeaders(), form.getBytes(StandardCharsets.UTF_8));
        if (!er.isSuccess()) {
            return failed("entra", id, "Entra", er);
        }
        String entraToken = Json.MAPPER.readTree(er.body()).path("access_token").asText(null);
        log.info("Got an Entra device token for device {} (audience {})", DeviceAssertion.deviceId(device), resource);
        return sts("entra", id, store, entraToken, "urn:sccm:grant:aad", formHeaders(), "Entra device token");
    }

    private TokenResult token(ClientIdentity id, TokenStore store, String bulkToken) throws TokenHttp.CallFailed, IOException {
        String clientToken = store.clientTokenFor(id.smsId());
        if (clientToken == null && store.clientToken() != null) {
            log.info("The stored client token was not issued to {} (the client registered again): registering with "
                    + "the bulk registration token", id.smsId());
        }
        if (clientToken == null) {
            if (bulkToken == null) {
                return usage("token", id, "no client token in " + id.dir() + " and no bulk registration token"
                        + " (--bulk-token or --bulk-token-file)");
            }
            HttpHeaders h = new DefaultHttpHeaders().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + bulkToken);
            LabHttpClient.Response meta = http.cmg(HttpMethod.GET, URI.create(cmgOrigin()
                    + "/CCM_Proxy_ServerAuth/ServiceMetadata"), h, null, "bulk registration token");
            if (!meta.isSuccess()) {
                return failed("token", id, "ServiceMetadata", meta);
            }
            if (registrar == null) {
                return usage("token", id, "no client token and no way to register (no site registration configured)");
            }
            ClientRegistrar.Outcome reg = registrar.register(id, bulkToken);
            if (reg.clientToken() == null) {
                String why = reg.detail() != null ? reg.detail() : "the registration reply has no ClientToken";
                log.error("Registration with the bulk token failed: {} {}", reg.status(), why);
                return new TokenResult(http.traceId(), "token", reg.status(), why, "registration", null, 0,
                        id.smsId(), false, why, reg.status() == 200 ? "BAD_REPLY" : "HTTP_STATUS");
            }
            clientToken = reg.clientToken();
            store.saveClientToken(clientToken);
            log.info("Registered {} with the bulk registration token; client token stored", id.smsId());
        }
        String stamp = STAMP.format(clock.instant());
        HttpHeaders h = formHeaders()
                .set("CCMClientID", id.smsId())
                .set("CCMClientIDSignature", ClientSignatures.sign(id.signing().privateKey(), id.smsId()))
                .set("CCMClientTimestamp", stamp)
                .set("CCMClientTimestampSignature", ClientSignatures.sign(id.signing().privateKey(), stamp));
        return sts("token", id, store, clientToken, "urn:sccm:grant:clienttoken", h, "client token");
    }

    private TokenResult sts(String auth, ClientIdentity id, TokenStore store, String bearer, String grant, HttpHeaders h,
                            String label) throws TokenHttp.CallFailed, IOException {
        h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + bearer);
        String form = "grant_type=" + enc(grant) + "&client_id=" + enc(id.smsId());
        log.info("Requesting a CCM token from {} with a {}", stsUrl(), label);
        LabHttpClient.Response r = http.cmg(HttpMethod.POST, URI.create(stsUrl()), h,
                form.getBytes(StandardCharsets.UTF_8), label);
        if (!r.isSuccess()) {
            return failed(auth, id, "CCM_STS", r);
        }
        JsonNode j = Json.MAPPER.readTree(r.body());
        String token = j.path("access_token").asText(null);
        long expiresIn = j.path("expires_in").asLong(0);
        String type = auth.equals("entra") ? "UDA" : "Device";
        store.saveCcmToken(token, type, expiresIn);
        log.info("Got a CCM token ({}), expires in {} s; stored for renewal near expiry", type, expiresIn);
        return new TokenResult(http.traceId(), auth, r.status(), r.reason(), "CCM_STS", type, expiresIn, id.smsId(), true,
                null, "NONE");
    }

    private TokenResult failed(String auth, ClientIdentity id, String step, LabHttpClient.Response r) {
        String body = r.bodyText().strip();
        log.error("[CCMHTTP] ERROR INFO: {} StatusCode={} StatusText={} {}", step, r.status(), r.reason(), body);
        return new TokenResult(http.traceId(), auth, r.status(), r.reason(), step, null, 0, id.smsId(), false,
                body.length() > 500 ? body.substring(0, 500) : body, "HTTP_STATUS");
    }

    private TokenResult usage(String auth, ClientIdentity id, String why) {
        log.error("{}", why);
        return new TokenResult(http.traceId(), auth, 0, null, "usage", null, 0, id.smsId(), false, why, "USAGE");
    }

    private static HttpHeaders formHeaders() {
        return new DefaultHttpHeaders().set(HttpHeaderNames.CONTENT_TYPE, "application/x-www-form-urlencoded")
                .set(HttpHeaderNames.ACCEPT, "application/json");
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }


}
