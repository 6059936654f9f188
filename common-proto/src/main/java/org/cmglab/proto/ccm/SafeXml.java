package org.cmglab.proto.ccm;

import java.io.StringReader;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * XML parsing for untrusted messages: DOCTYPE declarations are refused outright, external entities, external
 * DTDs/schemas and XInclude are off, secure processing on (entity expansion limits), so XXE and
 * billion-laughs inputs fail with {@link CcmFormatException.Reason#BAD_XML}.
 */
public final class SafeXml {
    private SafeXml() {}

    /** The deepest element nesting accepted. */
    public static final int MAX_DEPTH = 256;

    private static final ThreadLocal<DocumentBuilder> BUILDER = ThreadLocal.withInitial(SafeXml::newBuilder);

    static DocumentBuilder newBuilder() {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            // bounded nesting: a deeply nested body (100 000 levels) would later overflow the stack of recursive
            // DOM walks such as getTextContent(); CCM messages and policies nest a few dozen levels at most
            f.setAttribute("http://www.oracle.com/xml/jaxp/properties/maxElementDepth", String.valueOf(MAX_DEPTH));
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            f.setNamespaceAware(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(null);
            b.setEntityResolver((publicId, systemId) -> {
                throw new SAXException("external entity " + systemId + " refused");
            });
            return b;
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("XML parser lacks a security feature: " + e.getMessage(), e);
        }
    }

    /** Parses {@code xml} (a leading BOM or NULs at the end are ignored). */
    public static Document parse(String xml) {
        String s = Utf16.stripTerminator(xml.startsWith("\uFEFF") ? xml.substring(1) : xml);
        // the parser rejects an encoding="utf-16" declaration on a character stream? No: it is ignored for readers.
        DocumentBuilder b = BUILDER.get();
        try {
            b.reset();
            b.setErrorHandler(null);
            b.setEntityResolver((publicId, systemId) -> {
                throw new SAXException("external entity " + systemId + " refused");
            });
            return b.parse(new InputSource(new StringReader(s)));
        } catch (SAXException | java.io.IOException e) {
            throw new CcmFormatException(CcmFormatException.Reason.BAD_XML, "bad XML: " + e.getMessage(), e);
        }
    }

    /** First descendant element named {@code name} (any depth), or null. */
    public static Element first(Element parent, String name) {
        NodeList nl = parent.getElementsByTagName(name);
        return nl.getLength() == 0 ? null : (Element) nl.item(0);
    }

    /** First direct child element named {@code name}, or null. */
    public static Element child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        return null;
    }

    /** Text of the direct child {@code name}, trimmed, or null. */
    public static String childText(Element parent, String name) {
        Element e = child(parent, name);
        return e == null ? null : e.getTextContent().trim();
    }

    /** XML-escapes text or an attribute value. */
    public static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&apos;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
