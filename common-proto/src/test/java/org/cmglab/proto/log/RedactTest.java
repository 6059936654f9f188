package org.cmglab.proto.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Secrets never reach a log line or a flow event: tokens, SAS/content signatures, client secrets, account keys. */
class RedactTest {
    static final String JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJHVUlEOjEifQ.c2lnbmF0dXJlLWJ5dGVz";

    @Test
    void removesSignaturesTokensAndSecrets() {
        assertThat(Redact.text("GET /downloadrestservice.svc/getcontentxmlsecure?pid=P01&cid=P01.1&sig=AbC-123_xyz"))
                .isEqualTo("GET /downloadrestservice.svc/getcontentxmlsecure?pid=P01&cid=P01.1&sig=REDACTED");
        assertThat(Redact.text("https://gf.blob.core.windows.net/c/x.bin?sv=2024&sp=r&sig=a%2Bb%3D&se=2026"))
                .isEqualTo("https://gf.blob.core.windows.net/c/x.bin?sv=2024&sp=r&sig=REDACTED&se=2026");
        assertThat(Redact.text("Authorization: Bearer abcdefgh12345678")).isEqualTo("Authorization: Bearer REDACTED");
        assertThat(Redact.text("token " + JWT + " refused")).isEqualTo("token eyJ…REDACTED refused").doesNotContain("c2ln");
        assertThat(Redact.text("grant_type=client_credentials&client_id=a&client_secret=s3cr3t"))
                .isEqualTo("grant_type=client_credentials&client_id=a&client_secret=REDACTED");
        assertThat(Redact.text("DefaultEndpointsProtocol=https;AccountName=gf;AccountKey=QUJD==;BlobEndpoint=x"))
                .isEqualTo("DefaultEndpointsProtocol=https;AccountName=gf;AccountKey=REDACTED;BlobEndpoint=x");
        // what is not secret stays, so the line still says which request it was
        assertThat(Redact.text("GET /CCM_Proxy_MutualAuth/72057594037927939/SMS_MP/.sms_aut?MPLIST"))
                .isEqualTo("GET /CCM_Proxy_MutualAuth/72057594037927939/SMS_MP/.sms_aut?MPLIST");
        assertThat(Redact.text("WWW-Authenticate: Bearer authorization_uri=\"https://login\"")).contains("authorization_uri");
        assertThat(Redact.text(null)).isNull();
    }

    @Test
    void theCmTraceLayoutAndThePlainPatternRedact() {
        LoggerContext lc = (LoggerContext) LoggerFactory.getILoggerFactory();
        LoggingEvent e = new LoggingEvent("x", lc.getLogger("test"), Level.WARN, "refused {} with {}", null,
                new Object[] {"/x?sig=SECRETSIG", "Bearer SECRETBEARER"});
        CmTraceLayout cm = new CmTraceLayout();
        cm.setContext(lc);
        cm.start();
        assertThat(cm.doLayout(e)).contains("sig=REDACTED").doesNotContain("SECRETSIG").doesNotContain("SECRETBEARER");
        ch.qos.logback.classic.PatternLayout plain = new ch.qos.logback.classic.PatternLayout();
        plain.setContext(lc);
        plain.setPattern("%msg");
        plain.start();
        assertThat(plain.doLayout(e)).isEqualTo("refused /x?sig=REDACTED with Bearer REDACTED");
    }

    @Test
    void flowEventDetailsAreRedacted() {
        var log = new org.cmglab.proto.flow.FlowEventLog("t", null);
        log.event("F3", "request").trace("0af7651916cd43dd8448eb211c80319c").detail("GET /c?sig=SECRET").emit();
        assertThat(log.snapshot(null)).singleElement().satisfies(ev -> assertThat(ev.detail()).isEqualTo("GET /c?sig=REDACTED"));
    }
}
