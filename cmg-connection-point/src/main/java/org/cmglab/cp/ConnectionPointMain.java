package org.cmglab.cp;

/** Entry point (placeholder while the module is being built). */
public final class ConnectionPointMain {
    private ConnectionPointMain() {}

    public static void main(String[] args) {
        System.out.println("cmg-connection-point");
    }
}
