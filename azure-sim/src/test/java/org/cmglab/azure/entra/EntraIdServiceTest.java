package org.cmglab.azure.entra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.cmglab.azure.entra.EntraFixture.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import org.cmglab.azure.entra.EntraFixture.Result;
import org.cmglab.proto.config.AzureEnvironment;
import org.cmglab.proto.jwt.JwtVerifier;
import org.cmglab.proto.jwt.TokenRejectedException;
import org.cmglab.proto.jwt.TokenRejectedException.Reason;
import org.cmglab.proto.jwt.VerifiedToken;
import org.junit.jupiter.api.Test;

class EntraIdServiceTest {
    private static final String LOGIN = "login.microsoftonline.com";
    private static final String V2_TOKEN = "/" + TENANT + "/oauth2/v2.0/token";
    private static final String V1_TOKEN = "/" + TENANT + "/oauth2/token";

    private final EntraIdService entra = entra(FIXED);
    private final JwtVerifier arm = EntraIdService.armVerifier(AzureEnvironment.PUBLIC, TENANT, SIGNER, FIXED);

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private Result clientCredentials(String scope) {
        return postForm(entra, LOGIN, V2_TOKEN, "grant_type=client_credentials&client_id=" + SCP_APP
                + "&client_secret=" + enc(SCP_SECRET) + "&scope=" + enc(scope));
    }

