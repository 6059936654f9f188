package org.cmglab.scp;

/** Entry point (placeholder while the module is being built). */
public final class ScpMain {
    private ScpMain() {}

    public static void main(String[] args) {
        System.out.println("service-connection-point");
    }
}
