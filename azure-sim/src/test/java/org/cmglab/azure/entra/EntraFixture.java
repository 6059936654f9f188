package org.cmglab.azure.entra;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.cmglab.azure.http.HttpService;
import org.cmglab.azure.http.RequestInfo;
import org.cmglab.proto.config.AzureEnvironment;
import org.cmglab.proto.config.AzureSimConfig.AppRegistration;
import org.cmglab.proto.config.AzureSimConfig.DirectoryUser;
import org.cmglab.proto.jwt.JwtSigner;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.runtime.Json;

/** Shared lab tenant, apps, users, signer and request helpers for the Entra ID / Graph tests. */
public final class EntraFixture {
    public static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    public static final String SCP_APP = "0b5e8f2c-1111-4a7e-9d33-5c6f2e1a0001";
    public static final String SCP_SECRET = "scp-secret~value.123";
    public static final String SERVER_APP = "0b5e8f2c-2222-4a7e-9d33-5c6f2e1a0002";
    public static final String CLIENT_APP = "0b5e8f2c-3333-4a7e-9d33-5c6f2e1a0003";
    public static final Instant NOW = Instant.parse("2026-01-15T10:00:00Z");
    public static final Clock FIXED = Clock.fixed(NOW, ZoneOffset.UTC);

    public static final List<AppRegistration> APPS = List.of(
            new AppRegistration(SCP_APP, "CMG Lab SCP", SCP_SECRET, null, List.of()),
            new AppRegistration(SERVER_APP, "CMG Lab server app", "server-secret", "https://ConfigMgrService",
                    List.of("https://ConfigMgrService")),
            new AppRegistration(CLIENT_APP, "CMG Lab client app", null, null, List.of("ms-appx-web://Microsoft.AAD.BrokerPlugin")));
    public static final List<DirectoryUser> USERS = List.of(
            new DirectoryUser("alice@cmglab.onmicrosoft.com", "a1a1a1a1-0000-4000-8000-000000000001", "Alice Admin", "P@ss-alice"),
            new DirectoryUser("bob@cmglab.onmicrosoft.com", "b2b2b2b2-0000-4000-8000-000000000002", "Bob User", "P@ss-bob"),
            new DirectoryUser("carol@cmglab.onmicrosoft.com", "c3c3c3c3-0000-4000-8000-000000000003", "Carol User", "P@ss-carol"));

    /** One token-signing certificate for all tests of the class (RSA keys are slow to make). */
    public static final JwtSigner SIGNER = JwtSigner.fromCertificate(
            LabCa.createEphemeral().issue(CertSpec.builder("CMG Lab token signing").build()));

    private EntraFixture() {}

    public static EntraIdService entra(Clock clock) {
        return new EntraIdService(AzureEnvironment.PUBLIC, TENANT, APPS, USERS, SIGNER, clock);
    }

    /** The status and parsed JSON body of a response (null body when not JSON); releases everything. */
    public record Result(int status, JsonNode json, String body, String contentType, FullHttpResponse headersOnly) {}

    public static Result get(HttpService s, String host, String uri) {
        return call(s, host, HttpMethod.GET, uri, null, null);
    }

    public static Result postForm(HttpService s, String host, String uri, String form) {
        return call(s, host, HttpMethod.POST, uri, "application/x-www-form-urlencoded", form);
    }

    public static Result call(HttpService s, String host, HttpMethod method, String uri, String contentType, String body,
                              String... headers) {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri,
                body == null ? Unpooled.EMPTY_BUFFER : Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        req.headers().set(HttpHeaderNames.HOST, host);
        if (contentType != null) {
            req.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            req.headers().set(headers[i], headers[i + 1]);
        }
        QueryStringDecoder q = new QueryStringDecoder(uri);
        FullHttpResponse res = null;
        try {
            res = s.handle(req, new RequestInfo(host, q.path(), q.parameters(), new InetSocketAddress("127.0.0.1", 50000)));
            String text = res.content().toString(StandardCharsets.UTF_8);
            String ct = res.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
            JsonNode json = ct.startsWith("application/json") ? Json.read(text, JsonNode.class) : null;
            FullHttpResponse copy = res.replace(Unpooled.EMPTY_BUFFER);
            return new Result(res.status().code(), json, text, ct, copy);
        } finally {
            req.release();
            if (res != null) {
                res.release();
            }
        }
    }
}
