package org.cmglab.site.mp;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Self-signed RSA-2048 test certificates built directly with BouncyCastle. */
final class TestCerts {
    private TestCerts() {}

    static X509Certificate selfSigned(String cn, String dns) {
        try {
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("RSA");
            kpg.initialize(2048);
            KeyPair kp = kpg.generateKeyPair();
            X500Name name = new X500Name("CN=" + cn);
            Instant now = Instant.now();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    name, new BigInteger(64, new SecureRandom()),
                    Date.from(now.minus(1, ChronoUnit.DAYS)), Date.from(now.plus(365, ChronoUnit.DAYS)),
                    name, kp.getPublic());
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.dNSName, dns)));
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withRSA").build(kp.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static volatile MpIdentity identity;

    static MpIdentity identity() {
        if (identity == null) {
            synchronized (TestCerts.class) {
                if (identity == null) {
                    identity = new MpIdentity("MP01", "mp01.corp.cmglab.test", "P01", 9128, false,
                            selfSigned("MP01.corp.cmglab.test", "mp01.corp.cmglab.test"),
                            selfSigned("Site Server", "site01.corp.cmglab.test"),
                            "0f2b2a1c-5d6e-4f70-8a9b-0c1d2e3f4a5b", "1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9");
                }
            }
        }
        return identity;
    }
}
