package org.cmglab.cp.forward;

import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.Http2StreamChannel;

/** Gives every stream the CMG opens on a channel its own {@link ForwardingStreamHandler}. */
public final class ConnectorStreams extends ChannelInitializer<Http2StreamChannel> {
    private final StreamContext sc;

    public ConnectorStreams(StreamContext sc) {
        this.sc = sc;
    }

    @Override
    protected void initChannel(Http2StreamChannel ch) {
        ch.pipeline().addLast(new ForwardingStreamHandler(sc));
    }
}
