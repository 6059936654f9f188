package org.cmglab.azure.dns;

import java.util.List;

/**
 * The records the lab DNS serves, changed at run time by the emulated Resource Manager (a deployment adds its
 * deployment name, a delete removes it). Names are case-insensitive, without a trailing dot.
 */
public interface DnsZone {
    /** Replaces the records of {@code name} with one A record (a loopback address). */
    void putA(String name, String address);

    /** Replaces the records of {@code name} with one CNAME to {@code target}. */
    void putCname(String name, String target);

    /** Removes every record of {@code name}; true if there was one. */
    boolean remove(String name);

    /** Current records, for the status page: "name TYPE value". */
    List<String> describe();
}
