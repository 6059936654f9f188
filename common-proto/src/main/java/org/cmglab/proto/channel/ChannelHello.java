package org.cmglab.proto.channel;

import java.util.List;

/**
 * The connection point's answer to the CMG's hello stream: who it is and which published roles it forwards to.
 *
 * @param protocol     always {@link ChannelProtocol#UPGRADE_TOKEN}
 * @param connectionId the id the connection point gave this channel
 * @param connector    connection point FQDN
 * @param siteCode     site code
 * @param transport    {@code HTTPS} or {@code TCP-TLS}
 * @param roles        role ids (e.g. MP role id 72057594037927939) with their kind ({@code MP}, {@code SUP})
 */
public record ChannelHello(String protocol, String connectionId, String connector, String siteCode, String transport,
                           List<Role> roles) {
    public record Role(String roleId, String kind) {}
}
