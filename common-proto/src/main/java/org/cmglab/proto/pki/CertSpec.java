package org.cmglab.proto.pki;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.bouncycastle.util.IPAddress;

/**
 * What {@link LabCa} should put into a certificate.
 *
 * <p>Key usage is derived by the CA: end-entity certificates get digitalSignature (plus
 * keyEncipherment for RSA keys), CA certificates get keyCertSign and cRLSign.
 *
 * @param commonName          subject CN, non-blank
 * @param organizationalUnits subject OUs, in display order (may be empty)
 * @param dnsNames            DNS subject alternative names (may be empty)
 * @param ipAddresses         IP subject alternative names as literals, e.g. {@code 127.0.0.1}
 * @param ekus                extended key usages; empty means no EKU extension at all
 * @param notBefore           start of validity
 * @param notAfter            end of validity, strictly after {@code notBefore}
 * @param keyType             key algorithm of the new key pair
 * @param ca                  whether the certificate may issue certificates (intermediate CA)
 */
public record CertSpec(
        String commonName,
        List<String> organizationalUnits,
        List<String> dnsNames,
        List<String> ipAddresses,
        Set<Eku> ekus,
        Instant notBefore,
        Instant notAfter,
        KeyType keyType,
        boolean ca) {

    /** Default lifetime of an end-entity certificate (the CA/Browser Forum's old maximum). */
    static final Duration DEFAULT_VALIDITY = Duration.ofDays(825);
    /** Default back-dating of notBefore, to tolerate clock skew. */
    static final Duration DEFAULT_BACKDATE = Duration.ofHours(1);

    /** Validates and defensively copies the components. */
    public CertSpec {
        Objects.requireNonNull(commonName, "commonName");
        if (commonName.isBlank()) {
            throw new IllegalArgumentException("commonName: '" + commonName + "' (expected: non-blank)");
        }
        organizationalUnits = List.copyOf(Objects.requireNonNull(organizationalUnits, "organizationalUnits"));
        for (String ou : organizationalUnits) {
            if (ou.isBlank()) {
                throw new IllegalArgumentException("organizationalUnits: '" + ou + "' (expected: non-blank)");
            }
        }
        dnsNames = List.copyOf(Objects.requireNonNull(dnsNames, "dnsNames"));
        for (String dns : dnsNames) {
            if (dns.isBlank() || dns.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("dnsNames: '" + dns + "' (expected: a host name)");
            }
        }
        ipAddresses = List.copyOf(Objects.requireNonNull(ipAddresses, "ipAddresses"));
        for (String ip : ipAddresses) {
            if (!IPAddress.isValid(ip)) {
                throw new IllegalArgumentException("ipAddresses: '" + ip + "' (expected: an IPv4 or IPv6 literal)");
            }
        }
        Objects.requireNonNull(ekus, "ekus");
        ekus = ekus.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(ekus));
        Objects.requireNonNull(notBefore, "notBefore");
        Objects.requireNonNull(notAfter, "notAfter");
        if (!notAfter.isAfter(notBefore)) {
            throw new IllegalArgumentException("validity: " + Duration.between(notBefore, notAfter)
                    + " (expected: > 0; notBefore " + notBefore + ", notAfter " + notAfter + ")");
        }
        Objects.requireNonNull(keyType, "keyType");
    }

    /**
     * Starts a spec with the defaults: notBefore = now - 1h, notAfter = now + 825 days,
     * {@link KeyType#RSA_2048}, not a CA, no EKU, no SANs.
     */
    public static Builder builder(String commonName) {
        return new Builder(commonName);
    }

    /**
     * A TLS server certificate: EKU serverAuth, key usage digitalSignature + keyEncipherment,
     * the given DNS and IP SANs.
     */
    public static CertSpec server(String cn, List<String> dnsNames, List<String> ips) {
        return builder(cn).dnsNames(dnsNames).ipAddresses(ips).ekus(Eku.SERVER_AUTH).build();
    }

    /** A TLS client certificate: EKU clientAuth, no SANs. */
    public static CertSpec client(String cn) {
        return builder(cn).ekus(Eku.CLIENT_AUTH).build();
    }

    /** Mutable builder for {@link CertSpec}; not thread-safe. */
    public static final class Builder {
        private final String commonName;
        private final List<String> organizationalUnits = new ArrayList<>();
        private final List<String> dnsNames = new ArrayList<>();
        private final List<String> ipAddresses = new ArrayList<>();
        private final Set<Eku> ekus = EnumSet.noneOf(Eku.class);
        private Instant notBefore;
        private Instant notAfter;
        private KeyType keyType = KeyType.RSA_2048;
        private boolean ca;

        private Builder(String commonName) {
            this.commonName = Objects.requireNonNull(commonName, "commonName");
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            this.notBefore = now.minus(DEFAULT_BACKDATE);
            this.notAfter = now.plus(DEFAULT_VALIDITY);
        }

        /** Adds subject OUs. */
        public Builder organizationalUnits(String... ous) {
            organizationalUnits.addAll(Arrays.asList(ous));
            return this;
        }

        /** Adds DNS SANs. */
        public Builder dnsNames(String... names) {
            return dnsNames(Arrays.asList(names));
        }

        /** Adds DNS SANs. */
        public Builder dnsNames(List<String> names) {
            dnsNames.addAll(Objects.requireNonNull(names, "dnsNames"));
            return this;
        }

        /** Adds IP SANs (literals). */
        public Builder ipAddresses(String... ips) {
            return ipAddresses(Arrays.asList(ips));
        }

        /** Adds IP SANs (literals). */
        public Builder ipAddresses(List<String> ips) {
            ipAddresses.addAll(Objects.requireNonNull(ips, "ipAddresses"));
            return this;
        }

        /** Adds extended key usages. */
        public Builder ekus(Eku... usages) {
            ekus.addAll(Arrays.asList(usages));
            return this;
        }

        /** Sets the start of validity. */
        public Builder notBefore(Instant instant) {
            this.notBefore = Objects.requireNonNull(instant, "notBefore");
            return this;
        }

        /** Sets the end of validity. */
        public Builder notAfter(Instant instant) {
            this.notAfter = Objects.requireNonNull(instant, "notAfter");
            return this;
        }

        /** Sets notAfter to notBefore + validity. */
        public Builder validity(Duration validity) {
            Objects.requireNonNull(validity, "validity");
            if (validity.isNegative() || validity.isZero()) {
                throw new IllegalArgumentException("validity: " + validity + " (expected: > 0)");
            }
            this.notAfter = notBefore.plus(validity);
            return this;
        }

        /** Sets the key algorithm. */
        public Builder keyType(KeyType type) {
            this.keyType = Objects.requireNonNull(type, "keyType");
            return this;
        }

        /** Makes the certificate an (intermediate) CA. */
        public Builder ca(boolean isCa) {
            this.ca = isCa;
            return this;
        }

        /** Builds and validates the spec. */
        public CertSpec build() {
            return new CertSpec(commonName, organizationalUnits, dnsNames, ipAddresses, ekus,
                    notBefore, notAfter, keyType, ca);
        }
    }
}
