package org.cmglab.cmg;

/** Entry point (placeholder while the module is being built). */
public final class CmgServiceMain {
    private CmgServiceMain() {}

    public static void main(String[] args) {
        System.out.println("cmg-service");
    }
}
