package org.cmglab.lab.azurite;

import java.util.Optional;

/**
 * A started Azurite (Azure Storage emulator), either a local npm child process or a Testcontainers container.
 * Closing it stops Azurite; closing twice is harmless.
 */
public interface RunningAzurite extends AutoCloseable {

    /** How Azurite was started. */
    enum Mode {
        /** {@code mcr.microsoft.com/azure-storage/azurite} through Testcontainers. */
        DOCKER,
        /** {@code tools/azurite/node_modules/.bin/azurite} as a child process. */
        NPM
    }

    Mode mode();

    /** For example {@code http://127.0.0.1:10000/devstoreaccount1}. */
    String blobEndpoint();

    String queueEndpoint();

    String tableEndpoint();

    /** devstoreaccount1 with the well-known dev key and explicit Blob/Queue/Table endpoints. */
    String connectionString();

    String accountName();

    String accountKey();

    /** The one line announced at start, naming the mode, the version and the blob endpoint. */
    String describe();

    /** The Azurite process in {@link Mode#NPM}; empty in {@link Mode#DOCKER}. */
    Optional<ProcessHandle> process();

    /** Stops Azurite (process or container). Never throws. */
    @Override
    void close();
}
