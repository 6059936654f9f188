package org.cmglab.proto;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Stream;
import org.cmglab.proto.ccm.CcmAuthException;
import org.cmglab.proto.ccm.CcmClientHeaders;
import org.cmglab.proto.ccm.CcmFormatException;
import org.cmglab.proto.ccm.CcmMessage;
import org.cmglab.proto.ccm.CcmMsgHeader;
import org.cmglab.proto.ccm.CcmMultipart;
import org.cmglab.proto.ccm.ClientHeaderVerifier;
import org.cmglab.proto.ccm.SafeXml;
import org.cmglab.proto.ccm.Utf16;
import org.cmglab.proto.ccm.Zlib;
import org.cmglab.proto.content.ContentToken;
import org.cmglab.proto.content.ContentTokenException;
import org.cmglab.proto.jwt.JwtSigner;
import org.cmglab.proto.jwt.JwtVerifier;
import org.cmglab.proto.jwt.TokenRejectedException;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.ClientCertValidator;
import org.cmglab.proto.pki.Eku;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.testing.BadInputReport;
import org.cmglab.proto.testing.LeakWatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bad-input matrix of the shared verifiers and parsers (authenticators: bearer tokens, client certificates, CCM
 * header signatures and timestamps; MP messaging: multipart, zlib, XML; content tokens). Each case names the outcome
 * it expects (the reason the code reports, which the servers turn into a 4xx with a log line) and checks that the
 * same verifier or parser still accepts a good input afterwards ("other clients unaffected"). The table goes to
 * {@code target/reliability/bad-input.md}.
 */
class BadInputParsersMatrixTest {
    static final String ISSUER = "https://cmg.lab.test/CCM_Proxy_ServerAuth";
    static final String AUDIENCE = "https://ConfigMgrService";
    static final Instant NOW = Instant.parse("2026-06-01T10:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final BadInputReport REPORT = new BadInputReport("common-proto");

    static JwtSigner signer;
    static JwtSigner otherSigner;
    static JwtVerifier verifier;
    static LabCa ca;
    static IssuedCert client;
    static IssuedCert otherClient;
    static IssuedCert siteSigning;
    static ClientCertValidator certs;
    static ClientHeaderVerifier headers;
    static LeakWatch leaks;

    /** One case: what runs, what it must report, and a good input that must still pass afterwards. */
    record Case(String id, String area, String expected, Callable<String> run, Callable<Boolean> good) {
        @Override
        public String toString() {
            return id;
        }
    }

    @BeforeAll
    static void setUp() {
        signer = JwtSigner.generate("key-1");
        otherSigner = JwtSigner.generate("key-1");
        verifier = JwtVerifier.forKeys(signer.publicJwkSet(), ISSUER, AUDIENCE, CLOCK, Duration.ofMinutes(2));
        ca = LabCa.createEphemeral();
        client = ca.issue(CertSpec.client("client01.corp.contoso.com"));
        otherClient = ca.issue(CertSpec.client("client02.corp.contoso.com"));
        siteSigning = ca.issue(CertSpec.client("site-token-signing"));
        certs = new ClientCertValidator(List.of(ca.root()));
        headers = new ClientHeaderVerifier(CLOCK, Duration.ofMinutes(5), 3, 1000);
        leaks = new LeakWatch();
    }

    @AfterAll
    static void report() {
        REPORT.write();
        try {
            assertThat(leaks.leaks()).as("Netty LEAK reports").isEmpty();
        } finally {
            leaks.close();
        }
    }

    // ------------------------------------------------------------------ inputs

    static JWTClaimsSet.Builder claims() {
        return new JWTClaimsSet.Builder().issuer(ISSUER).audience(AUDIENCE).subject("GUID:1")
                .issueTime(Date.from(NOW.minusSeconds(60))).notBeforeTime(Date.from(NOW.minusSeconds(60)))
                .expirationTime(Date.from(NOW.plusSeconds(3600)));
    }

    static String jwtReason(String token) {
        try {
            verifier.verify(token);
            return "accepted";
        } catch (TokenRejectedException e) {
            return e.reason().name();
        }
    }

    static boolean goodJwt() throws Exception {
        return verifier.verify(signer.sign(claims().build())).keyId().equals("key-1");
    }

    static String hs256WithPublicKey() throws Exception {
        byte[] secret = MessageDigest.getInstance("SHA-256").digest(signer.publicJwkSetJson().getBytes(StandardCharsets.UTF_8));
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("key-1").build(), claims().build());
        jwt.sign(new MACSigner(secret));
        return jwt.serialize();
    }

