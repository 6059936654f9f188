package org.cmglab.proto.config;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** The lab's network rule: every address it binds or dials is in 127.0.0.0/8. */
public final class Loopback {
    private Loopback() {}

    /** Returns {@code address} when it is a literal IPv4 loopback address, else throws naming {@code what}. */
    public static String require(String address, String what) {
        if (address == null || !address.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) {
            throw new IllegalArgumentException(what + ": " + address + " (expected: an IPv4 address in 127.0.0.0/8)");
        }
        try {
            InetAddress a = InetAddress.getByName(address);
            if (!a.isLoopbackAddress()) {
                throw new IllegalArgumentException(what + ": " + address + " (expected: loopback)");
            }
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(what + ": " + address + " (" + e.getMessage() + ")", e);
        }
        return address;
    }
}
