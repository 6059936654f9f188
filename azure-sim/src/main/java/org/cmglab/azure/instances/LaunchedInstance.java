package org.cmglab.azure.instances;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A started VM instance (a child process, or an in-JVM stand-in in tests). */
public interface LaunchedInstance {
    /** OS process id, or -1 when the instance is not a process. */
    long pid();

    boolean isAlive();

    /** Completes with the exit code when the instance ends, for whatever reason. */
    CompletableFuture<Integer> onExit();

    /** Asks it to stop (SIGTERM), waits up to {@code grace}, then kills it; blocks until it is gone. */
    void stop(Duration grace);
}
