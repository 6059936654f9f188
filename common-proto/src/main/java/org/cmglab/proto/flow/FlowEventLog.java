package org.cmglab.proto.flow;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.cmglab.proto.runtime.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a component records its flow events: a bounded in-memory ring (served on the admin endpoint's
 * {@code /events}), an optional JSON-lines file in the lab log folder, and live listeners.
 */
public final class FlowEventLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FlowEventLog.class);
    private static final int CAPACITY = 10_000;

    private final String component;
    private final ArrayDeque<FlowEvent> ring = new ArrayDeque<>();
    private final List<Consumer<FlowEvent>> listeners = new CopyOnWriteArrayList<>();
    private final BufferedWriter file;
    private boolean closed;

    public FlowEventLog(String component, Path jsonlFileOrNull) {
        this.component = component;
        BufferedWriter w = null;
        if (jsonlFileOrNull != null) {
            try {
                Files.createDirectories(jsonlFileOrNull.toAbsolutePath().getParent());
                w = Files.newBufferedWriter(jsonlFileOrNull, StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                log.warn("flow events will not be written to {}: {}", jsonlFileOrNull, e.toString());
            }
        }
        this.file = w;
    }

    public String component() {
        return component;
    }

    /** Starts an event of this component; finish it with {@link Builder#emit()}. */
    public Builder event(String step, String phase) {
        return new Builder(this, step, phase);
    }

    public void record(FlowEvent e) {
        synchronized (ring) {
            if (ring.size() == CAPACITY) {
                ring.removeFirst();
            }
            ring.addLast(e);
            if (file != null && !closed) {
                try {
                    file.write(Json.writeCompact(e));
                    file.write('\n');
                    file.flush();
                } catch (IOException ex) {
                    log.warn("cannot append flow event: {}", ex.toString());
                }
            }
        }
        for (Consumer<FlowEvent> l : listeners) {
            try {
                l.accept(e);
            } catch (RuntimeException ex) {
                log.warn("flow event listener failed: {}", ex.toString());
            }
        }
    }

    /** Events recorded so far (oldest first), only those of {@code traceId} when it is not null. */
    public List<FlowEvent> snapshot(String traceIdOrNull) {
        List<FlowEvent> out = new ArrayList<>();
        synchronized (ring) {
            for (FlowEvent e : ring) {
                if (traceIdOrNull == null || traceIdOrNull.equals(e.traceId())) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    /** Closes the JSON-lines file; the in-memory ring stays readable. */
    @Override
    public void close() {
        synchronized (ring) {
            closed = true;
            if (file != null) {
                try {
                    file.close();
                } catch (IOException e) {
                    log.warn("cannot close the flow event file: {}", e.toString());
                }
            }
        }
    }

    public void addListener(Consumer<FlowEvent> listener) {
        listeners.add(listener);
    }

    public void removeListener(Consumer<FlowEvent> listener) {
        listeners.remove(listener);
    }

    /** Fluent builder for one event. */
    public static final class Builder {
        private final FlowEventLog sink;
        private final String step;
        private final String phase;
        private String traceId;
        private String from;
        private String to;
        private String protocol;
        private int port;
        private String auth;
        private String outcome = "ok";
        private int status;
        private double latencyMs;
        private String detail;

        private Builder(FlowEventLog sink, String step, String phase) {
            this.sink = sink;
            this.step = step;
            this.phase = phase;
        }

        public Builder trace(String id) { this.traceId = id; return this; }
        public Builder from(String v) { this.from = v; return this; }
        public Builder to(String v) { this.to = v; return this; }
        public Builder protocol(String v) { this.protocol = v; return this; }
        public Builder port(int v) { this.port = v; return this; }
        public Builder auth(String v) { this.auth = v; return this; }
        public Builder outcome(String v) { this.outcome = v; return this; }
        public Builder status(int v) { this.status = v; return this; }
        public Builder detail(String v) { this.detail = org.cmglab.proto.log.Redact.text(v); return this; }

        public Builder latencyNanos(long nanos) {
            this.latencyMs = Math.round(nanos / 10_000.0) / 100.0;
            return this;
        }

        public FlowEvent emit() {
            FlowEvent e = new FlowEvent(Instant.now().toString(), traceId, step, phase, sink.component, from, to,
                    protocol, port, auth, outcome, status, latencyMs, detail);
            sink.record(e);
            return e;
        }
    }
}
