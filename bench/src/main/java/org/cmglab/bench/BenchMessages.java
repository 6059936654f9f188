package org.cmglab.bench;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cmglab.proto.ccm.CcmClientHeaders;
import org.cmglab.proto.ccm.CcmMessage;
import org.cmglab.proto.ccm.CcmMsgHeader;
import org.cmglab.proto.ccm.Zlib;
import org.cmglab.proto.runtime.Json;

/**
 * The CcmMessaging requests of the workloads, built with common-proto's framing exactly as client-sim sends them
 * ({@code multipart/mixed}, UTF-16LE header part, body part): W1's {@code MP_LocationManager} request on
 * {@code ccm_system_tokenauth} (the MP checks the bearer token, decodes the multipart, parses the XML and answers a
 * location reply), and W5's content location request (whose reply carries the CMG content URL with its token).
 */
final class BenchMessages {
    private BenchMessages() {}

    static final String MP_NETBIOS = "MP01";
    static final String CLIENT_NETBIOS = "BENCH01";

    /**
     * W1: {@code ContentLocationRequest} for {@code packageId}, body zlib-compressed (Hook3, as the client sends
     * it), reply not compressed ({@code ReplyCompression="none"}): about 2 KB in; the reply is about 4 KB when the
     * package is on three DPs (the MP's own and two more the harness places it on through site-sim's {@code /dps}).
     */
    static byte[] w1Request(String sourceId, String packageId, String siteCode, Instant now) {
        return message(sourceId, contentLocationXml(packageId, siteCode, false), "none", now);
    }

    /** W5's C1: the content location request as an internet client asks it (the reply names the CMG). */
    static byte[] contentLocationRequest(String sourceId, String packageId, String siteCode, Instant now) {
        return message(sourceId, contentLocationXml(packageId, siteCode, true), "none", now);
    }

    static String contentLocationXml(String packageId, String siteCode, boolean onInternet) {
        int i = onInternet ? 1 : 0;
        return "<ContentLocationRequest SchemaVersion=\"1.00\" BGRVersion=\"1\" ExcludeFileList=\"\"><Package ID=\""
                + packageId + "\" Version=\"1\" DeploymentFlags=\"0\"/><AssignedSite SiteCode=\"" + siteCode
                + "\"/><ClientLocationInfo LocationType=\"SMSPackage\" DistributeOnDemand=\"0\" UseAzure=\"1\""
                + " AllowWUMU=\"0\" UseInternetDP=\"" + i + "\" OnInternet=\"" + i + "\" AllowHTTP=\"1\" AllowSMB=\"0\""
                + " AllowMulticast=\"0\" AllowSuperPeer=\"0\" DPTokenAuth=\"1\"><ADSite Name=\"Default-First-Site-Name\"/>"
                + "<Forest Name=\"corp.contoso.com\"/><Domain Name=\"corp.contoso.com\"/><IPAddresses>"
                + "<IPAddress SubnetAddress=\"127.77.4.0\" Address=\"127.77.4.10\"/></IPAddresses><Adapters>"
                + "<Adapter Name=\"Ethernet\" IfType=\"6\" PhysicalAddressExists=\"1\" DnsSuffix=\"corp.contoso.com\""
                + " Description=\"Intel(R) Ethernet Connection\"/></Adapters><BoundaryGroups/></ClientLocationInfo>"
                + "</ContentLocationRequest>";
    }

    private static byte[] message(String sourceId, String xml, String replyCompression, Instant now) {
        byte[] plain = CcmMessage.plainBody(xml);
        CcmMsgHeader h = CcmMsgHeader.builder().replyCompression(replyCompression)
                .id("{" + UUID.randomUUID().toString().toUpperCase(Locale.ROOT) + "}")
                .replyTo("direct:" + CLIENT_NETBIOS + ":SccmMessaging").sentTime(CcmClientHeaders.timestamp(now))
                .sourceHost(CLIENT_NETBIOS).target("MP_LocationManager").targetHost(MP_NETBIOS).sourceId(sourceId)
                .body(plain.length - 2, 0).zlibCompressed(true).build();
        return CcmMessage.frame(h, Zlib.compress(plain));
    }

    /** The {@code DeviceId} claim of a site token (JWT payload, not verified: the harness only addresses with it). */
    static String deviceId(String jwt) {
        String[] parts = jwt.split("\\.");
        if (parts.length < 2) {
            throw new IllegalArgumentException("not a JWT");
        }
        try {
            var claims = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(parts[1]));
            String id = claims.path("DeviceId").asText(null);
            if (id == null) {
                throw new IllegalArgumentException("the token has no DeviceId claim");
            }
            return id;
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("unreadable JWT payload: " + e.getMessage(), e);
        }
    }

    private static final Pattern DP_RECORD =
            Pattern.compile("<ServerRemoteName>([^<]+)</ServerRemoteName><DPType>SERVER</DPType>");

    /** The on-premises DPs ({@code DPType SERVER}) a location reply lists, in order (UTF-16LE body part). */
    static java.util.List<String> distributionPoints(byte[] reply) {
        java.util.List<String> best = java.util.List.of();
        for (int shift = 0; shift < 2; shift++) { // the UTF-16 part may start at an odd offset of the multipart
            String text = new String(reply, shift, reply.length - shift, StandardCharsets.UTF_16LE);
            java.util.List<String> found = new java.util.ArrayList<>();
            Matcher m = DP_RECORD.matcher(text);
            while (m.find()) {
                found.add(m.group(1));
            }
            if (found.size() > best.size()) {
                best = found;
            }
        }
        return best;
    }

    private static final Pattern CONTENT_URL =
            Pattern.compile("https://[^\"<>]*?/downloadrestservice\\.svc/getcontentxmlsecure\\?[^\"<>]*");

    /** The CMG content URL (C2) in a location reply (its body part is UTF-16LE, not compressed), or null. */
    static String contentUrl(byte[] reply) {
        for (int shift = 0; shift < 2; shift++) { // the UTF-16 part may start at an odd offset of the multipart
            String text = new String(reply, shift, reply.length - shift, StandardCharsets.UTF_16LE);
            Matcher m = CONTENT_URL.matcher(text);
            if (m.find()) {
                return m.group().replace("&amp;", "&");
            }
        }
        return null;
    }
}
