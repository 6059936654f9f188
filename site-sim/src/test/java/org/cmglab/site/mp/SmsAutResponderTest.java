package org.cmglab.site.mp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

class SmsAutResponderTest {

    private final MpIdentity id = TestCerts.identity();
    private final SmsAutResponder responder = new SmsAutResponder(id);

    private static Document parse(byte[] body) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(body));
    }

    private static void assertPlainXmlEncoding(MpReply r) {
        byte[] b = r.body();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.reasonPhrase()).isEqualTo("OK");
        assertThat(r.contentType()).isEqualTo("text/xml");
        // No BOM, no XML declaration, ASCII only, no whitespace between elements.
        assertThat(b[0]).isEqualTo((byte) '<');
        assertThat(new String(b, StandardCharsets.US_ASCII)).doesNotStartWith("<?xml").doesNotContain("\n", "\r", "> <");
        for (byte x : b) {
            assertThat(x & 0xff).isBetween(0x20, 0x7e);
        }
    }

    @Test
    void mplistExactBytes() {
        MpReply r = responder.reply("MPLIST");
        assertPlainXmlEncoding(r);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(
                "<MPList><MP Name=\"MP01\" FQDN=\"mp01.corp.cmglab.test\"><Version>9128</Version>"
                        + "<Capabilities SchemaVersion=\"1.0\"><Property Name=\"SSLState\" Value=\"0\"/>"
                        + "</Capabilities></MP></MPList>");
    }

    @Test
    void mplistParsesLikeClients() throws Exception {
        Document d = parse(responder.reply("mplist").body());
        Element root = d.getDocumentElement();
        assertThat(root.getTagName()).isEqualTo("MPList");
        Element mp = (Element) root.getElementsByTagName("MP").item(0);
        assertThat(mp.getAttribute("Name")).isEqualTo("MP01");
        assertThat(mp.getAttribute("FQDN")).isEqualTo("mp01.corp.cmglab.test");
        assertThat(mp.getElementsByTagName("Version").item(0).getTextContent()).isEqualTo("9128");
        Element prop = (Element) mp.getElementsByTagName("Property").item(0);
        assertThat(prop.getAttribute("Name")).isEqualTo("SSLState");
        assertThat(prop.getAttribute("Value")).isEqualTo("0");
    }

    @Test
    void httpsMpAdvertisesSslState1() {
        MpIdentity https = new MpIdentity(id.name(), id.fqdn(), id.siteCode(), id.version(), true,
                id.mpCertificate(), id.siteSigningCertificate(), id.unknownMachineGuidX64(), id.unknownMachineGuidX86());
        assertThat(new String(new SmsAutResponder(https).reply("MPLIST").body(), StandardCharsets.UTF_8))
                .contains("<Property Name=\"SSLState\" Value=\"1\"/>");
    }

    @ParameterizedTest
    @ValueSource(strings = {"MPLIST1&P01", "MPLIST2&P01", "mplist2&p01", "MPLIST1", "MpList2&%50%30%31"})
    void mplist1And2ForOwnSiteCarrySiteCode(String q) throws Exception {
        MpReply r = responder.reply(q);
        assertPlainXmlEncoding(r);
        Element mp = (Element) parse(r.body()).getElementsByTagName("MP").item(0);
        assertThat(mp.getAttribute("SiteCode")).isEqualTo("P01");
        assertThat(mp.getAttribute("FQDN")).isEqualTo("mp01.corp.cmglab.test");
    }

    @Test
    void mplist2ForOtherSiteIsEmptyList() {
        MpReply r = responder.reply("MPLIST2&XYZ");
        assertPlainXmlEncoding(r);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("<MPList></MPList>");
    }

    private static X509Certificate decodeHexCert(String hex) throws Exception {
        byte[] der = HexFormat.of().parseHex(hex);
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
    }

    @Test
    void mpcertIsUppercaseHexDer() throws Exception {
        MpReply r = responder.reply("MPCERT");
        assertPlainXmlEncoding(r);
        Document d = parse(r.body());
        assertThat(d.getDocumentElement().getTagName()).isEqualTo("MPCERT");
        String hex = d.getElementsByTagName("X509Certificate").item(0).getTextContent();
        assertThat(hex).matches("[0-9A-F]+");
        assertThat(decodeHexCert(hex).getEncoded()).isEqualTo(id.mpCertificate().getEncoded());
    }

    @Test
    void sitesigncertIsUppercaseHexDer() throws Exception {
        MpReply r = responder.reply("sitesigncert");
        assertPlainXmlEncoding(r);
        Document d = parse(r.body());
        assertThat(d.getDocumentElement().getTagName()).isEqualTo("MPSITESIGNCERT");
        String hex = d.getElementsByTagName("X509Certificate").item(0).getTextContent();
        assertThat(hex.length() % 2).isZero();
        assertThat(hex.length()).isGreaterThanOrEqualTo(20);
        X509Certificate c = decodeHexCert(hex);
        assertThat(c.getEncoded()).isEqualTo(id.siteSigningCertificate().getEncoded());
        assertThat(c.getIssuerX500Principal().getName()).isEqualTo("CN=Site Server");
    }

    @Test
    void mpkeyinformationHasFqdnAndSitecodeAsDirectChildren() throws Exception {
        MpReply r = responder.reply("MPKEYINFORMATION");
        assertPlainXmlEncoding(r);
        Element root = parse(r.body()).getDocumentElement();
        assertThat(root.getTagName()).isEqualTo("MPKEYINFORMATION");
        assertThat(child(root, "FQDN").getTextContent()).isEqualTo("mp01.corp.cmglab.test");
        assertThat(child(root, "SITECODE").getTextContent()).isEqualTo("P01");
        assertThat(decodeHexCert(child(root, "SITESIGNCERT").getTextContent()).getEncoded())
                .isEqualTo(id.siteSigningCertificate().getEncoded());
    }

    @Test
    void mpkeyinformationmediaMatchesPxeThiefParse() throws Exception {
        MpReply r = responder.reply("MPKEYINFORMATIONMEDIA");
        assertPlainXmlEncoding(r);
        Element root = parse(r.body()).getDocumentElement();
        // PXEThief: root.find("UnknownMachines").get("x64UnknownMachineGUID"); root.find("SITECODE").text
        Element um = child(root, "UnknownMachines");
        assertThat(um.getAttribute("x64UnknownMachineGUID")).isEqualTo(id.unknownMachineGuidX64());
        assertThat(um.getAttribute("x86UnknownMachineGUID")).isEqualTo(id.unknownMachineGuidX86());
        assertThat(child(root, "SITECODE").getTextContent()).isEqualTo("P01");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "NOPE", "SMSTRC", "MPLISTX", "MPKEYINFORMATIONEX"})
    void unknownQueryIs404(String q) {
        MpReply r = responder.reply(q);
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.reasonPhrase()).isEqualTo("Not Found");
        assertThat(r.contentType()).isEqualTo("text/html; charset=us-ascii");
        assertThat(new String(r.body(), StandardCharsets.US_ASCII)).contains("HTTP Error 404");
    }

    @Test
    void nullQueryIs404() {
        assertThat(responder.reply(null).status()).isEqualTo(404);
    }

    @Test
    void xmlSpecialCharactersAreEscaped() {
        MpIdentity odd = new MpIdentity("A&B", "x\"<y>.test", "P01", 1, false,
                id.mpCertificate(), id.siteSigningCertificate(), "g1", "g2");
        String s = new String(new SmsAutResponder(odd).reply("MPLIST").body(), StandardCharsets.UTF_8);
        assertThat(s).contains("Name=\"A&amp;B\"", "FQDN=\"x&quot;&lt;y&gt;.test\"");
    }

    @Test
    void replyBodyIsDefensivelyCopied() {
        MpReply r = responder.reply("MPLIST");
        r.body()[0] = 'X';
        assertThat(r.body()[0]).isEqualTo((byte) '<');
    }

    private static Element child(Element parent, String name) {
        for (var n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        throw new AssertionError("no direct child <" + name + "> in <" + parent.getTagName() + ">");
    }
}
