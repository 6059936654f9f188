package org.cmglab.proto.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Collects Netty's {@code LEAK:} reports (logger {@code io.netty.util.ResourceLeakDetector}) while a test runs; the
 * tests run with {@code -Dio.netty.leakDetection.level=paranoid}, so every leaked buffer is tracked. {@link #leaks()}
 * provokes a GC and a few allocations first, which is when the detector reports what was collected unreleased.
 */
public final class LeakWatch implements AutoCloseable {
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger("io.netty.util.ResourceLeakDetector");

    public LeakWatch() {
        appender.start();
        logger.addAppender(appender);
    }

    /** The LEAK reports seen so far (after a GC and allocations that make the detector report). */
    public List<String> leaks() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            System.runFinalization();
            for (int j = 0; j < 64; j++) {
                ByteBuf a = PooledByteBufAllocator.DEFAULT.buffer(16);
                ByteBuf b = UnpooledByteBufAllocator.DEFAULT.buffer(16);
                a.release();
                b.release();
            }
        }
        synchronized (appender.list) {
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("LEAK")).toList();
        }
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
