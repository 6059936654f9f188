package org.cmglab.proto.config;

import java.net.InetSocketAddress;

/** An address and port on loopback (each emulated host has its own 127.x.y.z address). */
public record Endpoint(String address, int port) {
    public Endpoint {
        Loopback.require(address, "address");
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
        }
    }

    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(address, port);
    }

    @Override
    public String toString() {
        return address + ":" + port;
    }
}
