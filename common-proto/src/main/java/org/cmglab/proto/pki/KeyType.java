package org.cmglab.proto.pki;

/**
 * Key algorithm of an issued certificate. {@link #RSA_2048} is the default everywhere because
 * real Configuration Manager certificates are RSA.
 */
public enum KeyType {
    /** RSA with a 2048-bit modulus. */
    RSA_2048,
    /** ECDSA on NIST P-256 (secp256r1). */
    EC_P256
}
