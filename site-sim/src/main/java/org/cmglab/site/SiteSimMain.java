package org.cmglab.site;

/** Entry point (placeholder while the module is being built). */
public final class SiteSimMain {
    private SiteSimMain() {}

    public static void main(String[] args) {
        System.out.println("site-sim");
    }
}
