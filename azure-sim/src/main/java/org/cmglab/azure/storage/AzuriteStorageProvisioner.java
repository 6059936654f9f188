package org.cmglab.azure.storage;

import com.azure.core.util.Context;
import com.azure.data.tables.TableClient;
import com.azure.data.tables.TableServiceClient;
import com.azure.data.tables.models.TableEntity;
import com.azure.data.tables.models.TableEntityUpdateMode;
import com.azure.data.tables.models.TableServiceException;
import com.azure.storage.blob.BlobServiceClient;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.cmglab.azure.arm.StorageProvisioner;
import org.cmglab.azure.instances.DeploymentException;
import org.cmglab.azure.instances.InstanceListener;
import org.cmglab.proto.config.AzureSimConfig.StorageService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the CMG's storage account content in Azurite: the blob containers {@link #CONTENT_CONTAINER} (cloud DP
 * content) and {@link #LOGS_CONTAINER} (logs the CMG pushes to storage, cmg-facts §4.5), and the table
 * {@link #INSTANCES_TABLE} (instance registry: PartitionKey = service name, RowKey = role instance, {@code State},
 * {@code Address}, {@code Since}, {@code Detail}), kept up to date from the fabric's instance state changes.
 *
 * <p>The account itself must exist in Azurite: Azurite only serves the accounts it was started with
 * ({@code AZURITE_ACCOUNTS}), so the lab starts it with the CMG's account and passes its key in
 * {@link StorageService#keys()}. A CMG whose name has no key fails with {@code StorageAccountNotProvisioned}.
 *
 * <p>Every Azurite call runs on one I/O thread, in order (instance rows queued before a delete are written before
 * the table goes); {@link #create} and {@link #delete} wait for their work at most {@code operationTimeout}, every
 * HTTP try is bounded by {@code callTimeout}. Keys are never logged.
 */
public final class AzuriteStorageProvisioner implements StorageProvisioner, InstanceListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AzuriteStorageProvisioner.class);

    /** Content of a content-enabled CMG (cloud DP). */
    public static final String CONTENT_CONTAINER = "cmg-content";
    /** Logs the CMG instances push to storage. */
    public static final String LOGS_CONTAINER = "cmg-logs";
    public static final List<String> CONTAINERS = List.of(CONTENT_CONTAINER, LOGS_CONTAINER);
    /** Instance registry. */
    public static final String INSTANCES_TABLE = "CMGInstances";

    private final StorageService service;
    private final Duration callTimeout;
    private final Duration operationTimeout;
    private final ExecutorService io = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "storage-io");
        t.setDaemon(true);
        return t;
    });
    private final Set<String> provisioned = ConcurrentHashMap.newKeySet();
    private final Map<String, BlobServiceClient> blobs = new ConcurrentHashMap<>();
    private final Map<String, TableServiceClient> tables = new ConcurrentHashMap<>();

    public AzuriteStorageProvisioner(StorageService service) {
        this(service, Duration.ofSeconds(10), Duration.ofSeconds(60));
    }

    public AzuriteStorageProvisioner(StorageService service, Duration callTimeout, Duration operationTimeout) {
        this.service = Objects.requireNonNull(service, "service");
        this.callTimeout = callTimeout;
        this.operationTimeout = operationTimeout;
    }

    /** Account names Azurite serves for azure-sim (no keys). */
    public List<String> accounts() {
        return service.keys().stream().map(k -> k.account()).toList();
    }

    @Override
    public void check(String accountName) throws DeploymentException {
        keyOf(accountName.toLowerCase(Locale.ROOT));
    }

    private String keyOf(String account) throws DeploymentException {
        String key = service.keyOf(account);
        if (key == null) {
            throw new DeploymentException("StorageAccountNotProvisioned", "The storage account '" + account
                    + "' cannot be created: the lab's Azurite (" + service.blobEndpoint() + ") serves only "
                    + accounts() + " (Azurite gets its accounts and keys when it starts; the CMG name must be one "
                    + "of them)");
        }
        return key;
    }

    @Override
    public void create(String accountName, String blobEndpoint) throws DeploymentException {
        String account = accountName.toLowerCase(Locale.ROOT);
        String key = keyOf(account);
        String what = "creating storage account " + account;
        Future<Object> f;
        // marked as the work is queued (one step): the rows of instances that start while the account is created
        // (the Resource Manager starts them meanwhile) queue behind this work on the one I/O thread
        synchronized (provisioned) {
            provisioned.add(account);
            f = submit(what, () -> {
                BlobServiceClient b = blob(account, key);
                for (String c : CONTAINERS) {
                    b.getBlobContainerClient(c).createIfNotExistsWithResponse(null, callTimeout, Context.NONE);
                }
                tables(account, key).createTableIfNotExistsWithResponse(INSTANCES_TABLE, callTimeout, Context.NONE);
                return null;
            });
        }
        try {
            await(what, f, operationTimeout);
        } catch (DeploymentException | RuntimeException e) {
            provisioned.remove(account);
            throw e;
        }
        log.info("Storage account {} ({}) in Azurite {}: containers {}, table {}", account, blobEndpoint,
                service.blobEndpoint(), CONTAINERS, INSTANCES_TABLE);
    }

    @Override
    public void delete(String accountName) throws DeploymentException {
        String account = accountName.toLowerCase(Locale.ROOT);
        String key = service.keyOf(account);
        provisioned.remove(account);
        if (key == null) {
            log.debug("storage account {} has no key in this lab: nothing to delete", account);
            return;
        }
        run("deleting the content of storage account " + account, () -> {
            BlobServiceClient b = blob(account, key);
            for (String c : CONTAINERS) {
                b.getBlobContainerClient(c).deleteIfExistsWithResponse(null, callTimeout, Context.NONE);
            }
            try {
                tables(account, key).deleteTableWithResponse(INSTANCES_TABLE, callTimeout, Context.NONE);
            } catch (TableServiceException e) {
                if (e.getResponse() == null || e.getResponse().getStatusCode() != 404) {
                    throw e;
                }
            }
            return null;
        });
        log.info("Storage account {}: containers {} and table {} deleted", account, CONTAINERS, INSTANCES_TABLE);
    }

    /** Queues an upsert of the instance's {@link #INSTANCES_TABLE} row (only for accounts this provisioner made). */
    @Override
    public void changed(Change c) {
        String account = c.prefix().toLowerCase(Locale.ROOT);
        String key = service.keyOf(account);
        try {
            synchronized (provisioned) {
                if (provisioned.contains(account)) {
                    io.execute(() -> writeRow(account, key, c));
                }
            }
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // closing: the row is no longer needed
        }
    }

    /** On the I/O thread: the instance's row (skipped when the account was deleted or its creation failed meanwhile). */
    private void writeRow(String account, String key, Change c) {
        if (!provisioned.contains(account)) {
            return;
        }
        try {
            TableEntity e = new TableEntity(c.serviceName(), c.roleInstance())
                    .addProperty("State", c.state().name())
                    .addProperty("Address", c.address())
                    .addProperty("Detail", c.detail())
                    .addProperty("Since", OffsetDateTime.ofInstant(c.since(), ZoneOffset.UTC));
            instances(account, key).upsertEntityWithResponse(e, TableEntityUpdateMode.REPLACE, callTimeout,
                    Context.NONE);
        } catch (RuntimeException e) {
            log.warn("{} row {}/{} ({}) not written: {}", INSTANCES_TABLE, c.serviceName(), c.roleInstance(),
                    c.state(), e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** For tests and the status page: waits until the rows queued so far are written. */
    public void flush(Duration timeout) throws DeploymentException {
        run("flushing instance rows", () -> null, timeout);
    }

    /** For the status page. */
    public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("provisioner", "azurite");
        m.put("blobEndpoint", service.blobEndpoint());
        m.put("tableEndpoint", service.tableEndpoint());
        m.put("accounts", accounts());
        m.put("provisioned", new ArrayList<>(provisioned));
        m.put("containers", CONTAINERS);
        m.put("tables", List.of(INSTANCES_TABLE));
        return m;
    }

    TableClient instances(String account, String key) {
        return tables(account, key).getTableClient(INSTANCES_TABLE);
    }

    private BlobServiceClient blob(String account, String key) {
        return blobs.computeIfAbsent(account, a -> StorageClients.blob(service.blobEndpoint(), a, key, callTimeout, roots()));
    }

    /** The roots trusted for Azurite's HTTPS certificate (read on first use). */
    private java.util.List<java.security.cert.X509Certificate> roots() {
        java.util.List<java.security.cert.X509Certificate> out = new java.util.ArrayList<>();
        for (String f : service.trustRoots()) {
            try {
                out.addAll(org.cmglab.proto.pki.Pem.readCertificates(java.nio.file.Path.of(f)));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot read storage trust root " + f, e);
            }
        }
        return out;
    }

    private TableServiceClient tables(String account, String key) {
        return tables.computeIfAbsent(account,
                a -> StorageClients.tables(service.tableEndpoint(), a, key, callTimeout, roots()));
    }

    private interface Work {
        Object call() throws Exception;
    }

    private void run(String what, Work w) throws DeploymentException {
        run(what, w, operationTimeout);
    }

    private void run(String what, Work w, Duration timeout) throws DeploymentException {
        await(what, submit(what, w), timeout);
    }

    private Future<Object> submit(String what, Work w) throws DeploymentException {
        try {
            return io.submit(w::call);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new DeploymentException("StorageAccountProvisioningFailed", what + ": azure-sim is shutting down");
        }
    }

    private void await(String what, Future<Object> f, Duration timeout) throws DeploymentException {
        try {
            f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new DeploymentException("StorageAccountProvisioningTimedOut", what + ": Azurite ("
                    + service.blobEndpoint() + ", " + service.tableEndpoint() + ") did not answer within "
                    + timeout.toSeconds() + " s");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            String msg = c.getMessage() == null ? c.toString() : c.getMessage().lines().findFirst().orElse("");
            throw new DeploymentException("StorageAccountProvisioningFailed", what + " in Azurite ("
                    + service.blobEndpoint() + ") failed: " + msg, c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw new DeploymentException("Interrupted", "interrupted while " + what);
        }
    }

    @Override
    public void close() {
        io.shutdownNow();
    }
}
