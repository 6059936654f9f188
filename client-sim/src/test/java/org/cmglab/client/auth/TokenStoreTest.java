package org.cmglab.client.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenStoreTest {
    static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    @TempDir
    Path dir;

    static TokenStore at(Path dir, Instant t) {
        return new TokenStore(dir, Clock.fixed(t, ZoneOffset.UTC));
    }

    @Test
    void ccmTokenIsReusedUntilNearExpiryThenRenewed() throws Exception {
        at(dir, NOW).saveCcmToken("tok", "UDA", 8 * 3600);
        assertThat(at(dir, NOW.plus(Duration.ofHours(7))).usableCcmToken("UDA").token()).isEqualTo("tok");
        assertThat(at(dir, NOW.plus(Duration.ofHours(7)).plus(Duration.ofMinutes(31))).usableCcmToken("UDA")).isNull();
        assertThat(at(dir, NOW).usableCcmToken("Device")).as("another type").isNull();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(TokenStore.CCM_TOKEN))))
                .isEqualTo("rw-------");
    }

    @Test
    void clientTokenAndIdentityPersistInTheStateFolder() throws Exception {
        assertThat(at(dir, NOW).clientToken()).isNull();
        at(dir, NOW).saveClientToken("client.jwt.token");
        assertThat(at(dir, NOW).clientToken()).isEqualTo("client.jwt.token");
        ClientIdentity a = ClientIdentity.loadOrCreate(dir);
        ClientIdentity b = ClientIdentity.loadOrCreate(dir);
        assertThat(a.smsId()).matches("GUID:[0-9A-F-]{36}").isEqualTo(b.smsId());
        assertThat(a.signing().certificate()).isEqualTo(b.signing().certificate());
    }

    @Test
    void unreadableCacheMeansRenew() throws Exception {
        Files.writeString(dir.resolve(TokenStore.CCM_TOKEN), "{not json");
        assertThat(at(dir, NOW).usableCcmToken("UDA")).isNull();
    }

    @Test
    void aClientTokenIsOnlyUsedForTheSmsIdItWasIssuedTo() throws Exception {
        TokenStore store = new TokenStore(dir, Clock.systemUTC());
        java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
        String token = b64.encodeToString("{\"alg\":\"RS256\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "."
                + b64.encodeToString("{\"DeviceId\":\"GUID:AAAA\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                + ".sig";
        store.saveClientToken(token);
        assertThat(store.clientTokenFor("GUID:aaaa")).isEqualTo(token);
        assertThat(store.clientTokenFor("GUID:BBBB")).as("registered again under another SMSID").isNull();
        assertThat(store.clientTokenFor(null)).isNull();
        store.saveClientToken("not-a-jwt");
        assertThat(store.clientTokenFor("GUID:AAAA")).isNull();
    }
}
