package org.cmglab.proto.content;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The content access token of a content-enabled CMG (cmg-facts §1.6, §6): query parameters appended to the CMG's
 * {@code downloadrestservice.svc/getcontentxmlsecure?pid=…&cid=…} location, issued by the MP with the content
 * location reply and checked by the CMG.
 *
 * <p>Observed parameters: {@code tid=GUID:<client>&iss=<MP FQDN>&alg=1.2.840.113549.1.1.11&st=<UTC>&et=<UTC>}.
 * Where the product carries the signature is UNVERIFIED; the lab appends {@code sig=<base64url RSA-SHA256>} over
 * the exact query text before it ({@code pid=…&cid=…&tid=…&iss=…&alg=…&st=…&et=…}), signed with the site's token
 * signing key and verified with its certificate. Times are {@code yyyy-MM-ddTHH:mm:ssZ} (the product's time format
 * is UNVERIFIED).
 *
 * @param packageId the package id ({@code pid})
 * @param contentId the content id ({@code cid})
 * @param clientId  {@code GUID:<client guid>} ({@code tid})
 * @param issuer    the MP's FQDN ({@code iss})
 * @param start     {@code st}
 * @param end       {@code et}
 * @param signature base64url signature ({@code sig}), null before signing
 */
public record ContentToken(String packageId, String contentId, String clientId, String issuer, Instant start,
                           Instant end, String signature) {
    /** sha256WithRSAEncryption, as observed in {@code alg}. */
    public static final String ALG = "1.2.840.113549.1.1.11";
    /** The token lifetime (cmg-facts §6: 24 h). */
    public static final Duration LIFETIME = Duration.ofHours(24);

    public ContentToken {
        Objects.requireNonNull(packageId, "packageId");
        Objects.requireNonNull(contentId, "contentId");
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(end, "end");
    }

    /** A signed token valid {@link #LIFETIME} from {@code clock}'s now (seconds precision). */
    public static ContentToken issue(String packageId, String contentId, String clientId, String issuer, Clock clock,
                                     PrivateKey siteSigningKey) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        ContentToken unsigned = new ContentToken(packageId, contentId, clientId, issuer, now, now.plus(LIFETIME), null);
        return new ContentToken(packageId, contentId, clientId, issuer, now, now.plus(LIFETIME),
                sign(unsigned.signedText(), siteSigningKey));
    }

    /** The query text the signature covers. */
    public String signedText() {
        return "pid=" + enc(packageId) + "&cid=" + enc(contentId) + "&tid=" + enc(clientId) + "&iss=" + enc(issuer)
                + "&alg=" + ALG + "&st=" + start + "&et=" + end;
    }

    /** The full query ({@link #signedText()} plus {@code &sig=…}). */
    public String query() {
        if (signature == null) {
            throw new IllegalStateException("unsigned token");
        }
        return signedText() + "&sig=" + signature;
    }

    /**
     * Reads a token from a raw query string (without {@code ?}); only syntax is checked here.
     *
     * @throws ContentTokenException {@code MALFORMED} or {@code UNSUPPORTED_ALGORITHM}
     */
    public static ContentToken parse(String rawQuery) throws ContentTokenException {
        Map<String, String> p = new LinkedHashMap<>();
        if (rawQuery != null) {
            for (String kv : rawQuery.split("&")) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    continue;
                }
                String k = kv.substring(0, eq).toLowerCase(Locale.ROOT);
                String v;
                try {
                    v = URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw new ContentTokenException(ContentTokenException.Reason.MALFORMED, "bad escape in " + k);
                }
                if (p.putIfAbsent(k, v) != null) {
                    throw new ContentTokenException(ContentTokenException.Reason.MALFORMED, "parameter " + k
                            + " given twice");
                }
            }
        }
        for (String k : new String[] {"pid", "cid", "tid", "iss", "alg", "st", "et", "sig"}) {
            if (p.get(k) == null || p.get(k).isEmpty()) {
                throw new ContentTokenException(ContentTokenException.Reason.MALFORMED, "missing parameter " + k);
            }
        }
        if (!ALG.equals(p.get("alg"))) {
            throw new ContentTokenException(ContentTokenException.Reason.UNSUPPORTED_ALGORITHM,
                    "alg " + p.get("alg") + " (expected " + ALG + ")");
        }
        try {
            return new ContentToken(p.get("pid"), p.get("cid"), p.get("tid"), p.get("iss"),
                    Instant.parse(p.get("st")), Instant.parse(p.get("et")), p.get("sig"));
        } catch (DateTimeParseException e) {
            throw new ContentTokenException(ContentTokenException.Reason.MALFORMED, "st/et are not UTC times");
        }
    }

    /**
     * Checks signature, validity window and scope.
     *
     * @param siteSigningCert the site token-signing certificate's key
     * @param clientId        the client presenting the token ({@code GUID:…}); must equal {@code tid}
     * @param skew            clock skew allowed on {@code st} and {@code et}
     */
    public void verify(PublicKey siteSigningCert, String expectedPackageId, String expectedContentId,
                       String clientId, Clock clock, Duration skew) throws ContentTokenException {
        if (signature == null || !verifySignature(signedText(), signature, siteSigningCert)) {
            throw new ContentTokenException(ContentTokenException.Reason.BAD_SIGNATURE,
                    "signature does not verify with the site token-signing certificate");
        }
        Instant now = clock.instant();
        if (now.isAfter(end.plus(skew))) {
            throw new ContentTokenException(ContentTokenException.Reason.EXPIRED, "token expired at " + end
                    + " (now " + now.truncatedTo(ChronoUnit.SECONDS) + ")");
        }
        if (now.isBefore(start.minus(skew))) {
            throw new ContentTokenException(ContentTokenException.Reason.NOT_YET_VALID, "token valid from " + start);
        }
        if (!packageId.equalsIgnoreCase(expectedPackageId) || !contentId.equalsIgnoreCase(expectedContentId)) {
            throw new ContentTokenException(ContentTokenException.Reason.WRONG_CONTENT, "token is for pid="
                    + packageId + " cid=" + contentId + ", request names pid=" + expectedPackageId + " cid="
                    + expectedContentId);
        }
        if (clientId == null || !this.clientId.equalsIgnoreCase(clientId)) {
            throw new ContentTokenException(ContentTokenException.Reason.WRONG_CLIENT, "token issued to "
                    + this.clientId + ", presented by " + clientId);
        }
    }

    private static String sign(String text, PrivateKey key) {
        try {
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initSign(key);
            s.update(text.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign a content token: " + e, e);
        }
    }

    private static boolean verifySignature(String text, String sig, PublicKey key) {
        try {
            byte[] raw = Base64.getUrlDecoder().decode(sig);
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initVerify(key);
            s.update(text.getBytes(StandardCharsets.UTF_8));
            return s.verify(raw);
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            return false;
        }
    }

    private static String enc(String v) {
        return URLEncoder.encode(v, StandardCharsets.UTF_8).replace("%3A", ":");
    }
}
