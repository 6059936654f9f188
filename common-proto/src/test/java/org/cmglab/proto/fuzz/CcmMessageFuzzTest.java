package org.cmglab.proto.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import org.cmglab.proto.ccm.CcmFormatException;
import org.cmglab.proto.ccm.CcmMessage;
import org.cmglab.proto.ccm.CcmMsgHeader;
import org.cmglab.proto.ccm.CcmMultipart;
import org.cmglab.proto.ccm.SafeXml;
import org.cmglab.proto.ccm.Zlib;

/**
 * Fuzz targets of the MP messaging parsers: any input either parses or is refused with {@link CcmFormatException}
 * (which the MP answers with a 4xx); anything else (NPE, index errors, OOM, stack overflow) is a finding. Seeds:
 * {@code src/test/resources/org/cmglab/proto/fuzz/CcmMessageFuzzTestInputs/<method>/}. Regression mode (the default)
 * runs the seeds; {@code JAZZER_FUZZ=1} fuzzes (docs/reliability.md "Fuzzing").
 */
class CcmMessageFuzzTest {
    static final CcmMessage.Limits LIMITS = new CcmMessage.Limits(256 << 10, 1 << 20, 64 << 10);

    /** A whole CcmMessaging body (multipart + header XML + zlib + UTF-16 body XML). */
    @FuzzTest(maxDuration = "1m")
    void ccmMessage(byte[] data) {
        try {
            CcmMessage m = CcmMessage.decode(CcmMultipart.CONTENT_TYPE, data, LIMITS);
            m.bodyForLog(200);
            if (!m.bodyXml().isEmpty()) {
                SafeXml.parse(m.bodyXml());
            }
        } catch (CcmFormatException expected) {
            // refused with a reason: the MP answers 4xx
        }
    }

    /** The multipart framing with a fuzzed Content-Type (boundary parameter parsing). */
    @FuzzTest(maxDuration = "1m")
    void multipart(FuzzedDataProvider data) {
        String contentType = data.consumeString(200);
        byte[] body = data.consumeRemainingAsBytes();
        try {
            CcmMultipart.parse(contentType, body);
        } catch (CcmFormatException expected) {
            // refused
        }
    }

    /** The header XML ({@code <Msg>…}) and the generic XML parser (XXE, entities, depth). */
    @FuzzTest(maxDuration = "1m")
    void headerXml(byte[] data) {
        String xml = new String(data, StandardCharsets.UTF_8);
        try {
            CcmMsgHeader.parse(xml);
        } catch (CcmFormatException expected) {
            // refused
        }
    }

    /** zlib with a small output cap (bombs, truncation, dictionaries). */
    @FuzzTest(maxDuration = "1m")
    void zlib(byte[] data) {
        try {
            byte[] out = Zlib.decompress(data, 64 << 10);
            if (out.length > 64 << 10) {
                throw new AssertionError("inflated past the cap: " + out.length);
            }
        } catch (CcmFormatException expected) {
            // refused
        }
    }
}
