package org.cmglab.proto.flow;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/**
 * One hop of a numbered data flow (F1–F5, C1–C6), as printed by the lab's trace and drawn by the dashboard.
 *
 * @param time      ISO-8601 instant the hop completed (or was refused)
 * @param traceId   W3C trace id (32 hex) that ties the hops of one client request together
 * @param step      flow step id, e.g. {@code F3}
 * @param phase     {@code request} (towards the MP) or {@code response} (back towards the client), or {@code event}
 * @param component the component that observed the hop
 * @param from      the sending side, e.g. {@code client-sim}
 * @param to        the receiving side, e.g. {@code cmg-service/0}
 * @param protocol  e.g. {@code HTTPS}, {@code TCP-TLS}, {@code HTTP/2 over HTTPS channel}
 * @param port      the destination port of the hop
 * @param auth      authentication mode of the hop, e.g. {@code PKI client certificate}
 * @param outcome   {@code ok} or a short failure word
 * @param status    HTTP status where there is one, else 0
 * @param latencyMs time spent on this hop, in ms
 * @param detail    free text (method and path, reason of a refusal)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FlowEvent(String time, String traceId, String step, String phase, String component, String from,
                        String to, String protocol, int port, String auth, String outcome, int status,
                        double latencyMs, String detail) {
    public FlowEvent {
        Objects.requireNonNull(step, "step");
        Objects.requireNonNull(component, "component");
        Objects.requireNonNull(outcome, "outcome");
    }

    public boolean ok() {
        return "ok".equals(outcome);
    }
}
