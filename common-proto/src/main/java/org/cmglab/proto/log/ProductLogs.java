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
 * Extra CMTrace logs of one component under the product's file names, each fed by one logger: e.g. logger
 * {@code MP_RegistrationManager} → {@code MP_RegistrationManager.log}. The logger's lines still also go to the
 * component's main logs. Use it for the product logs a component has besides its main one ({@link LogSetup}).
 *
 * <pre>{@code
 * runtime.onClose(ProductLogs.attach(logDir, "CCM_STS"));   // CCM_STS.log, component CCM_STS
 * LoggerFactory.getLogger("CCM_STS").info("Issued token");
 * }</pre>
 */
public final class ProductLogs {
    private ProductLogs() {}

    /**
     * Attaches {@code <logDir>/<name>.log} (component {@code name}) to the logger {@code name}; closing the handle
     * detaches and closes it.
     */
    public static AutoCloseable attach(Path logDir, String name) {
        return attach(logDir, name, name + ".log");
    }

    /**
     * Attaches {@code <logDir>/<fileName>} (component {@code name}) to the logger {@code name}: for components that run
     * more than once in the one log folder (e.g. a CMG VM instance's {@code CMG-<service>-<role instance>-CMGSetup.log},
     * the product's synced names); closing the handle detaches and closes it.
     */
    public static AutoCloseable attach(Path logDir, String name, String fileName) {
        Objects.requireNonNull(logDir, "logDir");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(fileName, "fileName");
        LoggerContext lc = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger logger = lc.getLogger(name);
        CmTraceLayout layout = new CmTraceLayout();
        layout.setContext(lc);
        layout.setComponent(name);
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
