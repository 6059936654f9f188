package org.cmglab.scp;

import java.util.List;
import java.util.Objects;
import org.cmglab.proto.config.AzureEnvironment;
import org.cmglab.proto.config.ScpConfig;
import org.slf4j.Logger;

/**
 * The Azure environments table the site holds as configuration (site DB table {@code AzureEnvironments}): one row
 * per cloud (public, US Government) with its login, management, graph and DNS suffixes. The SCP picks the row named by
 * {@link ScpConfig#environment()} and never hard-codes a host name elsewhere.
 */
public final class AzureEnvironments {
    private final List<AzureEnvironment> rows;
    private final AzureEnvironment selected;

    AzureEnvironments(List<AzureEnvironment> rows, AzureEnvironment selected) {
        this.rows = List.copyOf(rows);
        this.selected = Objects.requireNonNull(selected, "selected");
    }

    /** The table as the lab ships it, with the row {@code config.environment()} selected (unknown name = error). */
    public static AzureEnvironments load(ScpConfig config) {
        return new AzureEnvironments(AzureEnvironment.all(), AzureEnvironment.of(config.environment()));
    }

    public List<AzureEnvironment> rows() {
        return rows;
    }

    public AzureEnvironment selected() {
        return selected;
    }

    /** Prints the table (one line per row) the way CloudMgr reads it at start. */
    public void logTable(Logger log) {
        log.info("Azure environments table ({} rows):", rows.size());
        for (AzureEnvironment e : rows) {
            log.info("  {}{}: login={} management={} graph={} vmss=*.<region>.{} classic=*.{} blob=*.{} vault=*.{}",
                    e.name(), e.equals(selected) ? " (selected)" : "", e.loginHost(), e.managementHost(),
                    e.graphHost(), e.vmssSuffix(), e.classicSuffix(), e.blobSuffix(), e.keyVaultSuffix());
        }
    }
}
