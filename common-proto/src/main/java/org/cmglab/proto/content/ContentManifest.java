package org.cmglab.proto.content;

import static org.cmglab.proto.ccm.SafeXml.esc;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import org.cmglab.proto.ccm.CcmFormatException;
import org.cmglab.proto.ccm.SafeXml;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The content manifest of one package version on a content-enabled CMG: its files with size and SHA-256. The site
 * stores it next to the files in the CMG's storage account ({@code manifest.xml}, without URLs); the CMG's
 * {@code getcontentxmlsecure} answers it with a short-lived SAS URL per file. The product's manifest format is
 * UNVERIFIED (cmg-facts §6); this XML is the lab's:
 *
 * <pre>{@code
 * <ContentManifest PackageID="P0100012" ContentID="P0100012" Version="1">
 *   <File Name="setup.exe" Size="1048576" SHA256="<64 hex>" URL="https://…?sv=…&sig=…"/>
 * </ContentManifest>
 * }</pre>
 */
public record ContentManifest(String packageId, String contentId, int version, List<FileEntry> files) {
    /** File names: one path segment, letters, digits, {@code . _ -} (no traversal, no separators). */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    /**
     * One file.
     *
     * @param url the SAS URL (only in the CMG's answer), else null
     */
    public record FileEntry(String name, long size, String sha256, String url) {
        public FileEntry {
            if (name == null || !NAME.matcher(name).matches() || name.contains("..")) {
                throw new IllegalArgumentException("bad content file name: " + name);
            }
            if (size < 0) {
                throw new IllegalArgumentException("negative size of " + name);
            }
            sha256 = sha256 == null ? null : sha256.toLowerCase(Locale.ROOT);
            if (sha256 == null || !HEX64.matcher(sha256).matches()) {
                throw new IllegalArgumentException("bad SHA-256 of " + name + ": " + sha256);
            }
        }

        public FileEntry withUrl(String sasUrl) {
            return new FileEntry(name, size, sha256, sasUrl);
        }

        public byte[] sha256Bytes() {
            return HexFormat.of().parseHex(sha256);
        }
    }

    public ContentManifest {
        Objects.requireNonNull(packageId, "packageId");
        Objects.requireNonNull(contentId, "contentId");
        files = List.copyOf(files);
        if (files.isEmpty()) {
            throw new IllegalArgumentException("a manifest lists at least one file");
        }
        if (files.stream().map(f -> f.name().toLowerCase(Locale.ROOT)).distinct().count() != files.size()) {
            throw new IllegalArgumentException("duplicate file names in the manifest of " + contentId);
        }
    }

    public long totalSize() {
        return files.stream().mapToLong(FileEntry::size).sum();
    }

    public ContentManifest withFiles(List<FileEntry> newFiles) {
        return new ContentManifest(packageId, contentId, version, newFiles);
    }

    public String toXml() {
        StringBuilder s = new StringBuilder("<ContentManifest PackageID=\"").append(esc(packageId))
                .append("\" ContentID=\"").append(esc(contentId)).append("\" Version=\"").append(version)
                .append("\">");
        for (FileEntry f : files) {
            s.append("<File Name=\"").append(esc(f.name())).append("\" Size=\"").append(f.size())
                    .append("\" SHA256=\"").append(f.sha256()).append('"');
            if (f.url() != null) {
                s.append(" URL=\"").append(esc(f.url())).append('"');
            }
            s.append("/>");
        }
        return s.append("</ContentManifest>").toString();
    }

    /** @throws CcmFormatException when the XML is not a manifest */
    public static ContentManifest parse(String xml) {
        Element root = SafeXml.parse(xml).getDocumentElement();
        if (!"ContentManifest".equals(root.getTagName())) {
            throw new CcmFormatException(CcmFormatException.Reason.MISSING_FIELD,
                    "<" + root.getTagName() + "> (expected <ContentManifest>)");
        }
        try {
            List<FileEntry> files = new ArrayList<>();
            NodeList nl = root.getElementsByTagName("File");
            for (int i = 0; i < nl.getLength(); i++) {
                Element f = (Element) nl.item(i);
                String url = f.getAttribute("URL");
                files.add(new FileEntry(f.getAttribute("Name"), Long.parseLong(f.getAttribute("Size")),
                        f.getAttribute("SHA256"), url.isEmpty() ? null : url));
            }
            return new ContentManifest(root.getAttribute("PackageID"), root.getAttribute("ContentID"),
                    Integer.parseInt(root.getAttribute("Version")), files);
        } catch (IllegalArgumentException e) {
            throw new CcmFormatException(CcmFormatException.Reason.MISSING_FIELD, "bad manifest: " + e.getMessage());
        }
    }
}
