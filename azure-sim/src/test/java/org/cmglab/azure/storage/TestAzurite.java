package org.cmglab.azure.storage;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cmglab.proto.config.AzureSimConfig;
import org.cmglab.proto.testing.NpmAzurite;

/**
 * Azurite over plain HTTP for azure-sim tests (azure-sim cannot use the lab's launcher): {@link NpmAzurite} with the
 * given accounts, and the storage config azure-sim would get for it.
 */
public final class TestAzurite implements AutoCloseable {
    private static final String HOST = NpmAzurite.HOST;

    private final NpmAzurite azurite;
    public final int blobPort;
    public final int tablePort;

    /** {@code tools/azurite/node_modules/.bin/azurite} above the working directory, if installed. */
    public static Optional<Path> bin() {
        return NpmAzurite.bin();
    }

    /** @param accounts name → base64 key */
    public TestAzurite(Path bin, Path location, Map<String, String> accounts) throws Exception {
        azurite = new NpmAzurite(bin, location, accounts, List.of());
        blobPort = azurite.blobPort;
        tablePort = azurite.tablePort;
    }

    public String blobEndpoint() {
        return "http://" + HOST + ":" + blobPort;
    }

    public String tableEndpoint() {
        return "http://" + HOST + ":" + tablePort;
    }

    /** The config azure-sim would get for this Azurite. */
    public AzureSimConfig.StorageService service(Map<String, String> keys) {
        return new AzureSimConfig.StorageService(blobEndpoint(), tableEndpoint(), keys.entrySet().stream()
                .map(e -> new AzureSimConfig.StorageAccountKey(e.getKey(), e.getValue())).toList());
    }

    public String output() {
        return azurite.output();
    }

    @Override
    public void close() throws InterruptedException {
        azurite.close();
    }

    static Duration timeout() {
        return Duration.ofSeconds(10);
    }
}
