package org.cmglab.site.mp;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code PROPFIND /SMS_DP_SMSPKG$/<package>} (cmg-facts §8: how clients list DP content; "405 breaks downloads"):
 * a WebDAV 207 multistatus of the package folder ({@code Depth: 0}) and its files ({@code Depth: 1}) — the lab
 * content files {@link #FILES}, served by {@link LabContentHandler} and {@link RangedContent}. {@code Depth:
 * infinity} (or none, which means infinity, RFC 4918 §9.1) is refused with 403, as IIS does by default.
 */
final class WebDavListing {
    static final String PREFIX = "/sms_dp_smspkg$/";
    static final List<String> FILES = List.of("lab-1MiB.bin", "lab-4MiB.bin");
    private static final Pattern PKG = Pattern.compile("/sms_dp_smspkg\\$/([a-z0-9_.{}-]{1,80})/?(lab-(\\d{1,4})mib\\.bin)?");
    private static final String LAST_MODIFIED = "Sun, 01 Nov 2026 00:00:00 GMT";

    private WebDavListing() {}

    static FullHttpResponse handle(FullHttpRequest req, String path) {
        Matcher m = PKG.matcher(path);
        if (!m.matches() || path.contains("..")) {
            return SiteVerbsHandler.text(HttpResponseStatus.NOT_FOUND, "no content at " + path);
        }
        String depth = req.headers().get("Depth", "infinity").trim().toLowerCase(java.util.Locale.ROOT);
        if (!depth.equals("0") && !depth.equals("1")) {
            return SiteVerbsHandler.text(HttpResponseStatus.FORBIDDEN, "PROPFIND with Depth: " + depth
                    + " is not allowed (expected: 0 or 1)");
        }
        String rawPath = req.uri().split("\\?", 2)[0];
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?><D:multistatus xmlns:D=\"DAV:\">");
        if (m.group(2) != null) {
            long mib = Long.parseLong(m.group(3));
            if (mib < 1 || mib > 1024) {
                return SiteVerbsHandler.text(HttpResponseStatus.NOT_FOUND, "no content at " + path);
            }
            file(xml, rawPath, mib << 20);
        } else {
            String folder = rawPath.endsWith("/") ? rawPath : rawPath + "/";
            xml.append("<D:response><D:href>").append(escape(folder)).append("</D:href><D:propstat><D:prop>")
                    .append("<D:displayname>").append(escape(m.group(1))).append("</D:displayname>")
                    .append("<D:resourcetype><D:collection/></D:resourcetype><D:getlastmodified>")
                    .append(LAST_MODIFIED).append("</D:getlastmodified></D:prop><D:status>HTTP/1.1 200 OK</D:status>")
                    .append("</D:propstat></D:response>");
            if (depth.equals("1")) {
                for (String f : FILES) {
                    long mib = Long.parseLong(f.substring(4, f.indexOf("MiB")));
                    file(xml, folder + f, mib << 20);
                }
            }
        }
        xml.append("</D:multistatus>");
        byte[] body = xml.toString().getBytes(StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.MULTI_STATUS,
                Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/xml; charset=\"utf-8\"")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return r;
    }

    private static void file(StringBuilder xml, String href, long size) {
        xml.append("<D:response><D:href>").append(escape(href)).append("</D:href><D:propstat><D:prop>")
                .append("<D:displayname>").append(escape(href.substring(href.lastIndexOf('/') + 1)))
                .append("</D:displayname><D:resourcetype/><D:getcontentlength>").append(size)
                .append("</D:getcontentlength><D:getcontenttype>application/octet-stream</D:getcontenttype>")
                .append("<D:getlastmodified>").append(LAST_MODIFIED).append("</D:getlastmodified></D:prop>")
                .append("<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>");
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
