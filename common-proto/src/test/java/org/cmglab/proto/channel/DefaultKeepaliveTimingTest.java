package org.cmglab.proto.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.config.ChannelTimings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The keep-alive with the settings every component runs when nothing configures it ({@link ChannelTimings#defaults()},
 * what azure-sim writes into a CMG instance's config and what the connection point falls back to): a half-open
 * channel, the peer silently gone, is detected by either side within 20 s, and a live peer is never dropped. Both
 * pipelines are the real ones ({@link ChannelPipelines}); time is the EmbeddedChannels' virtual clock, so the 20 s
 * are measured without being waited for.
 */
class DefaultKeepaliveTimingTest {
    private static final long STEP_MS = 100;
    private static final long BOUND_MS = 20_000;

    private final ChannelSettings settings = ChannelTimings.defaults().toSettings();
    private EmbeddedChannel gw;
    private EmbeddedChannel cp;

    @AfterEach
    void tearDown() {
        if (gw != null) {
            gw.finishAndReleaseAll();
            cp.finishAndReleaseAll();
        }
    }

    private void connect() {
        gw = new EmbeddedChannel();
        cp = new EmbeddedChannel();
        ChannelPipelines.installGatewaySide(gw, settings, "cmg", new ChannelInboundHandlerAdapter());
        ChannelPipelines.installConnectorSide(cp, settings, "cp", new ChannelInboundHandlerAdapter(),
                new ChannelInboundHandlerAdapter());
        pump(true, true);
        assertThat(gw.isActive() && cp.isActive()).as("both ends up after the HTTP/2 prefaces").isTrue();
    }

    /** Moves bytes gw → cp if {@code toCp} and cp → gw if {@code toGw}; bytes to a silent end are lost. */
    private void pump(boolean toCp, boolean toGw) {
        for (int round = 0; round < 100; round++) {
            gw.runPendingTasks();
            cp.runPendingTasks();
            boolean moved = move(gw, cp, toCp) | move(cp, gw, toGw);
            if (!moved) {
                return;
            }
        }
    }

    private static boolean move(EmbeddedChannel from, EmbeddedChannel to, boolean deliver) {
        boolean moved = false;
        for (Object o; (o = from.readOutbound()) != null; ) {
            moved = true;
            if (deliver && to.isActive()) {
                to.writeInbound(o);
            } else {
                ReferenceCountUtil.release(o);
            }
        }
        return moved;
    }

    /** Advances both clocks by {@code ms}, running what falls due. */
    private void tick(long ms) {
        gw.advanceTimeBy(ms, TimeUnit.MILLISECONDS);
        cp.advanceTimeBy(ms, TimeUnit.MILLISECONDS);
        gw.runScheduledPendingTasks();
        cp.runScheduledPendingTasks();
    }

    /**
     * The silent end neither sends nor reads from now on (a SIGSTOPped or vanished peer whose kernel keeps the socket
     * open); returns the virtual milliseconds until {@code watcher} closed the channel, or -1 after {@code limitMs}.
     */
    private long detectionMs(EmbeddedChannel watcher, long limitMs) {
        for (long t = 0; t <= limitMs; t += STEP_MS) {
            if (!watcher.isActive()) {
                return t;
            }
            // the silent end is frozen (its clock does not run); the watcher's bytes go into the void
            watcher.advanceTimeBy(STEP_MS, TimeUnit.MILLISECONDS);
            watcher.runScheduledPendingTasks();
            pump(false, false);
        }
        return -1;
    }

    @Test
    void theDefaultsArePing15sDeadline5s() {
        assertThat(settings.pingInterval()).isEqualTo(Duration.ofSeconds(15));
        assertThat(settings.pingTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(settings).isEqualTo(ChannelSettings.defaults());
    }

    @Test
    void cmgDetectsASilentConnectionPointWithin20s() {
        connect();
        // worst case: the peer goes silent right after its last bytes arrived (the prefaces), so the full interval
        // and the full deadline both run
        PingKeepaliveHandler ping = gw.pipeline().get(PingKeepaliveHandler.class);
        long ms = detectionMs(gw, 60_000);
        assertThat(ms).as("virtual ms until the CMG side closed the half-open channel").isBetween(5_000L, BOUND_MS);
        assertThat(ping.timedOut()).as("closed by its PING deadline").isTrue();
    }

    @Test
    void connectionPointDetectsASilentCmgWithin20s() {
        connect();
        PingKeepaliveHandler ping = cp.pipeline().get(PingKeepaliveHandler.class);
        long ms = detectionMs(cp, 60_000);
        assertThat(ms).as("virtual ms until the connection point closed the half-open channel")
                .isBetween(5_000L, BOUND_MS);
        assertThat(ping.timedOut()).as("closed by its PING deadline").isTrue();
    }

    @Test
    void aLivePeerIsNeverDroppedWithTheDefaults() {
        connect();
        PingKeepaliveHandler gwPing = gw.pipeline().get(PingKeepaliveHandler.class);
        PingKeepaliveHandler cpPing = cp.pipeline().get(PingKeepaliveHandler.class);
        for (long t = 0; t < 60_000; t += STEP_MS) {
            tick(STEP_MS);
            pump(true, true);
        }
        assertThat(gw.isActive() && cp.isActive()).as("both ends still up after an idle minute").isTrue();
        assertThat(gwPing.lastRttNanos()).as("the CMG's PINGs were answered").isGreaterThanOrEqualTo(0);
        assertThat(cpPing.lastRttNanos()).as("the connection point's PINGs were answered").isGreaterThanOrEqualTo(0);
    }
}
