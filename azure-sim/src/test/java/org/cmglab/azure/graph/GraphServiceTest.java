package org.cmglab.azure.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cmglab.azure.entra.EntraFixture.*;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import org.cmglab.azure.entra.EntraFixture.Result;
import org.cmglab.azure.entra.EntraIdService;
import org.cmglab.proto.config.AzureEnvironment;
import org.cmglab.proto.jwt.JwtSigner;
import org.junit.jupiter.api.Test;

class GraphServiceTest {
    private static final String GRAPH = "graph.microsoft.com";
    private final EntraIdService entra = entra(FIXED);
    private final GraphService graph = new GraphService(AzureEnvironment.PUBLIC, TENANT, USERS, SIGNER, FIXED);

    private String token(String scope) {
        Result r = postForm(entra, "login.microsoftonline.com", "/" + TENANT + "/oauth2/v2.0/token",
                "grant_type=client_credentials&client_id=" + SCP_APP + "&client_secret="
                        + URLEncoder.encode(SCP_SECRET, StandardCharsets.UTF_8) + "&scope="
                        + URLEncoder.encode(scope, StandardCharsets.UTF_8));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("access_token").asText();
    }

    private Result graphGet(GraphService g, String uri, String bearer) {
        return bearer == null ? get(g, GRAPH, uri)
                : call(g, GRAPH, HttpMethod.GET, uri, null, null, "Authorization", "Bearer " + bearer);
    }

    private static void assertGraphError(Result r, int status, String code) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        JsonNode e = r.json().path("error");
        assertThat(e.path("code").asText()).isEqualTo(code);
        assertThat(e.path("message").asText()).isNotBlank();
        assertThat(e.path("innerError").path("request-id").asText()).isNotBlank();
        assertThat(e.path("innerError").path("date").asText()).isEqualTo("2026-01-15T10:00:00Z");
    }

    @Test
    void listsUsersWithAValidGraphToken() {
        Result r = graphGet(graph, "/v1.0/users", token("https://graph.microsoft.com/.default"));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("@odata.context").asText()).isEqualTo("https://graph.microsoft.com/v1.0/$metadata#users");
        JsonNode v = r.json().path("value");
        assertThat(v).hasSize(3);
        assertThat(v.get(0).path("id").asText()).isEqualTo("a1a1a1a1-0000-4000-8000-000000000001");
        assertThat(v.get(0).path("userPrincipalName").asText()).isEqualTo("alice@cmglab.onmicrosoft.com");
        assertThat(v.get(0).path("displayName").asText()).isEqualTo("Alice Admin");
        assertThat(v.get(0).path("mail").asText()).isEqualTo("alice@cmglab.onmicrosoft.com");
        assertThat(v.get(0).path("accountEnabled").asBoolean()).isTrue();
        assertThat(r.json().has("@odata.nextLink")).isFalse();
    }

    @Test
    void selectAndTopPageThroughTheUsers() {
        String t = token("https://graph.microsoft.com/.default");
        Result first = graphGet(graph, "/v1.0/users?$select=id,userPrincipalName&$top=2", t);
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        assertThat(first.json().path("@odata.context").asText()).endsWith("$metadata#users(id,userPrincipalName)");
        assertThat(first.json().path("value")).hasSize(2);
        assertThat(first.json().path("value").get(0).size()).isEqualTo(2);
        assertThat(first.json().path("value").get(0).has("displayName")).isFalse();
        String next = first.json().path("@odata.nextLink").asText();
        assertThat(next).startsWith("https://graph.microsoft.com/v1.0/users?");
        Result second = graphGet(graph, next.substring("https://graph.microsoft.com".length()), t);
        assertThat(second.json().path("value")).hasSize(1);
        assertThat(second.json().path("value").get(0).path("userPrincipalName").asText()).isEqualTo("carol@cmglab.onmicrosoft.com");
        assertThat(second.json().has("@odata.nextLink")).isFalse();
    }

    @Test
    void badSelectAndTopAre400() {
        String t = token("https://graph.microsoft.com/.default");
        assertGraphError(graphGet(graph, "/v1.0/users?$select=shoeSize", t), 400, "BadRequest");
        assertGraphError(graphGet(graph, "/v1.0/users?$top=0", t), 400, "Request_BadRequest");
    }

    @Test
    void getsOneUserByIdOrUpnAnd404ForUnknown() {
        String t = token("https://graph.microsoft.com/.default");
        Result byUpn = graphGet(graph, "/v1.0/users/Bob@cmglab.onmicrosoft.com", t);
        assertThat(byUpn.status()).isEqualTo(200);
        assertThat(byUpn.json().path("@odata.context").asText()).endsWith("$metadata#users/$entity");
        assertThat(byUpn.json().path("id").asText()).isEqualTo("b2b2b2b2-0000-4000-8000-000000000002");
        Result byId = graphGet(graph, "/v1.0/users/c3c3c3c3-0000-4000-8000-000000000003", t);
        assertThat(byId.json().path("displayName").asText()).isEqualTo("Carol User");
        Result missing = graphGet(graph, "/v1.0/users/nobody@cmglab.onmicrosoft.com", t);
        assertGraphError(missing, 404, "Request_ResourceNotFound");
        assertThat(missing.json().path("error").path("message").asText()).contains("nobody@cmglab.onmicrosoft.com");
    }

    @Test
    void noTokenIs401InvalidAuthenticationToken() {
        Result r = graphGet(graph, "/v1.0/users", null);
        assertGraphError(r, 401, "InvalidAuthenticationToken");
        assertThat(r.json().path("error").path("message").asText()).isEqualTo("Access token is empty.");
        assertThat(r.headersOnly().headers().get("WWW-Authenticate")).startsWith("Bearer ");
    }

    @Test
    void wrongAudienceTokenIs401() {
        Result r = graphGet(graph, "/v1.0/users", token("https://management.azure.com/.default"));
        assertGraphError(r, 401, "InvalidAuthenticationToken");
        assertThat(r.json().path("error").path("message").asText()).contains("Invalid audience");
    }

    @Test
    void expiredTokenIs401() {
        String t = token("https://graph.microsoft.com/.default");
        GraphService later = new GraphService(AzureEnvironment.PUBLIC, TENANT, USERS, SIGNER,
                Clock.fixed(NOW.plus(Duration.ofHours(2)), ZoneOffset.UTC));
        Result r = graphGet(later, "/v1.0/users", t);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.json().path("error").path("message").asText()).contains("expired");
    }

    @Test
    void tokenFromAnotherSignerIs401() {
        EntraIdService rogue = new EntraIdService(AzureEnvironment.PUBLIC, TENANT, APPS, USERS,
                JwtSigner.generate("rogue"), FIXED);
        Result tr = postForm(rogue, "login.microsoftonline.com", "/" + TENANT + "/oauth2/v2.0/token",
                "grant_type=client_credentials&client_id=" + SCP_APP + "&client_secret="
                        + URLEncoder.encode(SCP_SECRET, StandardCharsets.UTF_8)
                        + "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default");
        Result r = graphGet(graph, "/v1.0/users", tr.json().path("access_token").asText());
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.json().path("error").path("message").asText()).contains("Invalid signature");
    }

    @Test
    void unknownSegmentIs400AndPostIs405() {
        String t = token("https://graph.microsoft.com/.default");
        assertGraphError(graphGet(graph, "/v1.0/groups", t), 400, "BadRequest");
        Result post = call(graph, GRAPH, HttpMethod.POST, "/v1.0/users", "application/json", "{}",
                "Authorization", "Bearer " + t);
        assertGraphError(post, 405, "Request_BadRequest");
    }
}
