package org.cmglab.azure.graph;

import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.cmglab.azure.entra.EntraIdService;
import org.cmglab.azure.http.HttpService;
import org.cmglab.azure.http.RequestInfo;
import org.cmglab.azure.http.Responses;
import org.cmglab.proto.config.AzureEnvironment;
import org.cmglab.proto.config.AzureSimConfig;
import org.cmglab.proto.jwt.JwtSigner;
import org.cmglab.proto.jwt.JwtVerifier;
import org.cmglab.proto.jwt.TokenRejectedException;
import org.cmglab.proto.jwt.VerifiedToken;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Microsoft Graph of the emulated cloud (host {@code graph.microsoft.com} / {@code graph.microsoft.us}): just what the
 * service connection point needs for Entra ID user discovery.
 *
 * <ul>
 *   <li>{@code GET /v1.0/users} with optional {@code $select} (comma-separated properties), {@code $top} (1–999) and
 *       the {@code $skiptoken} of an {@code @odata.nextLink};</li>
 *   <li>{@code GET /v1.0/users/{id | userPrincipalName}} (also {@code $select}).</li>
 * </ul>
 * Every request needs {@code Authorization: Bearer <token>} issued by {@link EntraIdService} for the Graph audience
 * ({@link EntraIdService#graphVerifier}); otherwise 401 {@code InvalidAuthenticationToken}. Users are rendered with
 * Graph's default property set plus {@code accountEnabled} (real Graph only returns that with {@code $select}; the lab
 * adds it because discovery wants it and every lab user is enabled). Permissions ({@code User.Read.All}) are not checked
 * yet: any valid Graph token may read users.
 */
public final class GraphService implements HttpService {
    private static final Logger log = LoggerFactory.getLogger(GraphService.class);

    private static final List<String> DEFAULT_PROPERTIES = List.of("businessPhones", "displayName", "givenName",
            "jobTitle", "mail", "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName",
            "id", "accountEnabled");

    private final AzureEnvironment env;
    private final List<AzureSimConfig.DirectoryUser> users;
    private final JwtVerifier verifier;
    private final Clock clock;

    public GraphService(AzureEnvironment env, String tenantId, List<AzureSimConfig.DirectoryUser> users, JwtSigner signer,
                        Clock clock) {
        this.env = Objects.requireNonNull(env, "env");
        this.users = List.copyOf(users);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.verifier = EntraIdService.graphVerifier(env, tenantId, signer, clock);
    }

    @Override
    public FullHttpResponse handle(FullHttpRequest request, RequestInfo info) {
        String auth = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7) || auth.substring(7).isBlank()) {
            log.warn("Graph: {} {} from {} refused: no bearer token", request.method(), info.path(), info.remote());
            return unauthorized("Access token is empty.");
        }
        VerifiedToken token;
        try {
            token = verifier.verify(auth.substring(7).trim());
        } catch (TokenRejectedException e) {
            log.warn("Graph: {} {} from {} refused: {}", request.method(), info.path(), info.remote(), e.getMessage());
            return unauthorized(switch (e.reason()) {
                case EXPIRED -> "Lifetime validation failed, the token is expired.";
                case WRONG_AUDIENCE -> "Access token validation failure. Invalid audience.";
                case WRONG_ISSUER -> "Access token validation failure. Invalid issuer.";
                case BAD_SIGNATURE, UNKNOWN_KEY -> "Access token validation failure. Invalid signature.";
                default -> "Access token validation failure.";
            });
        }
        List<String> seg = new ArrayList<>();
        for (String s : info.path().split("/")) {
            if (!s.isEmpty()) {
                seg.add(s);
            }
        }
        if (seg.size() < 2 || !seg.get(0).equals("v1.0") || !seg.get(1).equalsIgnoreCase("users") || seg.size() > 3) {
            String bad = seg.size() < 2 ? (seg.isEmpty() ? "" : seg.get(0)) : seg.get(seg.size() > 3 ? 3 : 1);
            return error(400, "BadRequest", "Resource not found for the segment '" + bad + "'.");
        }
        if (!request.method().equals(HttpMethod.GET)) {
            return error(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.");
        }
        List<String> select;
        try {
            select = select(info.param("$select"));
        } catch (IllegalArgumentException e) {
            return error(400, "BadRequest", e.getMessage());
        }
        String context = "https://" + env.graphHost() + "/v1.0/$metadata#users"
                + (info.param("$select") == null ? "" : "(" + String.join(",", select) + ")");
        String caller = token.claims().getClaim("appid") + "/" + token.claims().getClaim("idtyp");
        if (seg.size() == 3) {
            String key = seg.get(2);
            for (AzureSimConfig.DirectoryUser u : users) {
                if (u.objectId().equalsIgnoreCase(key) || u.userPrincipalName().equalsIgnoreCase(key)) {
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("@odata.context", context + "/$entity");
                    body.putAll(render(u, select));
                    log.info("Graph: {} read user {}", caller, u.userPrincipalName());
                    return Responses.json(200, body);
                }
            }
            log.warn("Graph: {} asked for unknown user '{}'", caller, key);
            return error(404, "Request_ResourceNotFound", "Resource '" + key + "' does not exist or one of its queried"
                    + " reference-property objects are not present.");
        }
        int top = 100;
        if (info.param("$top") != null) {
            try {
                top = Integer.parseInt(info.param("$top"));
            } catch (NumberFormatException e) {
                top = -1;
            }
            if (top < 1 || top > 999) {
                return error(400, "Request_BadRequest", "Invalid page size specified: '" + info.param("$top")
                        + "'. Must be between 1 and 999 inclusive.");
            }
        }
        int skip = 0;
        if (info.param("$skiptoken") != null) {
            try {
                skip = Integer.parseInt(info.param("$skiptoken").replaceFirst("^lab-", ""));
            } catch (NumberFormatException e) {
                skip = -1;
            }
            if (skip < 0) {
                return error(400, "Request_BadRequest", "Invalid skip token '" + info.param("$skiptoken") + "'.");
            }
        }
        List<Map<String, Object>> value = new ArrayList<>();
        for (int i = skip; i < users.size() && value.size() < top; i++) {
            value.add(render(users.get(i), select));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("@odata.context", context);
        int next = skip + value.size();
        if (next < users.size()) {
            StringBuilder link = new StringBuilder("https://" + env.graphHost() + "/v1.0/users?");
            if (info.param("$select") != null) {
                link.append("$select=").append(String.join(",", select)).append('&');
            }
            link.append("$top=").append(top).append("&$skiptoken=lab-").append(next);
            body.put("@odata.nextLink", link.toString());
        }
        body.put("value", value);
        log.info("Graph: {} listed {} user(s)", caller, value.size());
        return Responses.json(200, body);
    }

    private static List<String> select(String param) {
        if (param == null || param.isBlank()) {
            return DEFAULT_PROPERTIES;
        }
        Set<String> out = new LinkedHashSet<>();
        for (String p : param.split(",")) {
            String name = p.trim();
            String known = DEFAULT_PROPERTIES.stream().filter(d -> d.equalsIgnoreCase(name)).findFirst().orElse(null);
            if (known == null) {
                throw new IllegalArgumentException("Could not find a property named '" + name
                        + "' on type 'microsoft.graph.user'.");
            }
            out.add(known);
        }
        return List.copyOf(out);
    }

    private static Map<String, Object> render(AzureSimConfig.DirectoryUser u, List<String> select) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String p : select) {
            m.put(p, switch (p) {
                case "businessPhones" -> List.of();
                case "displayName" -> u.displayName();
                case "mail", "userPrincipalName" -> u.userPrincipalName();
                case "id" -> u.objectId();
                case "accountEnabled" -> Boolean.TRUE;
                default -> null;
            });
        }
        return m;
    }

    private FullHttpResponse unauthorized(String message) {
        FullHttpResponse r = error(401, "InvalidAuthenticationToken", message);
        r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"\", authorization_uri=\"https://"
                + env.loginHost() + "/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"");
        return r;
    }

    /** Graph's error shape: {@code {"error":{"code":…,"message":…,"innerError":{"date":…,"request-id":…,…}}}}. */
    private FullHttpResponse error(int status, String code, String message) {
        String requestId = UUID.randomUUID().toString();
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("date", DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS)));
        inner.put("request-id", requestId);
        inner.put("client-request-id", requestId);
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("code", code);
        e.put("message", message);
        e.put("innerError", inner);
        FullHttpResponse r = Responses.json(status, Map.of("error", e));
        r.headers().set("request-id", requestId);
        r.headers().set("client-request-id", requestId);
        return r;
    }
}