    static String certReason(List<java.security.cert.X509Certificate> chain) {
        ClientCertValidator.Result r = certs.validate(chain, Instant.now());
        return r.ok() ? "accepted" : r.failure().name();
    }

    static boolean goodCert() {
        return certs.validate(List.of(client.certificate()), Instant.now()).ok();
    }

    static Function<String, String> ci(Map<String, String> m) {
        TreeMap<String, String> t = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        t.putAll(m);
        return t::get;
    }

    static final ClientHeaderVerifier.KeyLookup KEYS =
            id -> id.equalsIgnoreCase("GUID:AAAA-1") ? client.certificate().getPublicKey() : null;

    static String headerReason(Map<String, String> h, String url) {
        try {
            headers.verifyCcmClient(ci(h), url, KEYS);
            return "accepted";
        } catch (CcmAuthException e) {
            return e.reason().name();
        }
    }

    static int goodHeaderSeq;

    static boolean goodHeaders() {
        Instant t = NOW.plusMillis(++goodHeaderSeq * 1000L);
        return headers.verifyCcmClient(ci(CcmClientHeaders.ccmClient("GUID:aaaa-1", client.privateKey(), t)), "/good",
                KEYS) != null;
    }

    static String format(Callable<?> parse) {
        try {
            parse.call();
            return "accepted";
        } catch (CcmFormatException e) {
            return e.reason().name();
        } catch (Exception e) {
            return "crash: " + e;
        }
    }

    static byte[] goodMessageBytes() {
        CcmMsgHeader h = CcmMsgHeader.builder().zlibCompressed(true).target("MP_LocationManager").build();
        return CcmMessage.frame(h, Zlib.compress(CcmMessage.plainBody("<ContentLocationRequest/>")));
    }

    static boolean goodMessage() {
        return CcmMessage.decode(CcmMultipart.CONTENT_TYPE, goodMessageBytes(), CcmMessage.Limits.DEFAULT).bodyXml()
                .equals("<ContentLocationRequest/>");
    }

    static byte[] withBody(byte[] bodyOnWire, boolean zlib) {
        CcmMsgHeader h = CcmMsgHeader.builder().zlibCompressed(zlib).target("MP_LocationManager").build();
        return CcmMessage.frame(h, bodyOnWire);
    }

    static String decode(byte[] wire) {
        return format(() -> CcmMessage.decode(CcmMultipart.CONTENT_TYPE, wire,
                new CcmMessage.Limits(1 << 20, 1 << 20, 64 << 10)));
    }

