package org.cmglab.cmg.frontdoor;

import io.netty.channel.ChannelHandlerContext;
import org.cmglab.proto.flow.FlowEventLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One client request on its way through this CMG instance: ids, timings, and the flow events of its hops. */
final class ForwardedRequest {
    private static final Logger log = LoggerFactory.getLogger(ForwardedRequest.class);

    private final ChannelHandlerContext client;
    private final FlowEventLog events;
    private final String messageId;
    private final String traceId;
    private final String method;
    private final String uri;
    private final String instance;
    private final String connector;
    private final String channelProtocol;
    private final int channelPort;
    private final long timeoutMillis;
    private final boolean keepAlive;
    private final long start = System.nanoTime();
    private long responseBytes;
    private int status;

    ForwardedRequest(ChannelHandlerContext client, FlowEventLog events, String messageId, String traceId, String method,
                     String uri, String instance, String connector, String channelProtocol, int channelPort,
                     long timeoutMillis, boolean keepAlive) {
        this.client = client;
        this.events = events;
        this.messageId = messageId;
        this.traceId = traceId;
        this.method = method;
        this.uri = uri;
        this.instance = instance;
        this.connector = connector;
        this.channelProtocol = channelProtocol;
        this.channelPort = channelPort;
        this.timeoutMillis = timeoutMillis;
        this.keepAlive = keepAlive;
    }

    String messageId() { return messageId; }
    long timeoutMillis() { return timeoutMillis; }

    void responseHeaders(int code, String reason) {
        status = code;
        events.event("F4", "response").trace(traceId).from(connector).to(instance).protocol(channelProtocol)
                .port(channelPort).auth("channel opened by the connection point (mutual TLS)")
                .status(code).outcome("ok").latencyNanos(System.nanoTime() - start)
                .detail(code + " " + reason + " for " + method + " " + uri).emit();
    }

    void responseBytes(int n) {
        responseBytes += n;
    }

    void completed() {
        log.info("MessageID: {} RequestUri: {} Method: {} ResponseStatus: {} ResponseSize: {} Bytes ElapsedTime: {} ms",
                messageId, uri, method, status, responseBytes, (System.nanoTime() - start) / 1_000_000);
    }

    void failure(int code, String reason, String step, String outcome, String detail) {
        events.event(step, "response").trace(traceId).from(connector).to(instance).protocol(channelProtocol)
                .port(channelPort).status(code).outcome(outcome).latencyNanos(System.nanoTime() - start)
                .detail(reason + ": " + detail).emit();
        log.warn("MessageID: {} RequestUri: {} failed: {} {} ({})", messageId, uri, code, reason, detail);
    }

    void sendError(int code, String reason, String detail) {
        status = code;
        Responses.send(client, code, reason, detail, keepAlive);
    }
}
