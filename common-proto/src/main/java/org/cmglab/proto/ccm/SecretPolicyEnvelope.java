package org.cmglab.proto.ccm;

import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSEnvelopedData;
import org.bouncycastle.cms.CMSEnvelopedDataGenerator;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.KeyTransRecipientInformation;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;

/**
 * A secret policy body as the MP sends it: CMS {@code EnvelopedData} (DER {@code ContentInfo}) to the client's
 * registered encryption certificate, AES-256-CBC content encryption, RSA PKCS#1 v1.5 key transport
 * (docs/client-auth.md). The content is the policy's UTF-16LE XML.
 */
public final class SecretPolicyEnvelope {
    private SecretPolicyEnvelope() {}

    public static byte[] encrypt(byte[] content, X509Certificate recipient) {
        try {
            CMSEnvelopedDataGenerator g = new CMSEnvelopedDataGenerator();
            g.addRecipientInfoGenerator(new JceKeyTransRecipientInfoGenerator(recipient));
            CMSEnvelopedData d = g.generate(new CMSProcessableByteArray(content),
                    new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_CBC).build());
            return d.getEncoded();
        } catch (CMSException | CertificateEncodingException | java.io.IOException e) {
            throw new IllegalStateException("cannot encrypt the policy: " + e.getMessage(), e);
        }
    }

    /** Decrypts with the recipient's private key; {@link IllegalArgumentException} when it is not for that key. */
    public static byte[] decrypt(byte[] der, PrivateKey key) {
        try {
            CMSEnvelopedData d = new CMSEnvelopedData(der);
            Collection<RecipientInformation> rs = d.getRecipientInfos().getRecipients();
            CMSException last = null;
            for (RecipientInformation r : rs) {
                if (r instanceof KeyTransRecipientInformation) {
                    try {
                        return r.getContent(new JceKeyTransEnvelopedRecipient(key));
                    } catch (CMSException e) {
                        last = e;
                    }
                }
            }
            throw new IllegalArgumentException("no recipient of the EnvelopedData matches the key"
                    + (last == null ? "" : ": " + last.getMessage()));
        } catch (CMSException e) {
            throw new IllegalArgumentException("not CMS EnvelopedData: " + e.getMessage(), e);
        }
    }

    /** The content-encryption algorithm OID of an EnvelopedData (tests). */
    public static String contentAlgorithm(byte[] der) {
        try {
            return new CMSEnvelopedData(der).getEncryptionAlgOID();
        } catch (CMSException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
