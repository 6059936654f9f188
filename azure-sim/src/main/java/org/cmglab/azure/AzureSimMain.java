package org.cmglab.azure;

/** Entry point (placeholder while the module is being built). */
public final class AzureSimMain {
    private AzureSimMain() {}

    public static void main(String[] args) {
        System.out.println("azure-sim");
    }
}
