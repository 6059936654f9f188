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
 */
public record StreamContext(ChannelHello hello, RouteTable routes, BackendClient backends, FlowEventLog events,
                            String instance, int channelPort, int maxBodyBytes) {}