    static String ascii(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    static ContentToken goodToken() {
        return ContentToken.issue("P0100012", "P0100012.1", "GUID:AAAA-1", "P01", CLOCK, siteSigning.privateKey());
    }

    static String contentReason(String query, String pid, String cid, String tid, Clock clock) {
        try {
            ContentToken.parse(query).verify(siteSigning.certificate().getPublicKey(), pid, cid, tid, clock,
                    Duration.ofMinutes(5));
            return "accepted";
        } catch (ContentTokenException e) {
            return e.reason().name();
        }
    }

    static boolean goodContent() {
        return contentReason(goodToken().query(), "P0100012", "P0100012.1", "GUID:AAAA-1", CLOCK).equals("accepted");
    }

    // ------------------------------------------------------------------ the table

    static Stream<Case> cases() throws Exception {
        List<Case> c = new ArrayList<>();
        Callable<Boolean> jwt = BadInputParsersMatrixTest::goodJwt;
        String tok = "authenticator: token";
        c.add(new Case("JWT alg none (unsigned)", tok, "UNSUPPORTED_ALGORITHM",
                () -> jwtReason(new PlainJWT(claims().build()).serialize()), jwt));
        c.add(new Case("JWT HS256 keyed with the public key (alg confusion)", tok, "UNSUPPORTED_ALGORITHM",
                () -> jwtReason(hs256WithPublicKey()), jwt));
        c.add(new Case("JWT signed by another key with the same kid", tok, "BAD_SIGNATURE",
                () -> jwtReason(otherSigner.sign(claims().build())), jwt));
        c.add(new Case("JWT with an unknown kid", tok, "UNKNOWN_KEY",
                () -> jwtReason(JwtSigner.generate("key-9").sign(claims().build())), jwt));
        c.add(new Case("JWT expired", tok, "EXPIRED", () -> jwtReason(signer.sign(claims()
                .expirationTime(Date.from(NOW.minusSeconds(600))).build())), jwt));
        c.add(new Case("JWT not yet valid", tok, "NOT_YET_VALID", () -> jwtReason(signer.sign(claims()
                .notBeforeTime(Date.from(NOW.plusSeconds(600))).build())), jwt));
        c.add(new Case("JWT wrong audience", tok, "WRONG_AUDIENCE",
                () -> jwtReason(signer.sign(claims().audience("https://other").build())), jwt));
        c.add(new Case("JWT wrong issuer", tok, "WRONG_ISSUER",
                () -> jwtReason(signer.sign(claims().issuer("https://evil").build())), jwt));
        c.add(new Case("JWT without exp", tok, "MALFORMED",
                () -> jwtReason(signer.sign(claims().expirationTime(null).build())), jwt));
        c.add(new Case("JWT payload tampered after signing", tok, "BAD_SIGNATURE", () -> {
            String[] p = signer.sign(claims().build()).split("\\.");
            String forged = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                    claims().subject("GUID:ADMIN").build().toString().getBytes(StandardCharsets.UTF_8));
            return jwtReason(p[0] + "." + forged + "." + p[2]);
        }, jwt));
        c.add(new Case("JWT garbage text", tok, "MALFORMED", () -> jwtReason("not.a.jwt!"), jwt));
        c.add(new Case("JWT 1 MiB of base64", tok, "MALFORMED",
                () -> jwtReason("eyJ" + "A".repeat(1 << 20) + ".e30.AA"), jwt));

        Callable<Boolean> cert = BadInputParsersMatrixTest::goodCert;
        String crt = "authenticator: certificate";
        c.add(new Case("client certificate from an untrusted CA", crt, "UNTRUSTED_CA", () -> certReason(List.of(
                LabCa.createEphemeral().issue(CertSpec.client("client01.corp.contoso.com")).certificate())), cert));
        c.add(new Case("client certificate with server-auth EKU only", crt, "WRONG_EKU", () -> certReason(List.of(
                ca.issue(CertSpec.builder("client01").ekus(Eku.SERVER_AUTH).build()).certificate())), cert));
        c.add(new Case("client certificate expired", crt, "EXPIRED", () -> certReason(List.of(ca.issue(
                CertSpec.builder("client01").ekus(Eku.CLIENT_AUTH).notBefore(Instant.now().minus(Duration.ofDays(30)))
                        .notAfter(Instant.now().minus(Duration.ofDays(1))).build()).certificate())), cert));
        c.add(new Case("client certificate not yet valid", crt, "NOT_YET_VALID", () -> certReason(List.of(ca.issue(
                CertSpec.builder("client01").ekus(Eku.CLIENT_AUTH).notBefore(Instant.now().plus(Duration.ofDays(1)))
                        .notAfter(Instant.now().plus(Duration.ofDays(30))).build()).certificate())), cert));
        c.add(new Case("no client certificate", crt, "MISSING", () -> certReason(List.of()), cert));

        Callable<Boolean> hdr = BadInputParsersMatrixTest::goodHeaders;
        String sig = "authenticator: CCM signature";
        c.add(new Case("CCMClient headers signed by another key", sig, "BAD_SIGNATURE", () -> headerReason(
                CcmClientHeaders.ccmClient("GUID:AAAA-1", otherClient.privateKey(), NOW), "/x"), hdr));
        c.add(new Case("CCMClientTimestamp tampered", sig, "BAD_SIGNATURE", () -> {
            Map<String, String> h = new TreeMap<>(CcmClientHeaders.ccmClient("GUID:AAAA-1", client.privateKey(), NOW));
            h.put("CCMClientTimestamp", NOW.plusSeconds(1).toString());
            return headerReason(h, "/x");
        }, hdr));
        c.add(new Case("CCMClientTimestamp 10 min old", sig, "CLOCK_SKEW", () -> headerReason(
                CcmClientHeaders.ccmClient("GUID:AAAA-1", client.privateKey(), NOW.minusSeconds(600)), "/x"), hdr));
        c.add(new Case("CCMClientTimestamp 10 min ahead", sig, "CLOCK_SKEW", () -> headerReason(
                CcmClientHeaders.ccmClient("GUID:AAAA-1", client.privateKey(), NOW.plusSeconds(600)), "/x"), hdr));
        c.add(new Case("CCMClient headers replayed beyond maxUses", sig, "REPLAY", () -> {
            Map<String, String> h = CcmClientHeaders.ccmClient("GUID:AAAA-1", client.privateKey(), NOW.minusSeconds(30));
            for (int i = 0; i < 3; i++) {
                headerReason(h, "/r" + i);
            }
            return headerReason(h, "/r3");
        }, hdr));
        c.add(new Case("CCMClientID of an unregistered client", sig, "UNKNOWN_CLIENT", () -> headerReason(
                CcmClientHeaders.ccmClient("GUID:BBBB-2", client.privateKey(), NOW), "/x"), hdr));
        c.add(new Case("CCMClientIDSignature missing", sig, "MISSING_SIGNATURE", () -> {
            Map<String, String> h = new TreeMap<>(CcmClientHeaders.ccmClient("GUID:AAAA-1", client.privateKey(), NOW));
            h.remove("CCMClientIDSignature");
            return headerReason(h, "/x");
        }, hdr));
        c.add(new Case("CCMClientIDSignature not hex", sig, "BAD_SIGNATURE", () -> {
            Map<String, String> h = new TreeMap<>(CcmClientHeaders.ccmClient("GUID:AAAA-1", client.privateKey(), NOW));
            h.put("CCMClientIDSignature", "zz-not-hex-" + "Q".repeat(5000));
            return headerReason(h, "/x");
        }, hdr));

        Callable<Boolean> msg = BadInputParsersMatrixTest::goodMessage;
        String mp = "MP messaging";
        byte[] good = goodMessageBytes();
        c.add(new Case("multipart without a boundary parameter", mp, "MALFORMED_MULTIPART",
                () -> format(() -> CcmMessage.decode("multipart/mixed", good, CcmMessage.Limits.DEFAULT)), msg));
        c.add(new Case("multipart without the closing delimiter", mp, "MALFORMED_MULTIPART", () -> {
            String s = ascii(good);
            return decode(s.substring(0, s.lastIndexOf("--" + CcmMultipart.BOUNDARY + "--"))
                    .getBytes(StandardCharsets.ISO_8859_1));
        }, msg));
        c.add(new Case("multipart with 100 parts", mp, "MALFORMED_MULTIPART", () -> {
            List<CcmMultipart.Part> parts = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                parts.add(new CcmMultipart.Part("application/octet-stream", new byte[] {1}));
            }
            return format(() -> CcmMultipart.parse(CcmMultipart.CONTENT_TYPE, CcmMultipart.encode(parts)));
        }, msg));
        c.add(new Case("multipart part header of 64 KiB", mp, "MALFORMED_MULTIPART", () -> decode(("--"
                + CcmMultipart.BOUNDARY + "\r\ncontent-type: text/plain" + "x".repeat(65_536) + "\r\n\r\nA\r\n--"
                + CcmMultipart.BOUNDARY + "--").getBytes(StandardCharsets.ISO_8859_1)), msg));
        c.add(new Case("multipart with a body part but no header part", mp, "MALFORMED_MULTIPART", () -> format(() ->
                CcmMessage.decode(CcmMultipart.CONTENT_TYPE, CcmMultipart.encode(List.of(new CcmMultipart.Part(
                        CcmMultipart.BODY_TYPE, CcmMessage.plainBody("<x/>")))), CcmMessage.Limits.DEFAULT)), msg));
        c.add(new Case("zlib bomb (64 MiB of zeros in 64 KiB)", mp, "ZLIB_BOMB",
                () -> decode(withBody(Zlib.compress(new byte[64 << 20]), true)), msg));
        c.add(new Case("zlib stream truncated", mp, "BAD_ZLIB", () -> {
            byte[] z = Zlib.compress(CcmMessage.plainBody("<ContentLocationRequest/>"));
            return decode(withBody(java.util.Arrays.copyOf(z, z.length / 2), true));
        }, msg));
        c.add(new Case("zlib header with garbage after it", mp, "BAD_ZLIB",
                () -> decode(withBody(new byte[] {0x78, (byte) 0x9C, 1, 2, 3, 4, 5, 6, 7, 8}, true)), msg));
        c.add(new Case("message larger than the limit (2 MiB)", mp, "TOO_LARGE", () -> format(() -> CcmMessage.decode(
                CcmMultipart.CONTENT_TYPE, withBody(new byte[2 << 20], false), CcmMessage.Limits.DEFAULT)), msg));
        c.add(new Case("body of odd length (not UTF-16)", mp, "BAD_UTF16",
                () -> decode(withBody(new byte[] {'<', 0, 'a'}, false)), msg));
        c.add(new Case("XXE: external entity in the body", mp, "BAD_XML", () -> format(() -> SafeXml.parse(
                "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>")), msg));
        c.add(new Case("billion laughs (nested internal entities)", mp, "BAD_XML", () -> format(() -> SafeXml.parse(
                "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
                        + "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><r>&c;&c;&c;&c;</r>")), msg));
        c.add(new Case("external DTD reference", mp, "BAD_XML", () -> format(() -> SafeXml.parse(
                "<!DOCTYPE r SYSTEM \"http://127.0.0.1:1/evil.dtd\"><r/>")), msg));
        c.add(new Case("XInclude of a local file", mp, "accepted (not expanded)", () -> {
            var doc = SafeXml.parse("<r xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\"file:///etc/passwd\"/></r>");
            return doc.getDocumentElement().getTextContent().contains("root:") ? "expanded" : "accepted (not expanded)";
        }, msg));
        c.add(new Case("element nested 100000 deep (limit " + SafeXml.MAX_DEPTH + ")", mp, "BAD_XML", () -> format(() -> SafeXml.parse(
                "<a>".repeat(100_000) + "</a>".repeat(100_000))), msg));
        c.add(new Case("not well-formed XML header", mp, "BAD_XML", () -> decode(CcmMultipart.encode(List.of(
                new CcmMultipart.Part(CcmMultipart.HEADER_TYPE, Utf16.withBom("<Msg><unclosed></Msg>")),
                new CcmMultipart.Part(CcmMultipart.BODY_TYPE, CcmMessage.plainBody("<x/>"))))), msg));

