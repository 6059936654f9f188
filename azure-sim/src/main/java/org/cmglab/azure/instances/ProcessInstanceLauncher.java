package org.cmglab.azure.instances;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Runs each VM instance as its own OS process. The command is built from the config file path: by default
 * {@code <java.home>/bin/java -jar <cmgServiceJar> --config <file>}; stdout and stderr are appended to the out file.
 */
public final class ProcessInstanceLauncher implements InstanceLauncher {
    private final Function<Path, List<String>> command;

    public ProcessInstanceLauncher(Function<Path, List<String>> command) {
        this.command = command;
    }

    /**
     * {@code java -jar <jar> --config <file>} with the leak-detection level the lab uses, and the AppCDS options of
     * the lab's archive folder when azure-sim was given one ({@code -Dcmglab.cdsDir}).
     */
    public static ProcessInstanceLauncher forJar(Path jar) {
        return new ProcessInstanceLauncher(config -> {
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException("cmg-service jar " + jar
                        + " is missing (build with ./mvnw -B -DskipTests package)");
            }
            List<String> cmd = new ArrayList<>(javaPrefix());
            // the lab's AppCDS folder (-Dcmglab.cdsDir from the lab): the instance maps the cmg-service archive
            org.cmglab.proto.runtime.ClassDataSharing.fromSystemProperties().ifPresent(c -> cmd.addAll(c.jvmOptions(jar)));
            cmd.add("-jar");
            cmd.add(jar.toString());
            cmd.add("--config");
            cmd.add(config.toString());
            return cmd;
        });
    }

    /** {@code <java.home>/bin/java -Dio.netty.leakDetection.level=…}, the start of every instance command. */
    public static List<String> javaPrefix() {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Dio.netty.leakDetection.level=" + System.getProperty("cmglab.leakLevel", "simple"));
        return cmd;
    }

    @Override
    public LaunchedInstance launch(org.cmglab.proto.config.CmgServiceConfig config, Path configFile, Path outFile)
            throws IOException {
        List<String> cmd = command.apply(configFile);
        Files.createDirectories(outFile.toAbsolutePath().getParent());
        Files.writeString(outFile, "--- azure-sim: starting " + config.instanceName() + " of " + config.serviceName()
                        + " at " + Instant.now() + ": " + String.join(" ", cmd) + "\n",
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(outFile.toFile()));
        // the instance's admin endpoint takes the lab's admin token too (passed on explicitly, never logged)
        org.cmglab.proto.runtime.AdminToken.fromEnvironment()
                .ifPresent(t -> pb.environment().put(org.cmglab.proto.runtime.AdminToken.ENV, t));
        Process p = pb.start();
        return new ProcessInstance(p);
    }

    /** One child process. */
    static final class ProcessInstance implements LaunchedInstance {
        private final Process process;
        private final CompletableFuture<Integer> exit;

        ProcessInstance(Process process) {
            this.process = process;
            this.exit = process.onExit().thenApply(Process::exitValue);
        }

        @Override
        public long pid() {
            return process.pid();
        }

        @Override
        public boolean isAlive() {
            return process.isAlive();
        }

        @Override
        public CompletableFuture<Integer> onExit() {
            return exit;
        }

        @Override
        public void stop(Duration grace) {
            org.cmglab.proto.runtime.ChildProcesses.stop(process, grace);
        }
    }
}
