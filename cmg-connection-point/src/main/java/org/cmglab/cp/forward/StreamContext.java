package org.cmglab.cp.forward;

import org.cmglab.proto.channel.ChannelHello;
import org.cmglab.proto.flow.FlowEventLog;

/**
 * What the streams of one channel share.
 *
 * @param hello        this connection point's hello for the channel
 * @param routes       external → internal URL mappings
 * @param backends     connections to the MP/SUP
 * @param events       flow events
 * @param instance     the CMG instance at the other end, e.g. {@code cmg-service/0}
 * @param channelPort  the CMG port the channel was dialled on
 * @param maxBodyBytes largest request body accepted from the CMG
 * @param onHello      run once the CMG's hello was answered (the channel is usable from then on); may be null
 */
public record StreamContext(ChannelHello hello, RouteTable routes, BackendClient backends, FlowEventLog events,
                            String instance, int channelPort, int maxBodyBytes, Runnable onHello) {

    public StreamContext(ChannelHello hello, RouteTable routes, BackendClient backends, FlowEventLog events,
                         String instance, int channelPort, int maxBodyBytes) {
        this(hello, routes, backends, events, instance, channelPort, maxBodyBytes, null);
    }

    /** The same context, calling {@code r} when the hello is answered. */
    public StreamContext withOnHello(Runnable r) {
        return new StreamContext(hello, routes, backends, events, instance, channelPort, maxBodyBytes, r);
    }
}
