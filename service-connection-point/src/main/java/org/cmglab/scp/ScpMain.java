package org.cmglab.scp;

/**
 * Entry point of {@code service-connection-point}. Not built yet: service connection point (deploys and monitors the CMG through Azure) — flow F1. Until then the lab starts the CMG instance directly
 * (see docs/data-flow.md), and this jar says so instead of pretending to run.
 */
public final class ScpMain {
    private ScpMain() {}

    public static void main(String[] args) {
        System.err.println("service-connection-point: not implemented yet — service connection point (deploys and monitors the CMG through Azure) — flow F1. The lab starts the CMG instance directly for now.");
        System.exit(2);
    }
}
