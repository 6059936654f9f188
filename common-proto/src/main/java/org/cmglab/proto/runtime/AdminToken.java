package org.cmglab.proto.runtime;

import java.io.IOException;
import java.io.Writer;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

/**
 * The lab's admin token: a random secret the lab writes to {@code <state>/pki/admin-token} (mode 0600) and hands to
 * every component process in the environment variable {@value #ENV}. When that variable is set, a component's
 * {@link AdminServer} answers mutating requests (POST/PUT/DELETE) only with {@code Authorization: Bearer <token>};
 * reads (GET) stay open on loopback. The token itself is never logged.
 */
public final class AdminToken {
    /** The environment variable that carries the token to a component process. */
    public static final String ENV = "CMGLAB_ADMIN_TOKEN";
    /** The token file's name in the lab's {@code pki/} folder. */
    public static final String FILE = "admin-token";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_TOKEN_CHARS = 512;

    private AdminToken() {
    }

    /** The token of this process (its {@value #ENV}), or empty when the admin endpoint is unprotected. */
    public static Optional<String> fromEnvironment() {
        return normalize(System.getenv(ENV));
    }

    /** The token stored in {@code pkiDir}, or empty if there is none (a lab planned before the token existed). */
    public static Optional<String> read(Path pkiDir) {
        Path f = pkiDir.resolve(FILE);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            return normalize(Files.readString(f, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the admin token " + f + ": " + e.getMessage(), e);
        }
    }

    /** Reads the token in {@code pkiDir}, creating it (256 random bits, file mode 0600) when it is missing. */
    public static String loadOrCreate(Path pkiDir) throws IOException {
        Optional<String> have = read(pkiDir);
        if (have.isPresent()) {
            return have.get();
        }
        Files.createDirectories(pkiDir);
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        writeOwnerOnly(pkiDir.resolve(FILE), token + "\n");
        return token;
    }

    /**
     * Whether an {@code Authorization} header value carries {@code expected} as a bearer token; the comparison takes
     * the same time wherever the first difference is.
     */
    public static boolean matches(String expected, String authorization) {
        if (expected == null || authorization == null || authorization.length() > MAX_TOKEN_CHARS + 16) {
            return false;
        }
        String prefix = "Bearer ";
        if (!authorization.regionMatches(true, 0, prefix, 0, prefix.length())) {
            return false;
        }
        byte[] got = authorization.substring(prefix.length()).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), got);
    }

    /** {@code builder} with {@code Authorization: Bearer <token>} when there is a token. */
    public static HttpRequest.Builder authorize(HttpRequest.Builder builder, Optional<String> token) {
        token.ifPresent(t -> builder.header("Authorization", "Bearer " + t));
        return builder;
    }

    private static Optional<String> normalize(String raw) {
        if (raw == null || raw.isBlank()) {
            return Optional.empty();
        }
        String t = raw.strip();
        if (t.length() > MAX_TOKEN_CHARS) {
            throw new IllegalArgumentException("admin token: " + t.length() + " characters (expected: at most "
                    + MAX_TOKEN_CHARS + ")");
        }
        return Optional.of(t);
    }

    private static void writeOwnerOnly(Path file, String text) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        boolean posix = file.getFileSystem().supportedFileAttributeViews().contains("posix");
        FileAttribute<?>[] attrs = posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp", attrs);
        try {
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.US_ASCII)) {
                w.write(text);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