        Callable<Boolean> ct = BadInputParsersMatrixTest::goodContent;
        String cnt = "content";
        String q = goodToken().query();
        c.add(new Case("content token: pid changed after signing", cnt, "BAD_SIGNATURE", () -> contentReason(
                q.replace("pid=P0100012", "pid=P0100099"), "P0100099", "P0100012.1", "GUID:AAAA-1", CLOCK), ct));
        c.add(new Case("content token: signature of another key", cnt, "BAD_SIGNATURE", () -> contentReason(
                ContentToken.issue("P0100012", "P0100012.1", "GUID:AAAA-1", "P01", CLOCK, client.privateKey()).query(),
                "P0100012", "P0100012.1", "GUID:AAAA-1", CLOCK), ct));
        c.add(new Case("content token: expired", cnt, "EXPIRED", () -> contentReason(q, "P0100012", "P0100012.1",
                "GUID:AAAA-1", Clock.fixed(NOW.plus(Duration.ofDays(2)), ZoneOffset.UTC)), ct));
        c.add(new Case("content token: used for other content", cnt, "WRONG_CONTENT", () -> contentReason(q,
                "P0100013", "P0100013.1", "GUID:AAAA-1", CLOCK), ct));
        c.add(new Case("content token: presented by another client", cnt, "WRONG_CLIENT", () -> contentReason(q,
                "P0100012", "P0100012.1", "GUID:BBBB-2", CLOCK), ct));
        c.add(new Case("content token: alg downgraded", cnt, "UNSUPPORTED_ALGORITHM", () -> contentReason(
                q.replace("alg=" + ContentToken.ALG, "alg=none"), "P0100012", "P0100012.1", "GUID:AAAA-1", CLOCK), ct));
        c.add(new Case("content token: parameter given twice", cnt, "MALFORMED", () -> contentReason(
                q + "&pid=P0100099", "P0100012", "P0100012.1", "GUID:AAAA-1", CLOCK), ct));
        c.add(new Case("content token: bad percent escape", cnt, "MALFORMED", () -> contentReason(
                q.replace("tid=", "tid=%zz"), "P0100012", "P0100012.1", "GUID:AAAA-1", CLOCK), ct));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void badInputIsRefusedWithTheExpectedReasonAndGoodInputStillPasses(Case c) throws Exception {
        String observed;
        try {
            observed = c.run().call();
        } catch (Exception | StackOverflowError e) {
            observed = "crash: " + e;
        }
        boolean good;
        try {
            good = c.good().call();
        } catch (Exception e) {
            good = false;
        }
        boolean pass = observed.equals(c.expected()) && good;
        REPORT.add(c.id(), c.area(), c.expected(), observed + (good ? "; good input still accepted" : "; GOOD INPUT REFUSED"),
                pass);
        assertThat(observed).as(c.id()).isEqualTo(c.expected());
        assertThat(good).as("a good input after: " + c.id()).isTrue();
    }

    @Test
    void theMatrixHasEnoughCases() throws Exception {
        assertThat(cases().count()).isGreaterThanOrEqualTo(40);
        assertThat(cases().map(Case::area).distinct()).hasSize(5);
    }
}
