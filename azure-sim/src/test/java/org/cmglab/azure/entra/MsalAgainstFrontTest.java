package org.cmglab.azure.entra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cmglab.azure.entra.EntraFixture.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.aad.msal4j.ClientCredentialFactory;
import com.microsoft.aad.msal4j.ClientCredentialParameters;
import com.microsoft.aad.msal4j.ConfidentialClientApplication;
import com.microsoft.aad.msal4j.IAuthenticationResult;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.cmglab.azure.graph.GraphService;
import org.cmglab.azure.http.AzureFrontServer;
import org.cmglab.proto.config.AzureEnvironment;
import org.cmglab.proto.jwt.VerifiedToken;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.ClientAuthMode;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.EventLoops;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * MSAL for Java, unmodified, against the HTTPS front on 127.0.0.1:443. The lab host names resolve to 127.0.0.1 through
 * the hosts file surefire passes as {@code -Djdk.net.hosts.file}; TLS trusts only the lab CA and verifies host names.
 */
class MsalAgainstFrontTest {
    private static final String LOGIN = "login.microsoftonline.com";
    private static final String GRAPH = "graph.microsoft.com";

    private static LabCa ca;
    private static EventLoopGroup group;
    private static AzureFrontServer front;
    private static SSLContext clientTls;

    @BeforeAll
    static void startFront() throws Exception {
        assertThat(InetAddress.getByName(LOGIN).getHostAddress())
                .as("lab hosts file (jdk.net.hosts.file=%s) maps %s", System.getProperty("jdk.net.hosts.file"), LOGIN)
                .isEqualTo("127.0.0.1");
        ca = LabCa.createEphemeral();
        IssuedCert tls = ca.issue(CertSpec.server(LOGIN, List.of(LOGIN, GRAPH, "management.azure.com"), List.of()));
        SslContext server = TlsContexts.server(tls, ClientAuthMode.NONE, List.of());
        clientTls = TlsContexts.jdkClient(List.of(ca.root()), null);
        group = EventLoops.newGroup(1, "entra-front-test");
        Clock clock = Clock.systemUTC();
        try {
            front = AzureFrontServer.start(new InetSocketAddress("127.0.0.1", 443), group, server, Map.of(
                    LOGIN, entra(clock),
                    GRAPH, new GraphService(AzureEnvironment.PUBLIC, TENANT, USERS, SIGNER, clock)));
        } catch (Exception e) {
            Assumptions.assumeTrue(false, "needs root (or CAP_NET_BIND_SERVICE) to bind 127.0.0.1:443 — MSAL"
                    + " only talks to port 443 of the authority: " + e);
        }
    }

    @AfterAll
    static void stop() {
        if (front != null) {
            front.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static IAuthenticationResult msalClientCredentials(String scope) throws Exception {
        ConfidentialClientApplication app = ConfidentialClientApplication
                .builder(SCP_APP, ClientCredentialFactory.createFromSecret(SCP_SECRET))
                .authority("https://" + LOGIN + "/" + TENANT + "/")
                .sslSocketFactory(clientTls.getSocketFactory())
                .build();
        return app.acquireToken(ClientCredentialParameters.builder(Set.of(scope)).build()).get(30, TimeUnit.SECONDS);
    }

    @Test
    void msalObtainsAnArmTokenThatArmVerifierAccepts() throws Exception {
        IAuthenticationResult r = msalClientCredentials("https://management.azure.com/.default");
        assertThat(r.accessToken()).isNotBlank();
        assertThat(r.expiresOnDate()).isAfter(new java.util.Date());
        VerifiedToken t = EntraIdService.armVerifier(AzureEnvironment.PUBLIC, TENANT, SIGNER, Clock.systemUTC())
                .verify(r.accessToken());
        assertThat(t.claims().getStringClaim("appid")).isEqualTo(SCP_APP);
        assertThat(t.claims().getStringClaim("tid")).isEqualTo(TENANT);
        assertThat(t.claims().getAudience()).containsExactly("https://management.azure.com/");
    }

    @Test
    void msalGraphTokenListsUsersOverHttps() throws Exception {
        String token = msalClientCredentials("https://graph.microsoft.com/.default").accessToken();
        HttpClient http = HttpClient.newBuilder().sslContext(clientTls).connectTimeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create("https://" + GRAPH + "/v1.0/users"))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        JsonNode users = Json.read(ok.body(), JsonNode.class);
        assertThat(users.path("value")).hasSize(USERS.size());

        HttpResponse<String> anon = http.send(HttpRequest.newBuilder(URI.create("https://" + GRAPH + "/v1.0/users"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(anon.statusCode()).isEqualTo(401);
        assertThat(Json.read(anon.body(), JsonNode.class).path("error").path("code").asText())
                .isEqualTo("InvalidAuthenticationToken");
    }

    @Test
    void discoveryDocumentIsServedOverHttpsAtTheRealPath() throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(clientTls).build();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("https://" + LOGIN + "/" + TENANT
                + "/v2.0/.well-known/openid-configuration")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Json.read(r.body(), JsonNode.class).path("token_endpoint").asText())
                .isEqualTo("https://" + LOGIN + "/" + TENANT + "/oauth2/v2.0/token");
    }
}
