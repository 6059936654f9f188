package org.cmglab.lab.dashboard;

import java.io.IOException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.cmglab.proto.flow.FlowEvent;
import org.cmglab.proto.runtime.Json;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import org.cmglab.lab.HopTrace;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows every {@code flow-*.jsonl} file of the lab log folder (one JSON {@link FlowEvent} per line, appended by
 * each component's {@code FlowEventLog}) on one background thread with a bounded poll, and hands each poll's new
 * events to a sink, ordered by time (then by flow order for equal times), so events of several processes arrive in
 * the order they happened.
 *
 * <p>It copes with what a running lab does to those files: new files appear (a component starts), the last line is
 * still being written (kept until its newline arrives), a file is truncated or deleted and recreated (a restarted
 * component; read again from its start). A line that is not a flow event is logged and skipped; a line longer than
 * {@link #MAX_LINE} is dropped. A file that is already large when first seen is read from its last
 * {@link #INITIAL_TAIL} bytes only, so memory stays bounded.
 */
final class FlowFileTailer implements AutoCloseable {
    static final int MAX_LINE = 32 * 1024;
    static final long INITIAL_TAIL = 1024 * 1024;
    static final int MAX_FILES = 256;
    private static final int READ_CHUNK = 64 * 1024;
    private static final Logger log = LoggerFactory.getLogger(FlowFileTailer.class);
    /** Tolerates fields a newer component may add to the event. */
    private static final ObjectReader EVENT_READER = Json.MAPPER.readerFor(FlowEvent.class)
            .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Path dir;
    private final Consumer<List<FlowEvent>> sink;
    private final Duration poll;
    private final Map<Path, FileState> files = new HashMap<>();
    private final CountDownLatch stop = new CountDownLatch(1);
    private Thread thread;
    private long skippedLines;

    FlowFileTailer(Path dir, Consumer<List<FlowEvent>> sink, Duration poll) {
        this.dir = Objects.requireNonNull(dir, "dir");
        this.sink = Objects.requireNonNull(sink, "sink");
        if (poll.isNegative() || poll.isZero() || poll.compareTo(Duration.ofSeconds(10)) > 0) {
            throw new IllegalArgumentException("poll: " + poll + " (expected: > 0 and <= 10 s)");
        }
        this.poll = poll;
    }

    /** Starts the polling thread ({@code dashboard-flow-tailer}, a daemon). */
    synchronized void start() {
        if (thread != null) {
            throw new IllegalStateException("already started");
        }
        thread = new Thread(this::loop, "dashboard-flow-tailer");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        try {
            do {
                try {
                    pollOnce();
                } catch (RuntimeException e) {
                    log.warn("reading flow events from {} failed: {}", dir, e.toString());
                }
            } while (!stop.await(poll.toMillis(), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One poll: reads what was appended to every flow file since the last poll; returns the number of events. */
    synchronized int pollOnce() {
        List<FlowEvent> batch = new ArrayList<>();
        List<Path> present = listFlowFiles();
        files.keySet().retainAll(present);
        for (Path f : present) {
            FileState st = files.computeIfAbsent(f, FileState::new);
            try {
                st.read(batch);
            } catch (NoSuchFileException e) {
                files.remove(f);
            } catch (IOException e) {
                log.warn("cannot read flow events from {}: {}", f, e.toString());
            }
        }
        if (batch.isEmpty()) {
            return 0;
        }
        batch.sort(Comparator.comparing((FlowEvent e) -> instant(e.time()))
                .thenComparingInt(FlowFileTailer::flowRank));
        sink.accept(batch);
        return batch.size();
    }

    /** The event's time (Instant.toString has 0, 3, 6 or 9 fraction digits: compare instants, not text). */
    static Instant instant(String time) {
        if (time == null) {
            return Instant.EPOCH;
        }
        try {
            return Instant.parse(time);
        } catch (DateTimeParseException e) {
            return Instant.EPOCH;
        }
    }

    /** Position of an event in the basic flow (F3 req … F3 resp), for events with the same time; others last. */
    static int flowRank(FlowEvent e) {
        for (int i = 0; i < HopTrace.BASIC_FLOW.size(); i++) {
            HopTrace.Hop h = HopTrace.BASIC_FLOW.get(i);
            if (h.step().equals(e.step()) && h.phase().equals(e.phase())) {
                return i;
            }
        }
        return HopTrace.BASIC_FLOW.size();
    }

    /** Lines skipped because they were not flow events or were too long (for tests and status). */
    synchronized long skippedLines() {
        return skippedLines;
    }

    private List<Path> listFlowFiles() {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "flow-*.jsonl")) {
            for (Path p : ds) {
                if (out.size() == MAX_FILES) {
                    log.warn("more than {} flow files in {}; the others are not followed", MAX_FILES, dir);
                    break;
                }
                if (Files.isRegularFile(p)) {
                    out.add(p);
                }
            }
        } catch (IOException e) {
            log.warn("cannot list {}: {}", dir, e.toString());
        }
        out.sort(null);
        return out;
    }

    @Override
    public void close() {
        stop.countDown();
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Where we are in one file. */
    private final class FileState {
        private final Path path;
        private Object fileKey;
        private long position = -1;
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        private boolean discarding;

        FileState(Path path) {
            this.path = path;
        }

        void read(List<FlowEvent> out) throws IOException {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
            Object key = a.fileKey();
            long size = a.size();
            if (position < 0) {
                position = Math.max(0, size - INITIAL_TAIL);
                discarding = position > 0; // started mid-file: skip up to the next line start
                fileKey = key;
            } else if (!Objects.equals(key, fileKey) || size < position) {
                log.info("{} was {}; reading it again from the start", path.getFileName(),
                        Objects.equals(key, fileKey) ? "truncated" : "recreated");
                fileKey = key;
                position = 0;
                partial.reset();
                discarding = false;
            }
            if (size == position) {
                return;
            }
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                ByteBuffer buf = ByteBuffer.allocate(READ_CHUNK);
                long end = ch.size();
                while (position < end) {
                    buf.clear();
                    int n = ch.read(buf, position);
                    if (n <= 0) {
                        break;
                    }
                    position += n;
                    consume(buf.array(), n, out);
                }
            }
        }

        private void consume(byte[] bytes, int n, List<FlowEvent> out) {
            int start = 0;
            for (int i = 0; i < n; i++) {
                if (bytes[i] != '\n') {
                    continue;
                }
                if (!discarding) {
                    partial.write(bytes, start, i - start);
                    if (partial.size() <= MAX_LINE) {
                        parse(partial.toString(StandardCharsets.UTF_8), out);
                    } else {
                        tooLong();
                    }
                }
                partial.reset();
                discarding = false;
                start = i + 1;
            }
            if (!discarding && start < n) {
                partial.write(bytes, start, n - start);
                if (partial.size() > MAX_LINE) {
                    tooLong();
                    partial.reset();
                    discarding = true;
                }
            }
        }

        private void tooLong() {
            skippedLines++;
            log.warn("{}: a line longer than {} bytes was skipped", path.getFileName(), MAX_LINE);
        }

        private void parse(String line, List<FlowEvent> out) {
            String s = line.strip();
            if (s.isEmpty()) {
                return;
            }
            try {
                out.add(EVENT_READER.readValue(s));
            } catch (IOException | RuntimeException e) {
                skippedLines++;
                log.warn("{}: skipped a line that is not a flow event ({}): {}", path.getFileName(),
                        e.getClass().getSimpleName(), s.length() > 120 ? s.substring(0, 120) + "…" : s);
            }
        }
    }
}
