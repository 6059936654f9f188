package org.cmglab.lab;

/** Entry point (placeholder while the module is being built). */
public final class CmgLabMain {
    private CmgLabMain() {}

    public static void main(String[] args) {
        System.out.println("lab");
    }
}
