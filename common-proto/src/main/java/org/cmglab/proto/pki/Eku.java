package org.cmglab.proto.pki;

/**
 * Extended key usages that matter in a Configuration Manager / CMG deployment.
 */
public enum Eku {
    /** TLS server authentication (RFC 5280). */
    SERVER_AUTH("1.3.6.1.5.5.7.3.1"),
    /** TLS client authentication (RFC 5280); required on CMG client certificates. */
    CLIENT_AUTH("1.3.6.1.5.5.7.3.2"),
    /** Microsoft SMS signing certificate (site server signing). */
    SMS_SIGNING("1.3.6.1.4.1.311.101.2"),
    /** Microsoft SMS encryption certificate. */
    SMS_ENCRYPTION("1.3.6.1.4.1.311.101");

    private final String oid;

    Eku(String oid) {
        this.oid = oid;
    }

    /** Returns the dotted object identifier of this usage. */
    public String oid() {
        return oid;
    }
}
