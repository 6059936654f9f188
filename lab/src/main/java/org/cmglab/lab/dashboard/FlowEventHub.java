package org.cmglab.lab.dashboard;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.cmglab.proto.flow.FlowEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard's flow events: numbers each event the tailer publishes ({@code id} 1, 2, … — the SSE {@code id:} and
 * the {@code since} of {@code /api/events}), keeps the last {@code capacity} in a ring, and fans them out to the
 * subscribed browser streams. A new subscriber gets the recent events (or those after its {@code Last-Event-ID})
 * before any live one: subscribing and publishing hold the same lock, and the replay is handed over inside it.
 *
 * <p>Memory is bounded by the ring and by the subscribers themselves (each drops itself when its connection cannot
 * keep up, {@link SseStream}); the number of subscribers is capped.
 */
final class FlowEventHub {
    private static final Logger log = LoggerFactory.getLogger(FlowEventHub.class);

    /** One numbered event. */
    record Entry(long id, FlowEvent event) {}

    /** A live stream of events. */
    interface Subscriber {
        /** Hands over events in order; false when the subscriber is gone (or dropped itself) and must be removed. */
        boolean deliver(List<Entry> entries);
    }

    private final int capacity;
    private final int maxSubscribers;
    private final ArrayDeque<Entry> ring;
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private long lastId;

    FlowEventHub(int capacity, int maxSubscribers) {
        if (capacity < 1 || capacity > 100_000) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: 1..100000)");
        }
        if (maxSubscribers < 1) {
            throw new IllegalArgumentException("maxSubscribers: " + maxSubscribers + " (expected: >= 1)");
        }
        this.capacity = capacity;
        this.maxSubscribers = maxSubscribers;
        this.ring = new ArrayDeque<>(Math.min(capacity, 1024));
    }

    /** Numbers {@code events}, keeps them and delivers them to every subscriber. */
    synchronized void publish(List<FlowEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        List<Entry> batch = new ArrayList<>(events.size());
        for (FlowEvent e : events) {
            Entry en = new Entry(++lastId, e);
            batch.add(en);
            if (ring.size() == capacity) {
                ring.removeFirst();
            }
            ring.addLast(en);
        }
        for (Subscriber s : subscribers) {
            boolean keep;
            try {
                keep = s.deliver(batch);
            } catch (RuntimeException ex) {
                log.warn("flow event subscriber failed, removed: {}", ex.toString());
                keep = false;
            }
            if (!keep) {
                subscribers.remove(s);
            }
        }
    }

    /**
     * The kept events with an id above {@code afterId}, at most the last {@code max} of them (oldest first).
     * {@code afterId} 0 means all kept events.
     */
    synchronized List<Entry> since(long afterId, int max) {
        ArrayDeque<Entry> out = new ArrayDeque<>();
        Iterator<Entry> it = ring.descendingIterator();
        while (it.hasNext() && out.size() < max) {
            Entry e = it.next();
            if (e.id() <= afterId) {
                break;
            }
            out.addFirst(e);
        }
        return new ArrayList<>(out);
    }

    /**
     * Subscribes {@code s}: hands it the events after {@code lastEventId} (when it is not null and still kept, else
     * the last {@code replay} events) and then every new one.
     *
     * @throws IllegalStateException when {@code maxSubscribers} streams are open already
     */
    synchronized void subscribe(Subscriber s, Long lastEventId, int replay) {
        if (subscribers.size() >= maxSubscribers) {
            throw new IllegalStateException("too many event streams open (" + maxSubscribers + ")");
        }
        List<Entry> first;
        if (lastEventId != null && lastEventId <= lastId && (ring.isEmpty() || lastEventId >= ring.peekFirst().id() - 1)) {
            first = since(lastEventId, capacity);
        } else {
            first = since(0, replay);
        }
        if (first.isEmpty() || s.deliver(first)) {
            subscribers.add(s);
        }
    }

    void unsubscribe(Subscriber s) {
        subscribers.remove(s);
    }

    int subscriberCount() {
        return subscribers.size();
    }

    synchronized long lastId() {
        return lastId;
    }
}
