package org.cmglab.client;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** Reads the MPs of a {@code .sms_aut?MPLIST} reply: {@code <MPList><MP Name=".." FQDN="..">..</MP></MPList>}. */
final class MpListParser {
    private MpListParser() {}

    /** @throws IllegalArgumentException when the body is not an {@code MPList} document */
    static List<MpListResult.Mp> parse(byte[] body) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(null);
            Element root = b.parse(new ByteArrayInputStream(body)).getDocumentElement();
            if (!"MPList".equals(root.getTagName())) {
                throw new IllegalArgumentException("root element " + root.getTagName() + " (expected: MPList)");
            }
            List<MpListResult.Mp> out = new ArrayList<>();
            NodeList mps = root.getElementsByTagName("MP");
            for (int i = 0; i < mps.getLength(); i++) {
                Element mp = (Element) mps.item(i);
                out.add(new MpListResult.Mp(mp.getAttribute("Name"), mp.getAttribute("FQDN")));
            }
            return out;
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalArgumentException("not an MPLIST reply: " + e.getMessage(), e);
        }
    }
}
