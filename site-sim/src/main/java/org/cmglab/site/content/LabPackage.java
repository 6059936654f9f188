package org.cmglab.site.content;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cmglab.proto.content.ContentManifest;

/**
 * A generated package: {@code files} files of deterministic bytes (SHA-256 in counter mode over
 * {@code <pid>/<version>/<name>}), so every run distributes the same content and a test can recompute it. The first
 * file is {@code setup.exe}, the others {@code data<n>.cab}; sizes split {@code totalBytes} unevenly (not multiples
 * of the download range size).
 */
public final class LabPackage {
    public static final int MAX_FILES = 32;
    public static final long MAX_TOTAL = 256L * 1024 * 1024;

    private final String packageId;
    private final int version;
    private final Map<String, byte[]> files;

    private LabPackage(String packageId, int version, Map<String, byte[]> files) {
        this.packageId = packageId;
        this.version = version;
        this.files = files;
    }

    public static LabPackage generate(String packageId, int version, int fileCount, long totalBytes) {
        if (fileCount < 1 || fileCount > MAX_FILES) {
            throw new IllegalArgumentException("files: " + fileCount + " (expected 1.." + MAX_FILES + ")");
        }
        if (totalBytes < fileCount || totalBytes > MAX_TOTAL) {
            throw new IllegalArgumentException("bytes: " + totalBytes + " (expected " + fileCount + ".." + MAX_TOTAL
                    + ")");
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        long left = totalBytes;
        for (int i = 0; i < fileCount; i++) {
            String name = i == 0 ? "setup.exe" : "data" + i + ".cab";
            long size = i == fileCount - 1 ? left : Math.max(1, (left / (fileCount - i)) + 7919L * (i % 3) - 3000);
            size = Math.min(size, left - (fileCount - i - 1));
            files.put(name, bytes(packageId + "/" + version + "/" + name, (int) size));
            left -= size;
        }
        return new LabPackage(packageId, version, files);
    }

    static byte[] bytes(String seed, int size) {
        MessageDigest sha = sha256();
        byte[] out = new byte[size];
        byte[] s = seed.getBytes(StandardCharsets.UTF_8);
        int off = 0;
        for (long block = 0; off < size; block++) {
            sha.update(s);
            sha.update(ByteBuffer.allocate(8).putLong(block).array());
            byte[] d = sha.digest();
            int n = Math.min(d.length, size - off);
            System.arraycopy(d, 0, out, off, n);
            off += n;
        }
        return out;
    }

    public String packageId() {
        return packageId;
    }

    public int version() {
        return version;
    }

    /** Name → bytes, in order. */
    public Map<String, byte[]> files() {
        return files;
    }

    /** The manifest of these files (no URLs). */
    public ContentManifest manifest(String contentId) {
        List<ContentManifest.FileEntry> entries = new ArrayList<>();
        files.forEach((n, b) -> entries.add(new ContentManifest.FileEntry(n, b.length, sha256Hex(b), null)));
        return new ContentManifest(packageId, contentId, version, entries);
    }

    public static String sha256Hex(byte[] b) {
        return HexFormat.of().formatHex(sha256().digest(b));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
