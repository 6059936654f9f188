package org.cmglab.lab;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The client-sim arguments of an auth mode ({@code --auth pki|entra|token}), and the bulk registration token the
 * {@code token} mode needs (made with {@code site-sim bulk-token}, kept 0600 in the state folder).
 */
public final class ClientAuthArgs {
    private ClientAuthArgs() {}

    /** What the narration says about an auth mode. */
    public static String describe(String auth) {
        return switch (auth) {
            case "entra" -> "Entra ID device token, exchanged at CCM_STS for a CCM token (server-auth TLS, "
                    + "CCM_Proxy_ServerAuth, Authorization: Bearer)";
            case "token" -> "bulk registration token → client token → CCM token from CCM_STS (server-auth TLS, "
                    + "CCM_Proxy_ServerAuth, Authorization: Bearer)";
            default -> "PKI client certificate (mutual TLS, CCM_Proxy_MutualAuth)";
        };
    }

    /** {@code --auth <mode>} plus, for {@code token}, {@code --bulk-token-file <f>}. */
    public static List<String> args(String auth, Path bulkTokenFile) {
        List<String> a = new ArrayList<>(List.of("--auth", auth));
        if ("token".equals(auth) && bulkTokenFile != null) {
            a.addAll(List.of("--bulk-token-file", bulkTokenFile.toString()));
        }
        return a;
    }

    /**
     * Runs {@code java -jar site-sim.jar bulk-token --config <site-sim.json>} and writes the token to
     * {@code <state>/client-sim/bulk-token.jwt} (0600); returns that file.
     *
     * @throws IllegalStateException when the tool fails (its output in the message)
     */
    public static Path bulkTokenFile(LabPlan plan) throws InterruptedException {
        Path jar = plan.jar(LabPlan.SITE_SIM);
        Process p;
        try {
            p = new ProcessBuilder(ComponentProcess.javaCommand(jar, List.of("bulk-token", "--config",
                    plan.configFile(LabPlan.SITE_SIM).toString()))).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run site-sim bulk-token: " + e.getMessage(), e);
        }
        byte[][] buf = new byte[1][];
        Thread reader = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                buf[0] = in.readAllBytes();
            } catch (IOException e) {
                buf[0] = new byte[0];
            }
        }, "bulk-token-output");
        reader.setDaemon(true);
        reader.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        reader.join(5_000);
        String out = buf[0] == null ? "" : new String(buf[0], StandardCharsets.UTF_8);
        var result = LabProcesses.parseResult(out);
        String token = result == null ? null : result.path("token").asText(null);
        if (p.exitValue() != 0 || token == null) {
            throw new IllegalStateException("site-sim bulk-token exited " + p.exitValue() + ": " + out.strip());
        }
        try {
            Path f = plan.stateDir().resolve("client-sim").resolve("bulk-token.jwt");
            Files.createDirectories(f.getParent());
            Files.deleteIfExists(f);
            Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(f, token, StandardCharsets.US_ASCII);
            return f;
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the bulk token file: " + e.getMessage(), e);
        }
    }
}
