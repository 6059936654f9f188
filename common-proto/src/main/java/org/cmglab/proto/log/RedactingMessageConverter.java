package org.cmglab.proto.log;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/** {@code %msg} with secrets removed ({@link Redact}); registered for {@code %msg} in logback.xml. */
public final class RedactingMessageConverter extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
        return Redact.text(event.getFormattedMessage());
    }
}
