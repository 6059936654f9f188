package org.cmglab.site.mp;

import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * Identity of the emulated management point, as published through {@code /SMS_MP/.sms_aut}.
 *
 * @param name                    NetBIOS name of the MP server, e.g. {@code MP01} (MPLIST {@code MP/@Name})
 * @param fqdn                    FQDN of the MP server (MPLIST {@code MP/@FQDN}, MPKEYINFORMATION {@code FQDN})
 * @param siteCode                three-character site code, e.g. {@code P01}
 * @param version                 MP build number, e.g. {@code 9128} (MPLIST {@code MP/Version})
 * @param https                   whether the MP is HTTPS-only (MPLIST {@code SSLState} 1) or HTTP (0)
 * @param mpCertificate           certificate returned by {@code ?MPCERT}
 * @param siteSigningCertificate  certificate returned by {@code ?SITESIGNCERT}
 * @param unknownMachineGuidX64   GUID of the x64 "All Unknown Computers" record (MPKEYINFORMATIONMEDIA)
 * @param unknownMachineGuidX86   GUID of the x86 "All Unknown Computers" record (MPKEYINFORMATIONMEDIA)
 */
public record MpIdentity(
        String name,
        String fqdn,
        String siteCode,
        int version,
        boolean https,
        X509Certificate mpCertificate,
        X509Certificate siteSigningCertificate,
        String unknownMachineGuidX64,
        String unknownMachineGuidX86) {

    public MpIdentity {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(fqdn, "fqdn");
        Objects.requireNonNull(siteCode, "siteCode");
        Objects.requireNonNull(mpCertificate, "mpCertificate");
        Objects.requireNonNull(siteSigningCertificate, "siteSigningCertificate");
        Objects.requireNonNull(unknownMachineGuidX64, "unknownMachineGuidX64");
        Objects.requireNonNull(unknownMachineGuidX86, "unknownMachineGuidX86");
        if (version < 0) {
            throw new IllegalArgumentException("version must be >= 0");
        }
    }
}
