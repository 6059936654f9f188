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

    /**
     * Every storage account Azurite serves, name → base64 key: devstoreaccount1 (well-known key) plus each
     * {@link AzuriteLauncher.Builder#account(String, String)}. The keys are secrets: never log them.
     */
    java.util.Map<String, String> accounts();

    /** Path-style blob endpoint of {@code account}, e.g. {@code http://127.0.0.1:10000/granitefalls}. */
    String blobEndpoint(String account);

    /** Path-style table endpoint of {@code account}. */
    String tableEndpoint(String account);

    /** The one line announced at start, naming the mode, the version and the blob endpoint. */
    String describe();

    /** The Azurite process in {@link Mode#NPM}; empty in {@link Mode#DOCKER}. */
    Optional<ProcessHandle> process();

    /** Stops Azurite (process or container). Never throws. */
    @Override
    void close();
}
