package org.cmglab.site;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import org.cmglab.proto.flow.FlowEvent;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.flow.TraceContext;
import org.cmglab.site.mp.MpRequestRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What site-sim does with every request its MP served: an IIS-style log line (W3C fields
 * {@code cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status
 * sc-substatus sc-win32-status}), a counter, and flow event F5 (connection point → MP).
 *
 * <p>The sender is always recorded as {@code cmg-connection-point}: in the lab flow requests reach the MP only
 * through the connection point, and the forwarded request carries the client's User-Agent, so nothing on the
 * request tells a direct client apart yet.
 */
final class MpRequestObserver implements Consumer<MpRequestRecord> {
    private static final Logger log = LoggerFactory.getLogger(MpRequestObserver.class);

    static final String STEP = "F5";
    static final String FROM = "cmg-connection-point";

    private final FlowEventLog events;
    private final String to;
    private final IntSupplier port;
    private final MeterRegistry registry;
    private final AtomicLong served = new AtomicLong();

    /**
     * @param events   where F5 events go
     * @param mpName   NetBIOS name of the MP (the event's {@code to} is {@code site-sim/<mpName>})
     * @param port     the MP's listening port (read per request: it is known only after binding)
     * @param registry meter registry for {@code cmglab.mp.requests}
     */
    MpRequestObserver(FlowEventLog events, String mpName, IntSupplier port, MeterRegistry registry) {
        this.events = Objects.requireNonNull(events, "events");
        this.to = "site-sim/" + Objects.requireNonNull(mpName, "mpName");
        this.port = Objects.requireNonNull(port, "port");
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    long served() {
        return served.get();
    }

    @Override
    public void accept(MpRequestRecord r) {
        served.incrementAndGet();
        Counter.builder("cmglab.mp.requests").description("requests served by the emulated MP")
                .tag("status", Integer.toString(r.status())).register(registry).increment();
        log.info(iisLine(r, port.getAsInt()));
        toEvent(r);
    }

    FlowEvent toEvent(MpRequestRecord r) {
        int status = r.status();
        return events.event(STEP, "request")
                .trace(TraceContext.traceId(header(r.headers(), TraceContext.HEADER)))
                .from(FROM)
                .to(to)
                .protocol(r.tls() ? "HTTPS" : "HTTP")
                .port(port.getAsInt())
                .auth(r.tls() ? "server-auth TLS (anonymous .sms_aut)" : "anonymous")
                .status(status)
                .outcome(status < 400 ? "ok" : "http-" + status)
                .detail(r.method() + " " + r.uri())
                .emit();
    }

    /** {@code GET /SMS_MP/.sms_aut MPLIST 443 - 127.0.0.1 SMS+CCM+5.0 - 200 0 0}, as IIS writes it. */
    static String iisLine(MpRequestRecord r, int port) {
        String uri = r.uri();
        int q = uri.indexOf('?');
        String stem = q >= 0 ? uri.substring(0, q) : uri;
        String query = q >= 0 && q + 1 < uri.length() ? uri.substring(q + 1) : "-";
        String ua = header(r.headers(), "User-Agent");
        return String.join(" ", r.method(), w3c(stem), w3c(query), Integer.toString(port), "-",
                clientIp(r.remoteAddress()), w3c(ua), "-", Integer.toString(r.status()), "0", "0");
    }

    /** W3C log fields: empty is {@code -}, spaces become {@code +}. */
    private static String w3c(String v) {
        return v == null || v.isEmpty() ? "-" : v.replace(' ', '+');
    }

    private static String clientIp(String remote) {
        int colon = remote.lastIndexOf(':');
        return colon > 0 ? remote.substring(0, colon) : remote;
    }

    static String header(Map<String, String> headers, String name) {
        for (Map.Entry<String, String> e : headers.entrySet()) {
            if (e.getKey().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
                return e.getValue();
            }
        }
        return null;
    }
}
