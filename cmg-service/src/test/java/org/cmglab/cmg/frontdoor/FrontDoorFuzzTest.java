package org.cmglab.cmg.frontdoor;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import org.cmglab.cmg.channel.ChannelRegistry;
import org.cmglab.cmg.route.EndpointLimits;
import org.cmglab.proto.channel.ChannelSettings;
import org.cmglab.proto.flow.FlowEventLog;
import org.cmglab.proto.pki.ClientCertValidator;
import org.cmglab.proto.pki.LabCa;

/**
 * Fuzz target of the front door's request handling: raw bytes (what arrives after TLS) into the front door's
 * pipeline ({@code http → request-timeout → content-limit → keep-alive → aggregate → front-door}) on an
 * {@link EmbeddedChannel}, with no channel connected (so routable requests get 503). A finding is an exception
 * escaping the pipeline, a {@code 500} (a client mistake must never look like a server fault), or a leaked buffer.
 * Seeds in {@code src/test/resources/org/cmglab/cmg/frontdoor/FrontDoorFuzzTestInputs/frontDoorRequest/}.
 */
class FrontDoorFuzzTest {
    static final String ROLE = "72057594037927939";
    static final ClientCertValidator VALIDATOR = new ClientCertValidator(List.of(LabCa.createEphemeral().root()));
    static final FrontDoorContext FD = new FrontDoorContext("cmg-service/0", "P01", Set.of(ROLE), new ChannelRegistry(),
            VALIDATOR, VALIDATOR, new FlowEventLog("fuzz", null), ChannelSettings.defaults(), 443, 5_000,
            Clock.systemUTC());

    @FuzzTest(maxDuration = "1m")
    void frontDoorRequest(byte[] data) {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast("http", new HttpServerCodec(16 * 1024, 32 * 1024, 64 * 1024))
                .addLast(RequestReadTimeoutHandler.NAME, new RequestReadTimeoutHandler(20_000, 30_000))
                .addLast(ContentLimitHandler.NAME, new ContentLimitHandler(new EndpointLimits(1 << 20), FD))
                .addLast("keep-alive", new HttpServerKeepAliveHandler())
                .addLast("aggregate", new HttpObjectAggregator(1 << 20))
                .addLast(FrontDoorHandler.NAME, new FrontDoorHandler(FD, false,
                        List.of("http", RequestReadTimeoutHandler.NAME, "keep-alive", ContentLimitHandler.NAME, "aggregate")));
        try {
            ch.writeInbound(Unpooled.wrappedBuffer(data));
            ch.runPendingTasks();
            ch.checkException();
            Object o;
            while ((o = ch.readOutbound()) != null) {
                try {
                    if (o instanceof ByteBuf b) {
                        // the status line starts the encoded head; a 400's body may echo the client's own bytes
                        String text = b.toString(StandardCharsets.ISO_8859_1);
                        if (text.startsWith("HTTP/1.1 500") || text.startsWith("HTTP/1.0 500")) {
                            throw new AssertionError("500 for a client's bytes: "
                                    + text.substring(0, Math.min(text.length(), 200)));
                        }
                    }
                } finally {
                    ReferenceCountUtil.release(o);
                }
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }
}
