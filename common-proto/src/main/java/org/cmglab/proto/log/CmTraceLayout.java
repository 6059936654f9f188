package org.cmglab.proto.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Formats log events the way Configuration Manager components write their logs, so CMTrace and OneTrace open
 * them: {@code <![LOG[text]LOG]!><time="HH:mm:ss.SSS+000" date="MM-dd-yyyy" component="X" context="" type="1"
 * thread="N" file="">}. Times are UTC (bias +000); type 1 = info, 2 = warning, 3 = error.
 */
public final class CmTraceLayout extends LayoutBase<ILoggingEvent> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("MM-dd-yyyy").withZone(ZoneOffset.UTC);

    private String component = "CMGLab";

    public void setComponent(String component) {
        this.component = component;
    }

    @Override
    public String doLayout(ILoggingEvent e) {
        Instant t = Instant.ofEpochMilli(e.getTimeStamp());
        String text = Redact.text(e.getFormattedMessage());
        if (e.getThrowableProxy() != null) {
            text = text + "\n" + ThrowableProxyUtil.asString(e.getThrowableProxy());
        }
        int type = e.getLevel().isGreaterOrEqual(Level.ERROR) ? 3 : e.getLevel().isGreaterOrEqual(Level.WARN) ? 2 : 1;
        return "<![LOG[" + text.replace("]LOG]!>", "]LOG]!") + "]LOG]!><time=\"" + TIME.format(t) + "+000\" date=\""
                + DATE.format(t) + "\" component=\"" + component + "\" context=\"\" type=\"" + type + "\" thread=\""
                + Thread.currentThread().getId() + "\" file=\"" + shortLogger(e.getLoggerName()) + "\">\r\n";
    }

    private static String shortLogger(String name) {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? name : name.substring(dot + 1);
    }
}
