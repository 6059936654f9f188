package org.cmglab.azure.instances;

import java.time.Instant;

/**
 * Told about every VM instance state change of the fabric (start, ready, restart, crash, stop). Called on the thread
 * that changed the state (the Resource Manager worker or a process-exit thread): must return quickly and not throw.
 */
@FunctionalInterface
public interface InstanceListener {
    InstanceListener NONE = change -> {};

    void changed(Change change);

    /**
     * One state change.
     *
     * @param prefix       the deployment (and storage account) name
     * @param serviceName  the CMG service name, e.g. {@code GraniteFalls.contoso.com}
     * @param roleInstance e.g. {@code ProxyService_IN_0}
     * @param state        the new state
     * @param address      the instance's loopback address
     * @param detail       why
     * @param since        when
     */
    record Change(String prefix, String serviceName, String roleInstance, InstanceState state, String address,
                  String detail, Instant since) {}
}
