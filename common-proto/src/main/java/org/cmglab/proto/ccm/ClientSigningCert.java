package org.cmglab.proto.ccm;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The self-signed certificate a ConfigMgr client signs its messages with and receives secret policies for
 * (cmg-facts §2.4, as sccmwtf makes it): RSA-2048, {@code CN=ConfigMgr Client}, KeyUsage digitalSignature +
 * dataEncipherment, EKU {@code 1.3.6.1.4.1.311.101.2} and
 * {@code 1.3.6.1.4.1.311.101}, SHA-256, valid from two days ago for a year.
 */
public final class ClientSigningCert {
    private ClientSigningCert() {}

    public static final String CN = "ConfigMgr Client";
    public static final String EKU_SMS_SIGNING = "1.3.6.1.4.1.311.101.2";
    public static final String EKU_SMS = "1.3.6.1.4.1.311.101";

    /** A new key pair and its self-signed certificate. */
    public record Generated(KeyPair keyPair, X509Certificate certificate) {}

    public static Generated generate(Instant now) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            KeyPair kp = g.generateKeyPair();
            X500Name name = new X500Name("CN=" + CN);
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name,
                    new BigInteger(64, new SecureRandom()).add(BigInteger.ONE),
                    Date.from(now.minus(Duration.ofDays(2))), Date.from(now.plus(Duration.ofDays(365))), name,
                    kp.getPublic());
            b.addExtension(Extension.keyUsage, false, new KeyUsage(KeyUsage.digitalSignature
                    | KeyUsage.dataEncipherment));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
                    KeyPurposeId.getInstance(new ASN1ObjectIdentifier(EKU_SMS_SIGNING)),
                    KeyPurposeId.getInstance(new ASN1ObjectIdentifier(EKU_SMS))}));
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withRSA").build(kp.getPrivate())));
            return new Generated(kp, cert);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create the ConfigMgr Client certificate: " + e.getMessage(), e);
        }
    }
}
