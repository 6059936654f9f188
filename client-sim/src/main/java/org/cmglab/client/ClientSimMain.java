package org.cmglab.client;

/** Entry point (placeholder while the module is being built). */
public final class ClientSimMain {
    private ClientSimMain() {}

    public static void main(String[] args) {
        System.out.println("client-sim");
    }
}
