package org.cmglab.client.auth;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.cmglab.proto.runtime.Json;

/**
 * The tokens a client keeps in its state folder: the client token registration gave it ({@code client-token.jwt},
 * 90 days) and the last CCM token ({@code ccm-token.json}: token, type, expiry). A CCM token is reused until
 * {@link #RENEW_BEFORE} before it expires, then renewed at CCM_STS (CcmMessaging renews "near expiry"; the margin is
 * the lab's). Files are written 0600 through a temporary file.
 */
public final class TokenStore {
    /** A CCM token is renewed when it expires within this. */
    public static final Duration RENEW_BEFORE = Duration.ofMinutes(30);
    static final String CLIENT_TOKEN = "client-token.jwt";
    static final String CCM_TOKEN = "ccm-token.json";

    /** A cached CCM token. */
    public record CcmToken(String token, String type, Instant expires) {}

    private final Path dir;
    private final Clock clock;

    public TokenStore(Path dir, Clock clock) {
        this.dir = Objects.requireNonNull(dir, "dir");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The stored client token, or null. */
    public String clientToken() throws IOException {
        Path f = dir.resolve(CLIENT_TOKEN);
        return Files.exists(f) ? Files.readString(f, StandardCharsets.US_ASCII).strip() : null;
    }

    /**
     * The stored client token if it was issued to {@code smsId} (its {@code DeviceId} claim), else null: a client that
     * registered again (e.g. with its PKI certificate) has a new SMSID, and the MP refuses a client token of the old one.
     */
    public String clientTokenFor(String smsId) throws IOException {
        String token = clientToken();
        if (token == null || smsId == null) {
            return null;
        }
        String[] parts = token.split("\\.");
        try {
            JsonNode claims = Json.MAPPER.readTree(java.util.Base64.getUrlDecoder().decode(parts.length > 1 ? parts[1] : ""));
            return smsId.equalsIgnoreCase(claims.path("DeviceId").asText("")) ? token : null;
        } catch (IOException | IllegalArgumentException e) {
            return null; // not a readable JWT: register again
        }
    }

    public void saveClientToken(String token) throws IOException {
        write(dir.resolve(CLIENT_TOKEN), token + "\n");
    }

    /** The cached CCM token of {@code type} if it does not need renewal yet, else null. */
    public CcmToken usableCcmToken(String type) throws IOException {
        Path f = dir.resolve(CCM_TOKEN);
        if (!Files.exists(f)) {
            return null;
        }
        JsonNode j;
        try {
            j = Json.MAPPER.readTree(Files.readString(f, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return null; // unreadable cache: renew
        }
        CcmToken t = new CcmToken(j.path("token").asText(null), j.path("type").asText(null),
                Instant.ofEpochSecond(j.path("expires").asLong(0)));
        if (t.token() == null || !type.equalsIgnoreCase(t.type()) || needsRenewal(t)) {
            return null;
        }
        return t;
    }

    /** Whether {@code t} expires within {@link #RENEW_BEFORE}. */
    public boolean needsRenewal(CcmToken t) {
        return !clock.instant().plus(RENEW_BEFORE).isBefore(t.expires());
    }

    public CcmToken saveCcmToken(String token, String type, long expiresInSeconds) throws IOException {
        CcmToken t = new CcmToken(token, type, clock.instant().plusSeconds(expiresInSeconds));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("token", t.token());
        m.put("type", t.type());
        m.put("expires", t.expires().getEpochSecond());
        write(dir.resolve(CCM_TOKEN), Json.writeCompact(m));
        return t;
    }

    private static void write(Path f, String text) throws IOException {
        Files.createDirectories(f.getParent());
        Path tmp = Files.createTempFile(f.getParent(), "." + f.getFileName(), ".tmp",
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