    private static void assertAadError(Result r, int status, String error, int code) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.json().path("error").asText()).isEqualTo(error);
        assertThat(r.json().path("error_description").asText()).startsWith("AADSTS" + code + ": ");
        assertThat(r.json().path("error_codes").get(0).asInt()).isEqualTo(code);
        assertThat(r.json().path("trace_id").asText()).isNotEmpty();
        assertThat(r.json().path("correlation_id").asText()).isNotEmpty();
    }

    // ------------------------------------------------------------------ discovery and keys

    @Test
    void v2DiscoveryDocumentHasTheRealShape() {
        Result r = get(entra, LOGIN, "/" + TENANT + "/v2.0/.well-known/openid-configuration");
        assertThat(r.status()).isEqualTo(200);
        JsonNode d = r.json();
        assertThat(d.path("issuer").asText()).isEqualTo("https://login.microsoftonline.com/" + TENANT + "/v2.0");
        assertThat(d.path("token_endpoint").asText()).isEqualTo("https://login.microsoftonline.com/" + TENANT + "/oauth2/v2.0/token");
        assertThat(d.path("authorization_endpoint").asText()).isEqualTo("https://login.microsoftonline.com/" + TENANT + "/oauth2/v2.0/authorize");
        assertThat(d.path("jwks_uri").asText()).isEqualTo("https://login.microsoftonline.com/" + TENANT + "/discovery/v2.0/keys");
        assertThat(d.path("id_token_signing_alg_values_supported").toString()).isEqualTo("[\"RS256\"]");
        assertThat(d.path("subject_types_supported").toString()).isEqualTo("[\"pairwise\"]");
        assertThat(d.path("response_types_supported").toString()).contains("\"code\"", "\"id_token\"");
        assertThat(d.path("tenant_region_scope").asText()).isEqualTo("NA");
        assertThat(d.path("cloud_instance_name").asText()).isEqualTo("microsoftonline.com");
        assertThat(d.path("msgraph_host").asText()).isEqualTo("graph.microsoft.com");
    }

    @Test
    void v1DiscoveryDocumentUsesStsIssuerAndCommonKeys() {
        Result r = get(entra, LOGIN, "/" + TENANT + "/.well-known/openid-configuration");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("issuer").asText()).isEqualTo("https://sts.windows.net/" + TENANT + "/");
        assertThat(r.json().path("token_endpoint").asText()).isEqualTo("https://login.microsoftonline.com/" + TENANT + "/oauth2/token");
        assertThat(r.json().path("jwks_uri").asText()).isEqualTo("https://login.microsoftonline.com/common/discovery/keys");
    }

    @Test
    void commonAndOrganizationsDiscoveryCarryTheTenantPlaceholder() {
        Result common = get(entra, LOGIN, "/common/v2.0/.well-known/openid-configuration");
        assertThat(common.status()).isEqualTo(200);
        assertThat(common.json().path("issuer").asText()).isEqualTo("https://login.microsoftonline.com/{tenantid}/v2.0");
        assertThat(common.json().path("token_endpoint").asText()).isEqualTo("https://login.microsoftonline.com/common/oauth2/v2.0/token");
        assertThat(common.json().path("tenant_region_scope").isNull()).isTrue();
        Result orgs = get(entra, LOGIN, "/organizations/.well-known/openid-configuration");
        assertThat(orgs.json().path("issuer").asText()).isEqualTo("https://sts.windows.net/{tenantid}/");
    }

    @Test
    void tenantDomainResolvesToTheTenantGuid() {
        Result r = get(entra, LOGIN, "/cmglab.onmicrosoft.com/v2.0/.well-known/openid-configuration");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("issuer").asText()).isEqualTo("https://login.microsoftonline.com/" + TENANT + "/v2.0");
    }

    @Test
    void usGovernmentDocumentsUseGovernmentHosts() {
        EntraIdService gov = new EntraIdService(AzureEnvironment.US_GOVERNMENT, TENANT, APPS, USERS, SIGNER, FIXED);
        Result r = get(gov, "login.microsoftonline.us", "/" + TENANT + "/v2.0/.well-known/openid-configuration");
        assertThat(r.json().path("issuer").asText()).isEqualTo("https://login.microsoftonline.us/" + TENANT + "/v2.0");
        assertThat(r.json().path("token_endpoint").asText()).startsWith("https://login.microsoftonline.us/");
        assertThat(r.json().path("msgraph_host").asText()).isEqualTo("graph.microsoft.us");
        assertThat(r.json().path("cloud_instance_name").asText()).isEqualTo("microsoftonline.us");
        assertThat(r.json().path("tenant_region_scope").asText()).isEqualTo("USGov");
    }

    @Test
    void unknownTenantDiscoveryIs400Aadsts90002() {
        Result r = get(entra, LOGIN, "/11111111-2222-3333-4444-555555555555/v2.0/.well-known/openid-configuration");
        assertAadError(r, 400, "invalid_request", 90002);
        assertThat(r.json().path("error_description").asText()).contains("Tenant '11111111-2222-3333-4444-555555555555' not found");
    }

    @Test
    void keysEndpointsServeThePublicJwks() throws Exception {
        for (String path : new String[] {"/" + TENANT + "/discovery/v2.0/keys", "/" + TENANT + "/discovery/keys",
                "/common/discovery/keys"}) {
            Result r = get(entra, LOGIN, path);
            assertThat(r.status()).as(path).isEqualTo(200);
            JWKSet set = JWKSet.parse(r.body());
            assertThat(set.getKeys()).hasSize(1);
            assertThat(set.getKeys().get(0).getKeyID()).isEqualTo(SIGNER.keyId());
            assertThat(set.getKeys().get(0).isPrivate()).isFalse();
            JsonNode k = r.json().path("keys").get(0);
            assertThat(k.path("kty").asText()).isEqualTo("RSA");
            assertThat(k.path("use").asText()).isEqualTo("sig");
            assertThat(k.path("x5t").asText()).isEqualTo(SIGNER.keyId());
            assertThat(k.has("d")).isFalse();
        }
    }

    @Test
    void instanceDiscoveryAnswersLikeTheRealService() {
        Result r = get(entra, LOGIN, "/common/discovery/instance?api-version=1.1&authorization_endpoint="
                + enc("https://login.microsoftonline.com/" + TENANT + "/oauth2/v2.0/authorize"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("tenant_discovery_endpoint").asText())
                .isEqualTo("https://login.microsoftonline.com/" + TENANT + "/v2.0/.well-known/openid-configuration");
        assertThat(r.json().path("api-version").asText()).isEqualTo("1.1");
        JsonNode pub = r.json().path("metadata").get(0);
        assertThat(pub.path("preferred_network").asText()).isEqualTo("login.microsoftonline.com");
        assertThat(pub.path("aliases").toString()).contains("login.microsoftonline.com", "login.windows.net");

        Result bad = get(entra, LOGIN, "/common/discovery/instance?api-version=1.1&authorization_endpoint="
                + enc("https://evil.example.com/common/oauth2/v2.0/authorize"));
        assertAadError(bad, 400, "invalid_instance", 50049);
    }

    // ------------------------------------------------------------------ client credentials

    @Test
    void clientCredentialsForResourceManagerIssuesAVerifiableV1Token() throws Exception {
        Result r = clientCredentials("https://management.azure.com/.default");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("token_type").asText()).isEqualTo("Bearer");
        assertThat(r.json().path("expires_in").asInt()).isEqualTo(3599);
        assertThat(r.json().path("ext_expires_in").asInt()).isEqualTo(3599);
        assertThat(r.headersOnly().headers().get("Cache-Control")).contains("no-store");
        String jwt = r.json().path("access_token").asText();

        SignedJWT parsed = SignedJWT.parse(jwt);
        assertThat(parsed.getHeader().getType().toString()).isEqualTo("JWT");
        assertThat(parsed.getHeader().getKeyID()).isEqualTo(SIGNER.keyId());
        assertThat(parsed.getHeader().getX509CertThumbprint()).isNotNull();

        VerifiedToken t = arm.verify(jwt);
        JWTClaimsSet c = t.claims();
        assertThat(c.getAudience()).containsExactly("https://management.azure.com/");
        assertThat(c.getIssuer()).isEqualTo("https://sts.windows.net/" + TENANT + "/");
        assertThat(c.getIssueTime()).isEqualTo(Date.from(NOW));
        assertThat(c.getNotBeforeTime()).isEqualTo(Date.from(NOW));
        assertThat(c.getExpirationTime()).isEqualTo(Date.from(NOW.plus(Duration.ofHours(1))));
        assertThat(c.getStringClaim("tid")).isEqualTo(TENANT);
        assertThat(c.getStringClaim("appid")).isEqualTo(SCP_APP);
        assertThat(c.getStringClaim("appidacr")).isEqualTo("1");
        assertThat(c.getStringClaim("idtyp")).isEqualTo("app");
        assertThat(c.getStringClaim("ver")).isEqualTo("1.0");
        assertThat(c.getStringClaim("oid")).isNotBlank().isEqualTo(c.getSubject());
        assertThat(c.getClaim("upn")).isNull();
        assertThat(c.getClaim("scp")).isNull();
    }

    @Test
    void trailingSlashScopeAndV1ResourceGiveTheSameArmAudience() throws Exception {
        Result slash = clientCredentials("https://management.azure.com//.default");
        assertThat(arm.verify(slash.json().path("access_token").asText()).claims().getAudience())
                .containsExactly("https://management.azure.com/");

        Result v1 = postForm(entra, LOGIN, V1_TOKEN, "grant_type=client_credentials&client_id=" + SCP_APP
                + "&client_secret=" + enc(SCP_SECRET) + "&resource=" + enc("https://management.azure.com/"));
        assertThat(v1.status()).as(v1.body()).isEqualTo(200);
        assertThat(v1.json().path("expires_in").isTextual()).isTrue();
        assertThat(v1.json().path("expires_in").asText()).isEqualTo("3599");
        assertThat(v1.json().path("resource").asText()).isEqualTo("https://management.azure.com/");
        assertThat(v1.json().path("expires_on").asLong()).isEqualTo(NOW.getEpochSecond() + 3600);
        assertThat(arm.verify(v1.json().path("access_token").asText()).claims().getStringClaim("appid")).isEqualTo(SCP_APP);
    }

    @Test
    void clientSecretInHttpBasicIsAccepted() throws Exception {
        String basic = Base64.getEncoder().encodeToString((enc(SCP_APP) + ":" + enc(SCP_SECRET)).getBytes(StandardCharsets.UTF_8));
        Result r = call(entra, LOGIN, HttpMethod.POST, V2_TOKEN, "application/x-www-form-urlencoded; charset=utf-8",
                "grant_type=client_credentials&scope=" + enc("https://management.azure.com/.default"),
                "Authorization", "Basic " + basic);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(arm.verify(r.json().path("access_token").asText()).claims().getStringClaim("appid")).isEqualTo(SCP_APP);
    }

    @Test
    void expiredAndWrongAudienceTokensAreRejected() throws Exception {
        String armToken = clientCredentials("https://management.azure.com/.default").json().path("access_token").asText();
        JwtVerifier later = EntraIdService.armVerifier(AzureEnvironment.PUBLIC, TENANT, SIGNER,
                Clock.fixed(NOW.plus(Duration.ofHours(1)).plus(EntraIdService.VERIFIER_SKEW), ZoneOffset.UTC));
        assertThatThrownBy(() -> later.verify(armToken)).isInstanceOfSatisfying(TokenRejectedException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.EXPIRED));
        // one second before the skew runs out it is still good
        JwtVerifier almost = EntraIdService.armVerifier(AzureEnvironment.PUBLIC, TENANT, SIGNER,
                Clock.fixed(NOW.plus(Duration.ofHours(1)).plus(EntraIdService.VERIFIER_SKEW).minusSeconds(1), ZoneOffset.UTC));
        assertThat(almost.verify(armToken).claims().getStringClaim("tid")).isEqualTo(TENANT);

        String graphToken = clientCredentials("https://graph.microsoft.com/.default").json().path("access_token").asText();
        assertThatThrownBy(() -> arm.verify(graphToken)).isInstanceOfSatisfying(TokenRejectedException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_AUDIENCE));
    }

    @Test
    void tokenForTheConfigMgrServerAppCarriesItsAppIdUri() throws Exception {
        Result r = clientCredentials("https://ConfigMgrService/.default");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JwtVerifier cmg = JwtVerifier.forKeys(SIGNER.publicJwkSet(), EntraIdService.v1Issuer(AzureEnvironment.PUBLIC, TENANT),
                "https://ConfigMgrService", FIXED, Duration.ZERO);
        assertThat(cmg.verify(r.json().path("access_token").asText()).claims().getAudience())
                .containsExactly("https://ConfigMgrService");
    }

    @Test
    void wrongSecretIs401Aadsts7000215() {
        Result r = postForm(entra, LOGIN, V2_TOKEN, "grant_type=client_credentials&client_id=" + SCP_APP
                + "&client_secret=wrong&scope=" + enc("https://management.azure.com/.default"));
        assertAadError(r, 401, "invalid_client", 7000215);
        assertThat(r.body()).doesNotContain(SCP_SECRET);
    }

    @Test
    void missingSecretIs401Aadsts7000218() {
        Result r = postForm(entra, LOGIN, V2_TOKEN, "grant_type=client_credentials&client_id=" + SCP_APP
                + "&scope=" + enc("https://management.azure.com/.default"));
        assertAadError(r, 401, "invalid_client", 7000218);
    }

    @Test
    void unknownClientIs400Aadsts700016() {
        Result r = postForm(entra, LOGIN, V2_TOKEN, "grant_type=client_credentials&client_id=99999999-9999-9999-9999-999999999999"
                + "&client_secret=x&scope=" + enc("https://management.azure.com/.default"));
        assertAadError(r, 400, "unauthorized_client", 700016);
        assertThat(r.json().path("error_description").asText())
                .contains("Application with identifier '99999999-9999-9999-9999-999999999999' was not found in the directory '" + TENANT + "'");
    }

    @Test
    void unknownTenantOnTokenEndpointIs400Aadsts90002() {
        Result r = postForm(entra, LOGIN, "/00000000-1111-2222-3333-444444444444/oauth2/v2.0/token",
                "grant_type=client_credentials&client_id=" + SCP_APP + "&client_secret=" + enc(SCP_SECRET)
                        + "&scope=" + enc("https://management.azure.com/.default"));
        assertAadError(r, 400, "invalid_request", 90002);
    }

    @Test
    void clientCredentialsOnCommonIs400Aadsts50059() {
        Result r = postForm(entra, LOGIN, "/common/oauth2/v2.0/token", "grant_type=client_credentials&client_id="
                + SCP_APP + "&client_secret=" + enc(SCP_SECRET) + "&scope=" + enc("https://management.azure.com/.default"));
        assertAadError(r, 400, "invalid_request", 50059);
    }

    @Test
    void missingParametersAre400Aadsts900144NamingTheParameter() {
        Result noGrant = postForm(entra, LOGIN, V2_TOKEN, "client_id=" + SCP_APP);
        assertAadError(noGrant, 400, "invalid_request", 900144);
        assertThat(noGrant.json().path("error_description").asText())
                .isEqualTo("AADSTS900144: The request body must contain the following parameter: 'grant_type'.");
        Result noScope = postForm(entra, LOGIN, V2_TOKEN, "grant_type=client_credentials&client_id=" + SCP_APP
                + "&client_secret=" + enc(SCP_SECRET));
        assertAadError(noScope, 400, "invalid_request", 900144);
        assertThat(noScope.json().path("error_description").asText()).contains("'scope'");
        Result noResource = postForm(entra, LOGIN, V1_TOKEN, "grant_type=client_credentials&client_id=" + SCP_APP
                + "&client_secret=" + enc(SCP_SECRET));
        assertThat(noResource.json().path("error_description").asText()).contains("'resource'");
        Result noClient = postForm(entra, LOGIN, V2_TOKEN, "grant_type=client_credentials&scope=x/.default");
        assertThat(noClient.json().path("error_description").asText()).contains("'client_id'");
    }

    @Test
    void unsupportedGrantIs400Aadsts70003() {
        Result r = postForm(entra, LOGIN, V2_TOKEN, "grant_type=urn:ietf:params:oauth:grant-type:device_code&client_id=" + CLIENT_APP);
        assertAadError(r, 400, "unsupported_grant_type", 70003);
    }

    @Test
    void unknownResourceIs400Aadsts500011() {
        Result r = clientCredentials("https://vault.example.net/.default");
        assertAadError(r, 400, "invalid_resource", 500011);
        assertThat(r.json().path("error_description").asText()).contains("https://vault.example.net");
    }

    @Test
    void clientCredentialsNeedsDotDefault() {
        Result r = clientCredentials("https://management.azure.com/user_impersonation");
        assertAadError(r, 400, "invalid_scope", 1002012);
    }

    @Test
    void getOnTheTokenEndpointIsRefused() {
        Result r = get(entra, LOGIN, V2_TOKEN);
        assertAadError(r, 400, "invalid_request", 900561);
        assertThat(r.headersOnly().headers().get("Allow")).isEqualTo("POST, OPTIONS");
    }

    @Test
    void nonFormBodyIs400() {
        Result r = call(entra, LOGIN, HttpMethod.POST, V2_TOKEN, "application/json",
                "{\"grant_type\":\"client_credentials\",\"client_id\":\"" + SCP_APP + "\"}");
        assertAadError(r, 400, "invalid_request", 900144);
    }

    @Test
    void unknownPathIs404() {
        assertThat(get(entra, LOGIN, "/" + TENANT + "/oauth2/v2.0/nothing").status()).isEqualTo(404);
    }

    // ------------------------------------------------------------------ password (ROPC)

    @Test
    void passwordGrantIssuesAUserTokenForTheServerApp() throws Exception {
        Result r = postForm(entra, LOGIN, V2_TOKEN, "grant_type=password&client_id=" + CLIENT_APP
                + "&username=" + enc("Alice@cmglab.onmicrosoft.com") + "&password=" + enc("P@ss-alice")
                + "&scope=" + enc("https://ConfigMgrService/.default openid profile offline_access"));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JwtVerifier cmg = JwtVerifier.forKeys(SIGNER.publicJwkSet(), "https://sts.windows.net/" + TENANT + "/",
                "https://ConfigMgrService", FIXED, Duration.ZERO);
        JWTClaimsSet c = cmg.verify(r.json().path("access_token").asText()).claims();
        assertThat(c.getStringClaim("idtyp")).isEqualTo("user");
        assertThat(c.getStringClaim("oid")).isEqualTo("a1a1a1a1-0000-4000-8000-000000000001");
        assertThat(c.getStringClaim("upn")).isEqualTo("alice@cmglab.onmicrosoft.com");
        assertThat(c.getStringClaim("unique_name")).isEqualTo("alice@cmglab.onmicrosoft.com");
        assertThat(c.getStringClaim("name")).isEqualTo("Alice Admin");
        assertThat(c.getStringClaim("scp")).isEqualTo("user_impersonation");
        assertThat(c.getStringClaim("appid")).isEqualTo(CLIENT_APP);
        assertThat(c.getStringClaim("appidacr")).isEqualTo("0");
        assertThat(c.getStringClaim("tid")).isEqualTo(TENANT);
        assertThat(c.getSubject()).isNotBlank().isNotEqualTo(c.getStringClaim("oid"));
        assertThat(c.getStringClaim("ipaddr")).isEqualTo("127.0.0.1");
    }

    @Test
    void passwordGrantOnOrganizationsWithANamedScope() throws Exception {
        Result r = postForm(entra, LOGIN, "/organizations/oauth2/v2.0/token", "grant_type=password&client_id=" + CLIENT_APP
                + "&username=" + enc("bob@cmglab.onmicrosoft.com") + "&password=" + enc("P@ss-bob")
                + "&scope=" + enc("https://ConfigMgrService/user_impersonation"));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        SignedJWT jwt = SignedJWT.parse(r.json().path("access_token").asText());
        assertThat(jwt.getJWTClaimsSet().getStringClaim("scp")).isEqualTo("user_impersonation");
        assertThat(jwt.getJWTClaimsSet().getStringClaim("tid")).isEqualTo(TENANT);
    }

    @Test
    void wrongUserPasswordIs400Aadsts50126() {
        Result r = postForm(entra, LOGIN, V2_TOKEN, "grant_type=password&client_id=" + CLIENT_APP
                + "&username=" + enc("alice@cmglab.onmicrosoft.com") + "&password=nope"
                + "&scope=" + enc("https://ConfigMgrService/.default"));
        assertAadError(r, 400, "invalid_grant", 50126);
    }

    @Test
    void unknownUserIs400Aadsts50034() {
        Result r = postForm(entra, LOGIN, V2_TOKEN, "grant_type=password&client_id=" + CLIENT_APP
                + "&username=" + enc("mallory@cmglab.onmicrosoft.com") + "&password=x"
                + "&scope=" + enc("https://ConfigMgrService/.default"));
        assertAadError(r, 400, "invalid_grant", 50034);
    }

    @Test
    void publicClientPresentingASecretIs401() {
        Result r = postForm(entra, LOGIN, V2_TOKEN, "grant_type=password&client_id=" + CLIENT_APP + "&client_secret=x"
                + "&username=" + enc("alice@cmglab.onmicrosoft.com") + "&password=" + enc("P@ss-alice")
                + "&scope=" + enc("https://ConfigMgrService/.default"));
        assertAadError(r, 401, "invalid_client", 700025);
    }

    @Test
    void passwordGrantMissingUsernameIs900144() {
        Result r = postForm(entra, LOGIN, V2_TOKEN, "grant_type=password&client_id=" + CLIENT_APP + "&password=x"
                + "&scope=" + enc("https://ConfigMgrService/.default"));
        assertAadError(r, 400, "invalid_request", 900144);
        assertThat(r.json().path("error_description").asText()).contains("'username'");
    }
}
