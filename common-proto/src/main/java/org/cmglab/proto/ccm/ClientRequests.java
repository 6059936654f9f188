package org.cmglab.proto.ccm;

import static org.cmglab.proto.ccm.SafeXml.esc;

import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;

/**
 * The messages a ConfigMgr client sends, built the way sccmwtf / SCCMSecrets build them (the same templates,
 * attribute order and byte layout): registration (signed {@code <Data>}), {@code RequestAssignments} with Hook2
 * {@code clientauth}, and the location requests.
 *
 * @param netbiosName the client's NetBIOS name (SourceHost, ReplyTo)
 * @param fqdn        its FQDN
 * @param mpHost      {@code TargetHost}
 * @param siteCode    its site (PolicySource, AssignedSite)
 * @param key         the private key of {@code signing}
 * @param signing     the self-signed "ConfigMgr Client" certificate (also used for encryption)
 */
public record ClientRequests(String netbiosName, String fqdn, String mpHost, String siteCode, PrivateKey key,
                             X509Certificate signing) {

    public static final String AGENT_VERSION = "5.00.9128.1000";

    public ClientRequests {
        Objects.requireNonNull(netbiosName, "netbiosName");
        Objects.requireNonNull(fqdn, "fqdn");
        Objects.requireNonNull(mpHost, "mpHost");
        Objects.requireNonNull(siteCode, "siteCode");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(signing, "signing");
    }

    /** A framed message ready to send: the multipart bytes and what went into them. */
    public record Built(byte[] bytes, CcmMsgHeader header, String bodyXml, byte[] bodyOnWire) {}

    private CcmMsgHeader.Builder header(String endpoint, Instant now) {
        return CcmMsgHeader.builder().replyCompression("zlib")
                .id("{" + UUID.randomUUID().toString().toUpperCase(Locale.ROOT) + "}")
                .replyTo("direct:" + netbiosName + ":SccmMessaging").sentTime(CcmClientHeaders.timestamp(now))
                .sourceHost(netbiosName).target(endpoint).targetHost(mpHost);
    }

    private static Built build(CcmMsgHeader.Builder h, String xml, boolean compress) {
        byte[] plain = CcmMessage.plainBody(xml);
        byte[] wire = compress ? Zlib.compress(plain) : plain;
        CcmMsgHeader header = h.body(plain.length - 2, 0).zlibCompressed(compress).build();
        return new Built(CcmMessage.frame(header, wire), header, xml, wire);
    }

    /** {@code ClientRegistrationRequest} for {@code MP_ClientRegistration}, signed over UTF-16LE({@code <Data>}). */
    public Built registration(Instant now) {
        String hex = certHex(signing);
        String data = "<Data HashAlgorithm=\"" + CcmSignatures.SHA256_RSA_OID + "\" SMSID=\"\" RequestType=\"Registration\""
                + " TimeStamp=\"" + CcmClientHeaders.timestamp(now) + "\"><AgentInformation AgentIdentity=\"CCMSetup.exe\""
                + " AgentVersion=\"" + AGENT_VERSION + "\" AgentType=\"0\" /><Certificates><Encryption Encoding=\"HexBinary\""
                + " KeyType=\"1\">" + hex + "</Encryption><Signing Encoding=\"HexBinary\" KeyType=\"1\">" + hex
                + "</Signing></Certificates><DiscoveryProperties><Property Name=\"Netbios Name\" Value=\""
                + esc(netbiosName) + "\" /><Property Name=\"FQ Name\" Value=\"" + esc(fqdn) + "\" /><Property"
                + " Name=\"Locale ID\" Value=\"1033\" /><Property Name=\"InternetFlag\" Value=\"1\" />"
                + "</DiscoveryProperties></Data>";
        String sig = CcmSignatures.sign(key, Utf16.le(data));
        String xml = "<ClientRegistrationRequest>" + data + "<Signature><SignatureValue>" + sig
                + "</SignatureValue></Signature></ClientRegistrationRequest>";
        return build(header("MP_ClientRegistration", now), xml, true);
    }

    /** {@code RequestAssignments} for {@code MP_PolicyManager} with Hook2 clientauth (sccmwtf's header). */
    public Built requestAssignments(String smsId, Instant now) {
        String id = smsId.regionMatches(true, 0, "GUID:", 0, 5) ? smsId.substring(5) : smsId;
        String clientId = "GUID:" + id.toUpperCase(Locale.ROOT);
        String xml = "<RequestAssignments SchemaVersion=\"1.00\" ACK=\"false\" RequestType=\"Always\"><Identification>"
                + "<Machine><ClientID>" + clientId + "</ClientID><FQDN>" + esc(fqdn) + "</FQDN><NetBIOSName>"
                + esc(netbiosName) + "</NetBIOSName><SID /></Machine><User /></Identification><PolicySource>SMS:"
                + esc(siteCode) + "</PolicySource><Resource ResourceType=\"Machine\" /><ServerCookie />"
                + "</RequestAssignments>";
        byte[] plain = CcmMessage.plainBody(xml);
        byte[] wire = Zlib.compress(plain);
        CcmMsgHeader header = header("MP_PolicyManager", now).body(plain.length - 2, 0).zlibCompressed(true)
                .clientAuth("AuthSenderMachine", netbiosName)
                .clientAuth("PublicKey", CcmSignatures.publicKeyBlob((RSAPublicKey) signing.getPublicKey()))
                .clientAuth("ClientIDSignature", CcmSignatures.sign(key, Utf16.leNul(clientId)))
                .clientAuth("PayloadSignature", CcmSignatures.sign(key, wire))
                .clientAuth("ClientCapabilities", "NonSSL").clientAuth("HashAlgorithm", CcmSignatures.SHA256_RSA_OID)
                .sourceId(clientId).build();
        return new Built(CcmMessage.frame(header, wire), header, xml, wire);
    }

    public Built enumerateMpLocations(String smsId, Instant now) {
        return build(header("MP_LocationManager", now).sourceId(smsId), "<EnumerateMPLocationRequest SchemaVersion=\"1.00\">"
                + "<AssignedSite SiteCode=\"" + esc(siteCode) + "\"/></EnumerateMPLocationRequest>", true);
    }

    public Built siteInformation(String smsId, Instant now) {
        return build(header("MP_LocationManager", now).sourceId(smsId), "<SiteInformationRequest SchemaVersion=\"1.00\">"
                + "<SiteCode Name=\"" + esc(siteCode) + "\"/></SiteInformationRequest>", true);
    }

    public Built wsusLocation(String smsId, boolean onInternet, Instant now) {
        return build(header("MP_LocationManager", now).sourceId(smsId), "<WSUSLocationRequest SchemaVersion=\"1.00\">"
                + "<Content><ContentID>{00000000-0000-0000-0000-000000000000}</ContentID><ContentVersion>0"
                + "</ContentVersion></Content><AssignedSite SiteCode=\"" + esc(siteCode) + "\"/><ClientLocationInfo"
                + " OnInternet=\"" + (onInternet ? 1 : 0) + "\"><ADSite Name=\"\"/><Forest Name=\"\"/><Domain"
                + " Name=\"\"/><IPAddresses/></ClientLocationInfo></WSUSLocationRequest>", true);
    }

    public Built contentLocation(String smsId, String packageId, boolean onInternet, Instant now) {
        return build(header("MP_LocationManager", now).sourceId(smsId), "<ContentLocationRequest SchemaVersion=\"1.00\""
                + " BGRVersion=\"1\" ExcludeFileList=\"\"><Package ID=\"" + esc(packageId) + "\" Version=\"1\""
                + " DeploymentFlags=\"0\"/><AssignedSite SiteCode=\"" + esc(siteCode) + "\"/><ClientLocationInfo"
                + " LocationType=\"SMSPackage\" DistributeOnDemand=\"0\" UseAzure=\"1\" AllowWUMU=\"0\" UseInternetDP=\""
                + (onInternet ? 1 : 0) + "\" OnInternet=\"" + (onInternet ? 1 : 0) + "\" AllowHTTP=\"1\" AllowSMB=\"0\""
                + " AllowMulticast=\"0\" AllowSuperPeer=\"0\" DPTokenAuth=\"1\"><ADSite Name=\"\"/><Forest Name=\"\"/>"
                + "<Domain Name=\"\"/><IPAddresses/><Adapters/><BoundaryGroups/></ClientLocationInfo>"
                + "</ContentLocationRequest>", true);
    }

    static String certHex(X509Certificate c) {
        try {
            return CcmSignatures.hex(c.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }
}
