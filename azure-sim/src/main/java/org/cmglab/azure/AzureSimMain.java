package org.cmglab.azure;

/**
 * Entry point of {@code azure-sim}. Not built yet: Azure-side emulation (Entra ID, Resource Manager, load balancer, DNS) — flow F1. Until then the lab starts the CMG instance directly
 * (see docs/data-flow.md), and this jar says so instead of pretending to run.
 */
public final class AzureSimMain {
    private AzureSimMain() {}

    public static void main(String[] args) {
        System.err.println("azure-sim: not implemented yet — Azure-side emulation (Entra ID, Resource Manager, load balancer, DNS) — flow F1. The lab starts the CMG instance directly for now.");
        System.exit(2);
    }
}
