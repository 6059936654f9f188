package org.cmglab.proto.log;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import org.slf4j.LoggerFactory;

/**
 * A second CMTrace log of one process under another product name, fed by one logger: e.g. site-sim writes
 * {@code CCM_STS.log} from the logger {@code CCM_STS} (the lines also reach the process's main logs). Use it for
 * the product logs a component has besides its main one ({@link LogSetup}).
 *
 * <pre>{@code
 * AutoCloseable sts = ProductLog.attach(logDir, "CCM_STS", "CCM_STS.log", "CCM_STS");
 * LoggerFactory.getLogger("CCM_STS").info("Issued token");
 * }</pre>
 */
public final class ProductLog {
    private ProductLog() {}

    /** Adds a CMTrace file appender for {@code loggerName}; closing the handle detaches and closes it. */
    public static AutoCloseable attach(Path logDir, String loggerName, String fileName, String component) {
        Objects.requireNonNull(logDir, "logDir");
        LoggerContext lc = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger logger = lc.getLogger(Objects.requireNonNull(loggerName, "loggerName"));
        CmTraceLayout layout = new CmTraceLayout();
        layout.setContext(lc);
        layout.setComponent(component);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> enc = new LayoutWrappingEncoder<>();
        enc.setContext(lc);
        enc.setLayout(layout);
        enc.setCharset(StandardCharsets.UTF_8);
        enc.start();
        FileAppender<ILoggingEvent> a = new FileAppender<>();
        a.setContext(lc);
        a.setName(fileName);
        a.setFile(logDir.resolve(fileName).toString());
        a.setAppend(true);
        a.setEncoder(enc);
        a.start();
        logger.addAppender(a);
        return () -> {
            logger.detachAppender(a);
            a.stop();
        };
    }
}
