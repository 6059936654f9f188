package org.cmglab.azure.entra;

import com.nimbusds.jwt.JWTClaimsSet;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.cmglab.azure.http.HttpService;
import org.cmglab.azure.http.RequestInfo;
import org.cmglab.azure.http.Responses;
import org.cmglab.proto.config.AzureEnvironment;
import org.cmglab.proto.config.AzureSimConfig;
import org.cmglab.proto.jwt.JwtSigner;
import org.cmglab.proto.jwt.JwtVerifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entra ID (Azure AD) of the emulated cloud, served on the environment's login host
 * ({@code login.microsoftonline.com} / {@code login.microsoftonline.us}) at the real endpoint paths, so an unmodified
 * OAuth/OIDC client library (MSAL, Nimbus) works against it.
 *
 * <h2>Endpoints</h2>
 * <ul>
 *   <li>{@code GET /{tenant}/v2.0/.well-known/openid-configuration} and {@code GET /{tenant}/.well-known/openid-configuration}
 *       (v1) — {@code {tenant}} is the tenant GUID, a verified domain of the lab tenant (the UPN suffixes of its users),
 *       {@code common} or {@code organizations} (issuer then carries the literal {@code {tenantid}} placeholder, as the
 *       real documents do).</li>
 *   <li>{@code GET /{tenant}/discovery/v2.0/keys}, {@code GET /{tenant}/discovery/keys}, {@code GET /common/discovery/keys}
 *       — the JWKS of the injected {@link JwtSigner}.</li>
 *   <li>{@code GET /common/discovery/instance?api-version=1.1&authorization_endpoint=…} — MSAL instance discovery.</li>
 *   <li>{@code POST /{tenant}/oauth2/v2.0/token} ({@code scope=<resource>/.default}) and {@code POST /{tenant}/oauth2/token}
 *       (v1, {@code resource=<resource>}), form-encoded, grants {@code client_credentials} (secret in the body or HTTP
 *       Basic), {@code password} (ROPC: the lab's stand-in for interactive user sign-in) and the device grant
 *       {@code urn:ietf:params:oauth:grant-type:jwt-bearer} (below).</li>
 * </ul>
 *
 * <h2>Device tokens</h2>
 * Windows obtains the CMG <em>device</em> token through WAM with the device's primary refresh token, which the lab does
 * not emulate. Its stand-in keeps what matters to the CMG: the device proves itself with the device certificate the
 * directory's device CA issued ({@code CN=<device id>}), in an RFC 7523 JWT-bearer assertion (see
 * {@link DeviceAssertionVerifier}), and gets a token with {@code idtyp: device} and the {@code deviceid} claim that
 * CCM_STS logs.
 *
 * <h2>Access token (what Resource Manager, Graph and the CMG may rely on)</h2>
 * Every token is a v1.0 access token — real Entra ID issues v1 tokens to resources that do not opt into v2 (Resource
 * Manager, Graph, the ConfigMgr server app), whichever endpoint (v1 or v2) was used. RS256 JWS with header
 * {@code typ: JWT}, {@code kid} and (for a certificate signer) {@code x5t}. Claims:
 * <ul>
 *   <li>{@code aud} — the resource: {@code https://<managementHost>/} for Resource Manager (with or without the trailing
 *       slash in the request), {@code https://<graphHost>} for Graph, the registered App ID URI (e.g.
 *       {@code https://ConfigMgrService}) or client id of a lab app registration, as requested;</li>
 *   <li>{@code iss} — {@link #v1Issuer} ({@code https://sts.windows.net/{tid}/}; US Government
 *       {@code https://login.microsoftonline.us/{tid}/}), {@code idp} the same for app tokens;</li>
 *   <li>{@code iat} = {@code nbf} = now (injected {@link Clock}, whole seconds), {@code exp} = now + 1 h
 *       ({@code expires_in} 3599);</li>
 *   <li>{@code tid}, {@code appid} (the client), {@code app_displayname}, {@code appidacr} ({@code 1} = client secret,
 *       {@code 0} = public client), {@code ver: 1.0}, {@code uti} (unique token id);</li>
 *   <li>app tokens: {@code idtyp: app}, {@code oid} = {@code sub} = the service principal object id (a name-based UUID of
 *       tenant + client id, stable across restarts);</li>
 *   <li>user tokens: {@code idtyp: user}, {@code oid} = the user's object id, {@code sub} (pairwise per app, stable),
 *       {@code upn}, {@code unique_name}, {@code name}, {@code scp} ({@code user_impersonation} for {@code .default}, else
 *       the requested scope names), {@code amr: ["pwd"]}, {@code acr: 1}, {@code ipaddr} when known.</li>
 * </ul>
 * No {@code roles} claim is issued yet (the lab has no app-role assignments).
 *
 * <p>Handlers only compute and sign in memory: safe on an event loop.
 */
public final class EntraIdService implements HttpService {
    private static final Logger log = LoggerFactory.getLogger(EntraIdService.class);

    /** Access-token lifetime ({@code exp - iat}). */
    public static final Duration TOKEN_LIFETIME = Duration.ofHours(1);
    /** Clock skew {@link #armVerifier} and {@link #graphVerifier} allow. */
    public static final Duration VERIFIER_SKEW = Duration.ofMinutes(2);

    private static final String FORM = "application/x-www-form-urlencoded";
    private static final Set<String> OIDC_SCOPES = Set.of("openid", "profile", "offline_access", "email");

    private final AzureEnvironment env;
    private final String tenantId;
    private final Map<String, AzureSimConfig.AppRegistration> appsById = new LinkedHashMap<>();
    private final Map<String, AzureSimConfig.DirectoryUser> usersByUpn = new LinkedHashMap<>();
    private final Set<String> tenantDomains = new LinkedHashSet<>();
    private final JwtSigner signer;
    private final Clock clock;
    private final String jwksJson;

    private final DeviceAssertionVerifier devices;

    public EntraIdService(AzureEnvironment env, String tenantId, List<AzureSimConfig.AppRegistration> apps,
                          List<AzureSimConfig.DirectoryUser> users, JwtSigner signer, Clock clock) {
        this(env, tenantId, apps, users, signer, clock, List.of());
    }

    /**
     * @param deviceCaRoots the device CA(s) whose certificates identify registered devices (Entra's
     *                      MS-Organization-Access CA in the real service); empty disables device tokens
     */
    public EntraIdService(AzureEnvironment env, String tenantId, List<AzureSimConfig.AppRegistration> apps,
                          List<AzureSimConfig.DirectoryUser> users, JwtSigner signer, Clock clock,
                          List<java.security.cert.X509Certificate> deviceCaRoots) {
        this.devices = new DeviceAssertionVerifier(deviceCaRoots, clock);
        this.env = Objects.requireNonNull(env, "env");
        this.tenantId = Objects.requireNonNull(tenantId, "tenantId").toLowerCase(Locale.ROOT);
        this.signer = Objects.requireNonNull(signer, "signer");
        this.clock = Objects.requireNonNull(clock, "clock");
        for (AzureSimConfig.AppRegistration a : apps) {
            appsById.put(a.clientId().toLowerCase(Locale.ROOT), a);
        }
        for (AzureSimConfig.DirectoryUser u : users) {
            usersByUpn.put(u.userPrincipalName().toLowerCase(Locale.ROOT), u);
            int at = u.userPrincipalName().indexOf('@');
            if (at > 0) {
                tenantDomains.add(u.userPrincipalName().substring(at + 1).toLowerCase(Locale.ROOT));
            }
        }
        this.jwksJson = signer.publicJwkSetJson();
    }

    // ---------------------------------------------------------------- public helpers (issuer, verifiers)

    /** Issuer of the v1 access tokens this service issues: {@code https://sts.windows.net/{tid}/} (US Gov: login host). */
    public static String v1Issuer(AzureEnvironment env, String tenantId) {
        String host = env.name().equals(AzureEnvironment.US_GOVERNMENT.name()) ? env.loginHost() : "sts.windows.net";
        return "https://" + host + "/" + tenantId.toLowerCase(Locale.ROOT) + "/";
    }

    /** Issuer of v2.0 tokens / the v2 discovery document: {@code https://<loginHost>/{tid}/v2.0}. */
    public static String v2Issuer(AzureEnvironment env, String tenantId) {
        return "https://" + env.loginHost() + "/" + tenantId + "/v2.0";
    }

    /** The {@code aud} of Resource Manager tokens: {@code https://<managementHost>/}. */
    public static String armAudience(AzureEnvironment env) {
        return "https://" + env.managementHost() + "/";
    }

    /** The {@code aud} of Graph tokens: {@code https://<graphHost>}. */
    public static String graphAudience(AzureEnvironment env) {
        return "https://" + env.graphHost();
    }

    /** Verifies bearer tokens presented to the Resource Manager emulation (issuer v1, audience ARM, skew 2 min). */
    public static JwtVerifier armVerifier(AzureEnvironment env, String tenantId, JwtSigner signer, Clock clock) {
        return JwtVerifier.forKeys(signer.publicJwkSet(), v1Issuer(env, tenantId), armAudience(env), clock, VERIFIER_SKEW);
    }

    /** Verifies bearer tokens presented to the Graph emulation (issuer v1, audience Graph, skew 2 min). */
    public static JwtVerifier graphVerifier(AzureEnvironment env, String tenantId, JwtSigner signer, Clock clock) {
        return JwtVerifier.forKeys(signer.publicJwkSet(), v1Issuer(env, tenantId), graphAudience(env), clock,
                VERIFIER_SKEW);
    }

    // ---------------------------------------------------------------- routing

    @Override
    public FullHttpResponse handle(FullHttpRequest request, RequestInfo info) {
        List<String> seg = new ArrayList<>();
        for (String s : info.path().split("/")) {
            if (!s.isEmpty()) {
                seg.add(s);
            }
        }
        String p = String.join("/", seg.subList(Math.min(1, seg.size()), seg.size())).toLowerCase(Locale.ROOT);
        String tenant = seg.isEmpty() ? "" : seg.get(0);
        boolean get = request.method().equals(HttpMethod.GET);
        switch (p) {
            case "v2.0/.well-known/openid-configuration":
                return get ? discovery(tenant, true) : notAllowed(request, info);
            case ".well-known/openid-configuration":
                return get ? discovery(tenant, false) : notAllowed(request, info);
            case "discovery/v2.0/keys", "discovery/keys":
                return get ? keys(tenant) : notAllowed(request, info);
            case "discovery/instance":
                if (tenant.equalsIgnoreCase("common") && get) {
                    return instanceDiscovery(info);
                }
                break;
            case "oauth2/v2.0/token":
                return token(request, info, tenant, true);
            case "oauth2/token":
                return token(request, info, tenant, false);
            default:
                break;
        }
        log.warn("Entra ID: {} {} from {}: no such endpoint", request.method(), info.path(), info.remote());
        return Responses.text(404, "text/plain; charset=utf-8",
                "Entra ID emulation: no endpoint " + request.method() + " " + info.path() + "\n");
    }

    private FullHttpResponse notAllowed(FullHttpRequest request, RequestInfo info) {
        log.warn("Entra ID: {} {} refused: only GET", request.method(), info.path());
        FullHttpResponse r = Responses.text(405, "text/plain; charset=utf-8", "Method " + request.method()
                + " is not allowed on " + info.path() + "\n");
        r.headers().set(HttpHeaderNames.ALLOW, "GET");
        return r;
    }

    /** How a {tenant} path segment relates to the lab tenant. */
    private enum TenantMatch { OURS, MULTI, UNKNOWN }

    private TenantMatch matchTenant(String tenant) {
        String t = tenant.toLowerCase(Locale.ROOT);
        if (t.equals(tenantId) || tenantDomains.contains(t)) {
            return TenantMatch.OURS;
        }
        if (t.equals("common") || t.equals("organizations")) {
            return TenantMatch.MULTI;
        }
        return TenantMatch.UNKNOWN;
    }

    private FullHttpResponse unknownTenant(String tenant, String what) {
        log.warn("Entra ID: {} refused: tenant '{}' not found (lab tenant is {})", what, tenant, tenantId);
        return Responses.aadError(400, "invalid_request", 90002, "Tenant '" + tenant + "' not found. Check to make sure"
                + " you have the correct tenant ID and are signing into the correct cloud. Check with your subscription"
                + " administrator, this may happen if there are no active subscriptions for the tenant.");
    }

    // ---------------------------------------------------------------- discovery, keys, instance discovery

    private FullHttpResponse discovery(String tenant, boolean v2) {
        TenantMatch m = matchTenant(tenant);
        if (m == TenantMatch.UNKNOWN) {
            return unknownTenant(tenant, "openid-configuration");
        }
        String t = m == TenantMatch.OURS ? tenantId : tenant.toLowerCase(Locale.ROOT);
        String issuerTenant = m == TenantMatch.OURS ? tenantId : "{tenantid}";
        String base = "https://" + env.loginHost() + "/" + t;
        boolean gov = env.name().equals(AzureEnvironment.US_GOVERNMENT.name());
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("token_endpoint", base + (v2 ? "/oauth2/v2.0/token" : "/oauth2/token"));
        d.put("token_endpoint_auth_methods_supported", List.of("client_secret_post", "private_key_jwt",
                "client_secret_basic"));
        d.put("jwks_uri", v2 ? base + "/discovery/v2.0/keys" : "https://" + env.loginHost() + "/common/discovery/keys");
        d.put("response_modes_supported", List.of("query", "fragment", "form_post"));
        d.put("subject_types_supported", List.of("pairwise"));
        d.put("id_token_signing_alg_values_supported", List.of("RS256"));
        d.put("response_types_supported", v2 ? List.of("code", "id_token", "code id_token", "id_token token")
                : List.of("code", "id_token", "code id_token", "token id_token", "token"));
        d.put("scopes_supported", v2 ? List.of("openid", "profile", "email", "offline_access") : List.of("openid"));
        d.put("issuer", v2 ? v2Issuer(env, issuerTenant) : v1Issuer(env, issuerTenant));
        if (v2) {
            d.put("request_uri_parameter_supported", false);
            d.put("userinfo_endpoint", "https://" + env.graphHost() + "/oidc/userinfo");
        } else {
            d.put("microsoft_multi_refresh_token", true);
        }
        d.put("authorization_endpoint", base + (v2 ? "/oauth2/v2.0/authorize" : "/oauth2/authorize"));
        d.put("device_authorization_endpoint", base + (v2 ? "/oauth2/v2.0/devicecode" : "/oauth2/devicecode"));
        d.put("http_logout_supported", true);
        d.put("frontchannel_logout_supported", true);
        d.put("end_session_endpoint", base + (v2 ? "/oauth2/v2.0/logout" : "/oauth2/logout"));
        d.put("claims_supported", v2
                ? List.of("sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
                        "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name",
                        "tid", "ver", "at_hash", "c_hash", "email")
                : List.of("sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
                        "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "amr", "nonce", "email", "given_name",
                        "family_name", "nickname"));
        if (!v2) {
            d.put("check_session_iframe", base + "/oauth2/checksession");
            d.put("userinfo_endpoint", base + "/openid/userinfo");
        }
        d.put("kerberos_endpoint", base + "/kerberos");
        d.put("tenant_region_scope", m == TenantMatch.OURS ? (gov ? "USGov" : "NA") : null);
        d.put("cloud_instance_name", gov ? "microsoftonline.us" : "microsoftonline.com");
        d.put("cloud_graph_host_name", "graph.windows.net");
        d.put("msgraph_host", env.graphHost());
        d.put("rbac_url", gov ? "https://pasff.usgovcloudapi.net" : "https://pas.windows.net");
        return Responses.json(200, d);
    }

    private FullHttpResponse keys(String tenant) {
        if (matchTenant(tenant) == TenantMatch.UNKNOWN) {
            return unknownTenant(tenant, "keys");
        }
        return Responses.text(200, "application/json; charset=utf-8", jwksJson);
    }

    private FullHttpResponse instanceDiscovery(RequestInfo info) {
        String authz = info.param("authorization_endpoint");
        String host = null;
        String tenant = "common";
        if (authz != null) {
            try {
                URI u = URI.create(authz);
                host = u.getHost();
                String[] parts = u.getPath() == null ? new String[0] : u.getPath().split("/");
                if (parts.length > 1 && !parts[1].isEmpty()) {
                    tenant = parts[1];
                }
            } catch (IllegalArgumentException e) {
                host = null;
            }
        }
        List<Map<String, Object>> metadata = new ArrayList<>();
        for (AzureEnvironment e : AzureEnvironment.all()) {
            metadata.add(cloudMetadata(e));
        }
        String h = host;
        boolean known = h != null && metadata.stream().anyMatch(md ->
                ((List<?>) md.get("aliases")).stream().anyMatch(a -> ((String) a).equalsIgnoreCase(h)));
        if (!known) {
            log.warn("Entra ID: instance discovery refused: authorization_endpoint '{}' is not a known instance", authz);
            return Responses.aadError(400, "invalid_instance", 50049, "Unknown or invalid instance.");
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("tenant_discovery_endpoint", "https://" + host.toLowerCase(Locale.ROOT) + "/" + tenant
                + "/v2.0/.well-known/openid-configuration");
        r.put("api-version", "1.1");
        r.put("metadata", metadata);
        return Responses.json(200, r);
    }

    private static Map<String, Object> cloudMetadata(AzureEnvironment e) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (e.name().equals(AzureEnvironment.PUBLIC.name())) {
            m.put("preferred_network", e.loginHost());
            m.put("preferred_cache", "login.windows.net");
            m.put("aliases", List.of(e.loginHost(), "login.windows.net", "login.microsoft.com", "sts.windows.net"));
        } else {
            m.put("preferred_network", e.loginHost());
            m.put("preferred_cache", e.loginHost());
            m.put("aliases", List.of(e.loginHost(), "login.usgovcloudapi.net"));
        }
        return m;
    }

    // ---------------------------------------------------------------- token endpoint

    private FullHttpResponse token(FullHttpRequest request, RequestInfo info, String tenant, boolean v2) {
        String endpoint = v2 ? "oauth2/v2.0/token" : "oauth2/token";
        if (!request.method().equals(HttpMethod.POST)) {
            log.warn("Entra ID: {} {} refused: token endpoint only accepts POST", request.method(), info.path());
            FullHttpResponse r = Responses.aadError(400, "invalid_request", 900561, "The endpoint only accepts POST, "
                    + "OPTIONS requests. Received a " + request.method() + " request.");
            r.headers().set(HttpHeaderNames.ALLOW, "POST, OPTIONS");
            return r;
        }
        TenantMatch tm = matchTenant(tenant);
        if (tm == TenantMatch.UNKNOWN) {
            return unknownTenant(tenant, endpoint);
        }
        String contentType = request.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
        if (!contentType.toLowerCase(Locale.ROOT).startsWith(FORM)) {
            // The real service cannot read a non-form body and answers as if grant_type were absent.
            log.warn("Entra ID: {} refused: body is '{}', not {}", endpoint, contentType, FORM);
            return Responses.aadError(400, "invalid_request", 900144,
                    "The request body must contain the following parameter: 'grant_type'.");
        }
        Map<String, List<String>> form = new QueryStringDecoder(request.content().toString(StandardCharsets.UTF_8),
                StandardCharsets.UTF_8, false).parameters();
        String grant = first(form, "grant_type");
        if (grant == null) {
            return missing(endpoint, "grant_type");
        }
        String clientId = first(form, "client_id");
        String secret = first(form, "client_secret");
        String basic = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (basic != null && basic.regionMatches(true, 0, "Basic ", 0, 6)) {
            String[] cs = decodeBasic(basic.substring(6).trim());
            if (cs == null) {
                log.warn("Entra ID: {} refused: malformed HTTP Basic client credentials", endpoint);
                return Responses.aadError(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the"
                        + " secret being sent in the request is the client secret value, not the client secret ID.");
            }
            clientId = cs[0];
            secret = cs[1];
        }
        switch (grant) {
            case "client_credentials":
                if (tm == TenantMatch.MULTI) {
                    log.warn("Entra ID: client_credentials refused: tenant '{}' does not identify a tenant", tenant);
                    return Responses.aadError(400, "invalid_request", 50059, "No tenant-identifying information found"
                            + " in either the request or implied by any provided credentials.");
                }
                return clientCredentials(info, form, endpoint, v2, clientId, secret);
            case "password":
                return password(info, form, endpoint, v2, clientId, secret);
            case DeviceAssertionVerifier.GRANT:
                return device(form, endpoint, v2, tenant, clientId, secret);
            default:
                log.warn("Entra ID: {} refused: unsupported grant_type '{}'", endpoint, grant);
                return Responses.aadError(400, "unsupported_grant_type", 70003,
                        "The app requested an unsupported grant type '" + grant + "'.");
        }
    }

    private FullHttpResponse clientCredentials(RequestInfo info, Map<String, List<String>> form, String endpoint,
                                               boolean v2, String clientId, String secret) {
        if (clientId == null) {
            return missing(endpoint, "client_id");
        }
        String requested = v2 ? first(form, "scope") : first(form, "resource");
        if (requested == null) {
            return missing(endpoint, v2 ? "scope" : "resource");
        }
        AzureSimConfig.AppRegistration app = appsById.get(clientId.toLowerCase(Locale.ROOT));
        if (app == null) {
            return unknownClient(clientId);
        }
        FullHttpResponse bad = checkSecret(app, secret, true);
        if (bad != null) {
            return bad;
        }
        Resource res = v2 ? resourceFromScopes(requested) : resolveResource(requested);
        if (res == null || res.audience == null) {
            return unknownResource(clientId, requested);
        }
        if (v2 && !res.isDefault) {
            log.warn("Entra ID: client_credentials refused for {}: scope '{}' is not <resource>/.default", clientId,
                    requested);
            return Responses.aadError(400, "invalid_scope", 1002012, "The provided value for scope " + requested
                    + " is not valid. Client credential flows must have a scope value with /.default suffixed to the"
                    + " resource identifier (application ID URI).");
        }
        Instant now = clock.instant();
        JWTClaimsSet.Builder c = baseClaims(res.audience, app, now, true);
        String spId = servicePrincipalId(clientId);
        c.claim("idtyp", "app").claim("idp", v1Issuer(env, tenantId)).claim("oid", spId).subject(spId);
        return issue(c.build(), now, v2, res.audience, "app " + app.displayName() + " (" + app.clientId() + ")");
    }

    private FullHttpResponse password(RequestInfo info, Map<String, List<String>> form, String endpoint, boolean v2,
                                      String clientId, String secret) {
        FullHttpResponse missing = missingInput(endpoint, form, v2, clientId, "username", "password");
        if (missing != null) {
            return missing;
        }
        String username = first(form, "username");
        String password = first(form, "password");
        String requested = v2 ? first(form, "scope") : first(form, "resource");
        Caller caller = publicCaller(clientId, secret);
        if (caller.error() != null) {
            return caller.error();
        }
        AzureSimConfig.AppRegistration app = caller.app();
        AzureSimConfig.DirectoryUser user = usersByUpn.get(username.toLowerCase(Locale.ROOT));
        if (user == null) {
            log.warn("Entra ID: password grant refused for client {}: user {} does not exist", clientId, username);
            return Responses.aadError(400, "invalid_grant", 50034, "The user account {EUII Hidden} does not exist in"
                    + " the " + tenantId + " directory. To sign into this application, the account must be added to"
                    + " the directory.");
        }
        if (user.password() == null || !constantTimeEquals(user.password(), password)) {
            log.warn("Entra ID: password grant refused for client {}: wrong password for {}", clientId,
                    user.userPrincipalName());
            return Responses.aadError(400, "invalid_grant", 50126,
                    "Error validating credentials due to invalid username or password.");
        }
        Resource res = v2 ? resourceFromScopes(requested) : resolveResource(requested);
        if (res == null || res.audience == null) {
            return unknownResource(clientId, requested);
        }
        Instant now = clock.instant();
        JWTClaimsSet.Builder c = baseClaims(res.audience, app, now, app.secret() != null);
        c.claim("idtyp", "user").claim("oid", user.objectId()).subject(pairwiseSub(user.objectId(), app.clientId()))
                .claim("upn", user.userPrincipalName()).claim("unique_name", user.userPrincipalName())
                .claim("name", user.displayName()).claim("scp", res.scopes.isEmpty() ? "user_impersonation"
                        : String.join(" ", res.scopes))
                .claim("amr", List.of("pwd")).claim("acr", "1");
        if (info.remote() != null && info.remote().getAddress() != null) {
            c.claim("ipaddr", info.remote().getAddress().getHostAddress());
        }
        return issue(c.build(), now, v2, res.audience, "user " + user.userPrincipalName() + " via client "
                + app.clientId());
    }

    /** Device token: a registered device signs in with its device certificate (see {@link DeviceAssertionVerifier}). */
    private FullHttpResponse device(Map<String, List<String>> form, String endpoint, boolean v2, String tenant,
                                    String clientId, String secret) {
        FullHttpResponse missing = missingInput(endpoint, form, v2, clientId, "assertion");
        if (missing != null) {
            return missing;
        }
        String assertion = first(form, "assertion");
        String requested = v2 ? first(form, "scope") : first(form, "resource");
        Caller caller = publicCaller(clientId, secret);
        if (caller.error() != null) {
            return caller.error();
        }
        AzureSimConfig.AppRegistration app = caller.app();
        String url = "https://" + env.loginHost() + "/" + tenant + "/" + endpoint;
        DeviceAssertionVerifier.Device d;
        try {
            d = devices.verify(assertion, url);
        } catch (DeviceAssertionVerifier.Refused e) {
            log.warn("Entra ID: device sign-in refused for client {}: AADSTS{} {}", clientId, e.aadsts, e.getMessage());
            return Responses.aadError(400, "invalid_grant", e.aadsts, e.getMessage());
        }
        Resource res = v2 ? resourceFromScopes(requested) : resolveResource(requested);
        if (res == null || res.audience == null) {
            return unknownResource(clientId, requested);
        }
        Instant now = clock.instant();
        JWTClaimsSet.Builder c = baseClaims(res.audience, app, now, false);
        c.claim("idtyp", "device").claim("deviceid", d.deviceId()).claim("oid", d.objectId())
                .subject(pairwiseSub(d.objectId(), app.clientId()))
                .claim("scp", res.scopes.isEmpty() ? "user_impersonation" : String.join(" ", res.scopes))
                .claim("amr", List.of("rsa"));
        return issue(c.build(), now, v2, res.audience, "device " + d.deviceId() + " via client " + app.clientId());
    }

    /**
     * The first required input of a user or device grant that is missing, answered as AAD does (client_id, then the
     * grant's own parameters, then scope or resource); null when all are there.
     */
    private FullHttpResponse missingInput(String endpoint, Map<String, List<String>> form, boolean v2, String clientId,
                                          String... grantParams) {
        if (clientId == null) {
            return missing(endpoint, "client_id");
        }
        for (String p : grantParams) {
            if (first(form, p) == null) {
                return missing(endpoint, p);
            }
        }
        String resourceParam = v2 ? "scope" : "resource";
        return first(form, resourceParam) == null ? missing(endpoint, resourceParam) : null;
    }

    /** The app a user or device signs in through, or the error to answer (unknown app, bad secret). */
    private record Caller(AzureSimConfig.AppRegistration app, FullHttpResponse error) {}

    private Caller publicCaller(String clientId, String secret) {
        AzureSimConfig.AppRegistration app = appsById.get(clientId.toLowerCase(Locale.ROOT));
        if (app == null) {
            return new Caller(null, unknownClient(clientId));
        }
        FullHttpResponse bad = checkSecret(app, secret, false);
        return bad != null ? new Caller(null, bad) : new Caller(app, null);
    }

    private JWTClaimsSet.Builder baseClaims(String audience, AzureSimConfig.AppRegistration app, Instant now,
                                            boolean confidential) {
        Instant iat = Instant.ofEpochSecond(now.getEpochSecond());
        return new JWTClaimsSet.Builder()
                .audience(audience)
                .issuer(v1Issuer(env, tenantId))
                .issueTime(Date.from(iat))
                .notBeforeTime(Date.from(iat))
                .expirationTime(Date.from(iat.plus(TOKEN_LIFETIME)))
                .claim("tid", tenantId)
                .claim("appid", app.clientId())
                .claim("app_displayname", app.displayName())
                .claim("appidacr", confidential ? "1" : "0")
                .claim("ver", "1.0")
                .claim("uti", base64Url(UUID.randomUUID().toString().getBytes(StandardCharsets.US_ASCII)).substring(0, 22));
    }

    private FullHttpResponse issue(JWTClaimsSet claims, Instant now, boolean v2, String audience, String who) {
        String jwt = signer.sign(claims);
        long expiresIn = claims.getExpirationTime().toInstant().getEpochSecond() - now.getEpochSecond() - 1;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("token_type", "Bearer");
        if (v2) {
            r.put("expires_in", expiresIn);
            r.put("ext_expires_in", expiresIn);
        } else {
            // the v1 endpoint answers with numbers as strings
            r.put("expires_in", Long.toString(expiresIn));
            r.put("ext_expires_in", Long.toString(expiresIn));
            r.put("expires_on", Long.toString(claims.getExpirationTime().toInstant().getEpochSecond()));
            r.put("not_before", Long.toString(claims.getNotBeforeTime().toInstant().getEpochSecond()));
            r.put("resource", audience);
        }
        r.put("access_token", jwt);
        log.info("Entra ID: issued {} token to {} for audience {} (expires {})", claims.getClaim("idtyp"), who,
                audience, claims.getExpirationTime().toInstant());
        FullHttpResponse res = Responses.json(200, r);
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store, no-cache");
        res.headers().set(HttpHeaderNames.PRAGMA, "no-cache");
        return res;
    }

    // ---------------------------------------------------------------- client & resource checks

    private FullHttpResponse checkSecret(AzureSimConfig.AppRegistration app, String secret, boolean requireConfidential) {
        if (app.secret() == null) {
            if (secret != null) {
                log.warn("Entra ID: refused client {}: public client presented a secret", app.clientId());
                return Responses.aadError(401, "invalid_client", 700025, "Client is public so neither "
                        + "'client_assertion' nor 'client_secret' should be presented.");
            }
            if (requireConfidential) {
                log.warn("Entra ID: client_credentials refused for public client {}", app.clientId());
                return Responses.aadError(401, "invalid_client", 7000218, "The request body must contain the "
                        + "following parameter: 'client_assertion' or 'client_secret'.");
            }
            return null;
        }
        if (secret == null) {
            log.warn("Entra ID: refused client {}: no client secret", app.clientId());
            return Responses.aadError(401, "invalid_client", 7000218, "The request body must contain the following"
                    + " parameter: 'client_assertion' or 'client_secret'.");
        }
        if (!constantTimeEquals(app.secret(), secret)) {
            log.warn("Entra ID: refused client {}: wrong client secret", app.clientId());
            return Responses.aadError(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the "
                    + "secret being sent in the request is the client secret value, not the client secret ID, for a "
                    + "secret added to app '" + app.clientId() + "'.");
        }
        return null;
    }

    private FullHttpResponse unknownClient(String clientId) {
        log.warn("Entra ID: refused: application {} not found in tenant {}", clientId, tenantId);
        return Responses.aadError(400, "unauthorized_client", 700016, "Application with identifier '" + clientId
                + "' was not found in the directory '" + tenantId + "'. This can happen if the application has not"
                + " been installed by the administrator of the tenant or consented to by any user in the tenant. You"
                + " may have sent your authentication request to the wrong tenant.");
    }

    private FullHttpResponse unknownResource(String clientId, String requested) {
        log.warn("Entra ID: refused client {}: unknown resource/scope '{}'", clientId, requested);
        String principal = requested;
        int slash = requested.lastIndexOf("/.default");
        if (slash > 0) {
            principal = requested.substring(0, slash);
        }
        return Responses.aadError(400, "invalid_resource", 500011, "The resource principal named " + principal
                + " was not found in the tenant named " + tenantId + ". This can happen if the application has not"
                + " been installed by the administrator of the tenant or consented to by any user in the tenant. You"
                + " might have sent your authentication request to the wrong tenant.");
    }

    private FullHttpResponse missing(String endpoint, String param) {
        log.warn("Entra ID: {} refused: missing parameter '{}'", endpoint, param);
        return Responses.aadError(400, "invalid_request", 900144,
                "The request body must contain the following parameter: '" + param + "'.");
    }

    /** A resolved resource: the token audience and the delegated scope names (empty for .default). */
    private record Resource(String audience, List<String> scopes, boolean isDefault) {}

    /**
     * Parses a v2 {@code scope} list: OIDC scopes are ignored; every other scope must name the same resource, either
     * {@code <resource>/.default} or {@code <resource>/<scope name>}.
     */
    private Resource resourceFromScopes(String scopeParam) {
        String audience = null;
        List<String> names = new ArrayList<>();
        boolean isDefault = false;
        for (String s : scopeParam.trim().split("\\s+")) {
            if (s.isEmpty() || OIDC_SCOPES.contains(s.toLowerCase(Locale.ROOT))) {
                continue;
            }
            int slash = s.lastIndexOf('/');
            if (slash <= 0) {
                return null;
            }
            String resource = s.substring(0, slash);
            String name = s.substring(slash + 1);
            String aud = resolveAudience(resource);
            if (aud == null || (audience != null && !audience.equals(aud))) {
                return null;
            }
            audience = aud;
            if (name.equals(".default")) {
                isDefault = true;
            } else if (!name.isEmpty()) {
                names.add(name);
            }
        }
        return audience == null ? null : new Resource(audience, isDefault ? List.of() : names, isDefault);
    }

    private Resource resolveResource(String resource) {
        String aud = resolveAudience(resource.trim());
        return aud == null ? null : new Resource(aud, List.of(), true);
    }

    /** The {@code aud} for a requested resource identifier, or null when the tenant has no such resource. */
    private String resolveAudience(String resource) {
        String r = resource;
        while (r.endsWith("/")) {
            r = r.substring(0, r.length() - 1);
        }
        if (r.equalsIgnoreCase("https://" + env.managementHost())) {
            return armAudience(env);
        }
        if (r.equalsIgnoreCase("https://" + env.graphHost()) || r.equals("00000003-0000-0000-c000-000000000000")) {
            return graphAudience(env);
        }
        for (AzureSimConfig.AppRegistration a : appsById.values()) {
            if (a.appIdUri() != null && stripSlash(a.appIdUri()).equalsIgnoreCase(r)) {
                return a.appIdUri();
            }
            if (a.clientId().equalsIgnoreCase(r) || ("api://" + a.clientId()).equalsIgnoreCase(r)) {
                return a.clientId();
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- small helpers

    private String servicePrincipalId(String clientId) {
        return UUID.nameUUIDFromBytes(("sp:" + tenantId + ":" + clientId.toLowerCase(Locale.ROOT))
                .getBytes(StandardCharsets.UTF_8)).toString();
    }

    private static String pairwiseSub(String objectId, String clientId) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest((objectId + "|" + clientId.toLowerCase(Locale.ROOT))
                    .getBytes(StandardCharsets.UTF_8));
            return base64Url(h).substring(0, 43);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String base64Url(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static String stripSlash(String s) {
        String r = s;
        while (r.endsWith("/")) {
            r = r.substring(0, r.length() - 1);
        }
        return r;
    }

    private static String first(Map<String, List<String>> form, String name) {
        List<String> v = form.get(name);
        if (v == null || v.isEmpty() || v.get(0).isEmpty()) {
            return null;
        }
        return v.get(0);
    }

    /** RFC 6749 2.3.1: client id and secret are form-urlencoded, then joined by ':' and base64-encoded. */
    private static String[] decodeBasic(String b64) {
        try {
            String s = new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
            int colon = s.indexOf(':');
            if (colon <= 0) {
                return null;
            }
            return new String[] {URLDecoder.decode(s.substring(0, colon), StandardCharsets.UTF_8),
                    URLDecoder.decode(s.substring(colon + 1), StandardCharsets.UTF_8)};
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
