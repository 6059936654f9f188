package org.cmglab.cmg.frontdoor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.common.StorageSharedKeyCredential;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.cmglab.cmg.channel.ChannelRegistry;
import org.cmglab.cmg.content.ContentService;
import org.cmglab.proto.config.ChannelTimings;
import org.cmglab.proto.config.ContentStorageConfig;
import org.cmglab.proto.content.ContentToken;
import org.cmglab.proto.flow.FlowEvent;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.pki.ClientCertValidator;
import org.cmglab.proto.pki.LabCa;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code getcontentxmlsecure} through the front door on an EmbeddedChannel: answered by the CMG itself (never looked
 * up as a proxy path), refusals with their status and a C4 flow event; a CMG without content storage answers 404.
 * The storage side (manifest, SAS) is covered by {@code ContentServiceTest} against Azurite.
 */
class ContentFrontDoorTest {
    static final String CLIENT = "GUID:0F3C8A55-1B2C-4D5E-8F90-123456789ABC";
    static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @TempDir
    static Path dir;
    static KeyPair site;
    static FlowEventLog events;
    static ContentService content;

    @BeforeAll
    static void setUp() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        site = g.generateKeyPair();
        events = new FlowEventLog("cmg-service-test", dir.resolve("flow.jsonl"));
        String key = Base64.getEncoder().encodeToString(new byte[32]);
        // never called in these tests: every request is refused before storage is touched
        BlobContainerClient unreachable = new BlobServiceClientBuilder().endpoint("https://127.0.0.1:1/granitefalls")
                .credential(new StorageSharedKeyCredential("granitefalls", key)).buildClient()
                .getBlobContainerClient("cmg-content");
        content = new ContentService(new ContentStorageConfig("https://127.0.0.1:1", "granitefalls",
                dir.resolve("k").toString(), "granitefalls.blob.core.windows.net", 443, null, List.of(), 0),
                unreachable, site.getPublic(), CLOCK, Duration.ofMinutes(5), Duration.ofMinutes(60));
    }

    @AfterAll
    static void tearDown() {
        content.close();
        events.close();
    }

    static FrontDoorContext fd(ContentService c) {
        ClientCertValidator v = new ClientCertValidator(List.of(LabCa.createEphemeral().root()));
        return new FrontDoorContext("cmg-service/0", "P01", Set.of("72057594037927939"), new ChannelRegistry(), v, v,
                events, ChannelTimings.defaults().toSettings(), 443, 5_000, CLOCK, null, null, c);
    }

    static String send(FrontDoorContext fd, String uri, String clientId) {
        EmbeddedChannel ch = new EmbeddedChannel(new FrontDoorHandler(fd, false, List.of()));
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri, Unpooled.EMPTY_BUFFER);
        r.headers().set(HttpHeaderNames.HOST, "GraniteFalls.contoso.com");
        if (clientId != null) {
            r.headers().set(ContentService.CLIENT_ID_HEADER, clientId);
        }
        ch.writeInbound(r);
        AtomicReference<FullHttpResponse> got = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            ch.runPendingTasks();
            FullHttpResponse res = ch.readOutbound();
            if (res != null) {
                got.set(res);
            }
            return got.get() != null;
        });
        FullHttpResponse res = got.get();
        try {
            return res.status().code() + " " + res.content().toString(StandardCharsets.UTF_8);
        } finally {
            res.release();
            ch.finishAndReleaseAll();
        }
    }

    static String token(Instant at, String client) {
        return ContentService.PATH + "?" + ContentToken.issue("P0100012", "P0100012", client, "mp01.corp.contoso.com",
                Clock.fixed(at, ZoneOffset.UTC), site.getPrivate()).query();
    }

    @Test
    void refusesBadTokensWithTheirStatusAndAFlowEvent() {
        FrontDoorContext fd = fd(content);
        assertThat(send(fd, token(NOW.minus(Duration.ofHours(30)), CLIENT), CLIENT)).startsWith("401")
                .contains("EXPIRED");
        assertThat(send(fd, token(NOW, "GUID:AAAAAAAA-1B2C-4D5E-8F90-123456789ABC"), CLIENT)).startsWith("403")
                .contains("WRONG_CLIENT");
        assertThat(send(fd, token(NOW, CLIENT).replace("cid=P0100012", "cid=P0100099"), CLIENT)).startsWith("401")
                .contains("BAD_SIGNATURE");
        assertThat(send(fd, ContentService.PATH.toUpperCase() + "?pid=P0100012", CLIENT)).startsWith("400");
        List<FlowEvent> c4 = events.snapshot(null).stream().filter(e -> e.step().equals("C4")).toList();
        assertThat(c4).hasSizeGreaterThanOrEqualTo(4).allSatisfy(e -> {
            assertThat(e.outcome()).isEqualTo("refused");
            assertThat(e.detail()).doesNotContainPattern("sig=[A-Za-z0-9_-]{10,}");
        });
    }

    @Test
    void aCmgWithoutContentStorageAnswers404() {
        assertThat(send(fd(null), token(NOW, CLIENT), CLIENT)).startsWith("404").contains("not content-enabled");
    }
}
