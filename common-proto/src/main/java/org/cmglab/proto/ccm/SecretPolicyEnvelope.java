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
 * registered encryption certificate, RSA PKCS#1 v1.5 key transport and, by default, 3DES-CBC content encryption —
 * what real MPs were seen to send and all public client tools decrypt (sccmwtf handles only 3DES); AES-256-CBC on
 * request (docs/client-auth.md). The content is the policy's UTF-16LE XML.
 */
public final class SecretPolicyEnvelope {
    private SecretPolicyEnvelope() {}

    /** The product's content encryption: 3DES-CBC ({@code 1.2.840.113549.3.7}). */
    public static final org.bouncycastle.asn1.ASN1ObjectIdentifier DEFAULT_CONTENT_ALGORITHM = CMSAlgorithm.DES_EDE3_CBC;

    public static byte[] encrypt(byte[] content, X509Certificate recipient) {
        return encrypt(content, recipient, DEFAULT_CONTENT_ALGORITHM);
    }

    /** As above with another content-encryption algorithm (e.g. {@link CMSAlgorithm#AES256_CBC}). */
    public static byte[] encrypt(byte[] content, X509Certificate recipient,
                                 org.bouncycastle.asn1.ASN1ObjectIdentifier contentAlgorithm) {
        try {
            CMSEnvelopedDataGenerator g = new CMSEnvelopedDataGenerator();
            g.addRecipientInfoGenerator(new JceKeyTransRecipientInfoGenerator(recipient));
            CMSEnvelopedData d = g.generate(new CMSProcessableByteArray(content),
                    new JceCMSContentEncryptorBuilder(contentAlgorithm).build());
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
