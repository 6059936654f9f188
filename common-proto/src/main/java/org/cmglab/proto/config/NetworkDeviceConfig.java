package org.cmglab.proto.config;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A network device between two hops of the lab ({@code network-device} process): an HTTP/1.1 proxy that terminates
 * TLS with a lab-issued certificate for the host it stands in for (as an inspecting firewall does), re-encrypts to the
 * upstream trusting the lab roots, and applies {@link Rules} (strip a header, block a verb). See docs/network-device.md.
 *
 * @param name       device name, e.g. {@code fw01}
 * @param hops       the listeners, one per place in the data flow (client → CMG, connection point → MP)
 * @param trustRoots roots trusted for the upstreams' server certificates
 * @param admin      admin endpoint ({@code /status}, rule actions)
 * @param logDir     lab log folder
 */
public record NetworkDeviceConfig(String name, List<Hop> hops, List<String> trustRoots, Endpoint admin, String logDir) {
    public NetworkDeviceConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(admin, "admin");
        hops = List.copyOf(Objects.requireNonNull(hops, "hops"));
        if (hops.isEmpty()) {
            throw new IllegalArgumentException("hops: [] (expected: at least one)");
        }
        trustRoots = trustRoots == null ? List.of() : List.copyOf(trustRoots);
        if (hops.stream().map(Hop::name).distinct().count() != hops.size()) {
            throw new IllegalArgumentException("hops: names must be distinct");
        }
    }

    /**
     * One listener and its upstream.
     *
     * @param name              hop name used in admin actions and status, e.g. {@code client-cmg}
     * @param step              flow step recorded in the device's events, e.g. {@code F3-device}
     * @param from              the sending side, e.g. {@code client-sim}
     * @param to                the upstream side, e.g. {@code cmg-service}
     * @param listen            where the device listens
     * @param serverTls         certificate it presents (issued for the upstream's name); null = plain HTTP
     * @param upstreamHost      the upstream's host name: SNI, certificate name check
     * @param upstream          where the upstream listens
     * @param upstreamTls       TLS to the upstream (else plain HTTP)
     * @param upstreamClientTls client certificate presented to the upstream (a lab-issued one of the device), or null
     * @param rules             rules at start (null = allow everything)
     */
    public record Hop(String name, String step, String from, String to, Endpoint listen, TlsFiles serverTls,
                      String upstreamHost, Endpoint upstream, boolean upstreamTls, TlsFiles upstreamClientTls,
                      Rules rules) {
        public Hop {
            Objects.requireNonNull(name, "name");
            if (!name.matches("[A-Za-z0-9._-]{1,40}")) {
                throw new IllegalArgumentException("name: " + name + " (expected: 1..40 of A-Z a-z 0-9 . _ -)");
            }
            step = step == null ? "NET" : step;
            from = from == null ? "client" : from;
            to = to == null ? "upstream" : to;
            Objects.requireNonNull(listen, "listen");
            Objects.requireNonNull(upstreamHost, "upstreamHost");
            Objects.requireNonNull(upstream, "upstream");
            rules = rules == null ? Rules.ALLOW_ALL : rules;
        }
    }

    /**
     * What the device does to requests.
     *
     * @param stripHeaders request header names removed (case-insensitive)
     * @param blockVerbs   methods refused, each with its action
     */
    public record Rules(List<String> stripHeaders, List<VerbBlock> blockVerbs) {
        public static final Rules ALLOW_ALL = new Rules(List.of(), List.of());

        public Rules {
            stripHeaders = stripHeaders == null ? List.of() : List.copyOf(stripHeaders);
            blockVerbs = blockVerbs == null ? List.of() : List.copyOf(blockVerbs);
            for (String h : stripHeaders) {
                requireToken(h, "stripHeaders");
            }
            if (blockVerbs.stream().map(VerbBlock::verb).distinct().count() != blockVerbs.size()) {
                throw new IllegalArgumentException("blockVerbs: each verb at most once");
            }
        }
    }

    /**
     * A blocked method.
     *
     * @param verb   the method, e.g. {@code PROPFIND} (case-sensitive, as HTTP methods are)
     * @param action {@code reject} (405 block page, connection closed) or {@code reset} (TCP RST)
     */
    public record VerbBlock(String verb, String action) {
        public static final String REJECT = "reject";
        public static final String RESET = "reset";

        public VerbBlock {
            requireToken(verb, "verb");
            action = action == null ? REJECT : action.toLowerCase(Locale.ROOT);
            if (!action.equals(REJECT) && !action.equals(RESET)) {
                throw new IllegalArgumentException("action: " + action + " (expected: reject or reset)");
            }
        }
    }

    /** An HTTP token (RFC 9110 §5.6.2): header names and methods. */
    static String requireToken(String v, String what) {
        if (v == null || !v.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}")) {
            throw new IllegalArgumentException(what + ": " + v + " (expected: an HTTP token of 1..64 characters)");
        }
        return v;
    }
}
