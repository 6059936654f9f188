package org.cmglab.proto.log;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Adds a component's two log files to the console logging of {@code logback.xml}: a plain text log and the
 * CMTrace-format log under the product's file name (e.g. {@code CMGService.log}), both in the lab log folder.
 */
public final class LogSetup {
    private LogSetup() {}

    /** Adds the two file appenders; closing the returned handle detaches and closes them. */
    public static AutoCloseable configure(Path logDir, String plainName, String cmtraceFileName, String cmtraceComponent) {
        LoggerContext lc = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = lc.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

        PatternLayoutEncoder plain = new PatternLayoutEncoder();
        plain.setContext(lc);
        plain.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSS'Z',UTC} %-5level [%thread] %logger{20} - %msg%n");
        plain.setCharset(StandardCharsets.UTF_8);
        plain.start();
        FileAppender<ILoggingEvent> plainFile = file(lc, logDir.resolve(plainName + ".log"), plain);
        root.addAppender(plainFile);

        CmTraceLayout layout = new CmTraceLayout();
        layout.setContext(lc);
        layout.setComponent(cmtraceComponent);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> cm = new LayoutWrappingEncoder<>();
        cm.setContext(lc);
        cm.setLayout(layout);
        cm.setCharset(StandardCharsets.UTF_8);
        cm.start();
        FileAppender<ILoggingEvent> cmFile = file(lc, logDir.resolve(cmtraceFileName), cm);
        root.addAppender(cmFile);
        return () -> {
            for (FileAppender<ILoggingEvent> a : java.util.List.of(plainFile, cmFile)) {
                root.detachAppender(a);
                a.stop();
            }
        };
    }

    private static FileAppender<ILoggingEvent> file(LoggerContext lc, Path path,
                                                    ch.qos.logback.core.encoder.Encoder<ILoggingEvent> enc) {
        FileAppender<ILoggingEvent> a = new FileAppender<>();
        a.setContext(lc);
        a.setName(path.getFileName().toString());
        a.setFile(path.toString());
        a.setAppend(true);
        a.setEncoder(enc);
        a.start();
        return a;
    }
}
