package org.cmglab.site.mp;

import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * Pure (no I/O) emulation of the MP ISAPI extension {@code getauth.dll} behind {@code /SMS_MP/.sms_aut?...}.
 *
 * <p>Wire format decisions and their sources are documented in {@code docs/mp-wire-formats.md}. In short:
 * every reply body is compact XML (no whitespace between elements), no XML declaration, no BOM, ASCII/UTF-8;
 * certificates are uppercase hex of the DER encoding. Query keywords are matched case-insensitively.</p>
 */
public final class SmsAutResponder {

    /** Content-Type used for XML replies (UNVERIFIED, see docs/mp-wire-formats.md). */
    public static final String XML_CONTENT_TYPE = "text/xml";
    /** Content-Type used for the IIS-style 404 page. */
    public static final String HTML_CONTENT_TYPE = "text/html";

    private static final HexFormat HEX = HexFormat.of().withUpperCase();

    private final MpIdentity identity;

    public SmsAutResponder(MpIdentity identity) {
        this.identity = Objects.requireNonNull(identity, "identity");
    }

    public MpIdentity identity() {
        return identity;
    }

    /**
     * Answers one {@code .sms_aut} query.
     *
     * @param rawQuery everything after {@code ?} in the request-target (not URL-decoded by the caller is fine;
     *                 percent-escapes are decoded here), may be {@code null} or empty
     */
    public MpReply reply(String rawQuery) {
        String q = rawQuery == null ? "" : percentDecode(rawQuery).trim();
        String keyword;
        String arg;
        int amp = q.indexOf('&');
        if (amp >= 0) {
            keyword = q.substring(0, amp);
            arg = q.substring(amp + 1);
        } else {
            keyword = q;
            arg = null;
        }
        switch (keyword.toUpperCase(Locale.ROOT)) {
            case "MPLIST":
                return xml(mpList(false));
            case "MPLIST1":
            case "MPLIST2":
                // MPLIST1&<site> / MPLIST2&<site>: MPs of the named site (ours or none). Without a site -> ours.
                if (arg == null || arg.isBlank() || arg.trim().equalsIgnoreCase(identity.siteCode())) {
                    return xml(mpList(true));
                }
                return xml("<MPList></MPList>");
            case "MPCERT":
                return xml("<MPCERT><X509Certificate>" + hex(identity.mpCertificate())
                        + "</X509Certificate></MPCERT>");
            case "SITESIGNCERT":
                return xml("<MPSITESIGNCERT><X509Certificate>" + hex(identity.siteSigningCertificate())
                        + "</X509Certificate></MPSITESIGNCERT>");
            case "MPKEYINFORMATION":
                return xml("<MPKEYINFORMATION>"
                        + "<FQDN>" + esc(identity.fqdn()) + "</FQDN>"
                        + "<SITECODE>" + esc(identity.siteCode()) + "</SITECODE>"
                        + "<SITESIGNCERT>" + hex(identity.siteSigningCertificate()) + "</SITESIGNCERT>"
                        + "</MPKEYINFORMATION>");
            case "MPKEYINFORMATIONMEDIA":
                return xml("<MPKEYINFORMATIONMEDIA>"
                        + "<FQDN>" + esc(identity.fqdn()) + "</FQDN>"
                        + "<SITECODE>" + esc(identity.siteCode()) + "</SITECODE>"
                        + "<SITESIGNCERT>" + hex(identity.siteSigningCertificate()) + "</SITESIGNCERT>"
                        + "<UnknownMachines x64UnknownMachineGUID=\"" + esc(identity.unknownMachineGuidX64())
                        + "\" x86UnknownMachineGUID=\"" + esc(identity.unknownMachineGuidX86()) + "\"/>"
                        + "</MPKEYINFORMATIONMEDIA>");
            default:
                return notFound();
        }
    }

    /** IIS-style 404 used for unknown queries and unknown paths. */
    public static MpReply notFound() {
        String html = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n"
                + "<HTML><HEAD><TITLE>Not Found</TITLE>\r\n"
                + "<META HTTP-EQUIV=\"Content-Type\" Content=\"text/html; charset=us-ascii\"></HEAD>\r\n"
                + "<BODY><h2>Not Found</h2>\r\n"
                + "<hr><p>HTTP Error 404. The requested resource is not found.</p>\r\n"
                + "</BODY></HTML>\r\n";
        return new MpReply(404, "Not Found", HTML_CONTENT_TYPE + "; charset=us-ascii",
                html.getBytes(StandardCharsets.US_ASCII));
    }

    private String mpList(boolean withSiteCode) {
        StringBuilder sb = new StringBuilder(256);
        sb.append("<MPList><MP Name=\"").append(esc(identity.name()))
                .append("\" FQDN=\"").append(esc(identity.fqdn())).append('"');
        if (withSiteCode) {
            sb.append(" SiteCode=\"").append(esc(identity.siteCode())).append('"');
        }
        sb.append("><Version>").append(identity.version()).append("</Version>")
                .append("<Capabilities SchemaVersion=\"1.0\"><Property Name=\"SSLState\" Value=\"")
                .append(identity.https() ? 1 : 0)
                .append("\"/></Capabilities></MP></MPList>");
        return sb.toString();
    }

    private static MpReply xml(String body) {
        return new MpReply(200, "OK", XML_CONTENT_TYPE, body.getBytes(StandardCharsets.UTF_8));
    }

    static String hex(X509Certificate cert) {
        try {
            return HEX.formatHex(cert.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("cannot DER-encode certificate " + cert.getSubjectX500Principal(), e);
        }
    }

    static String esc(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&apos;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Lenient percent-decoding (IIS decodes the query for ISAPI lookups; '+' is kept literally). */
    static String percentDecode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        byte[] in = s.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[in.length];
        int n = 0;
        for (int i = 0; i < in.length; i++) {
            byte b = in[i];
            if (b == '%' && i + 2 < in.length && isHex(in[i + 1]) && isHex(in[i + 2])) {
                out[n++] = (byte) Integer.parseInt(new String(in, i + 1, 2, StandardCharsets.US_ASCII), 16);
                i += 2;
            } else {
                out[n++] = b;
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    private static boolean isHex(byte b) {
        return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
    }
}
