package org.cmglab.cmg.frontdoor;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslHandler;
import java.security.cert.X509Certificate;
import java.util.List;
import org.cmglab.proto.pki.ClientCertValidator;

/**
 * The one place the CMG checks a connection point's certificate (both channel transports): the TLS peer chain must
 * build to a connector trust root, be valid now and allow client authentication.
 */
public final class ConnectorCertificateCheck {
    private ConnectorCertificateCheck() {}

    /** Validates the peer chain of {@code ctx}'s TLS session against the connector roots of {@code fd}. */
    public static ClientCertValidator.Result validate(ChannelHandlerContext ctx, FrontDoorContext fd) {
        return fd.connectorValidator().validate(peerChain(ctx), fd.clock().instant());
    }

    /** The subject of an accepted leaf (what the status page and the logs show). */
    public static String subject(ClientCertValidator.Result r) {
        return r.leaf() == null ? "" : r.leaf().getSubjectX500Principal().getName();
    }

    static List<X509Certificate> peerChain(ChannelHandlerContext ctx) {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        return ssl == null ? List.of() : ClientCertValidator.peerChain(ssl.engine().getSession());
    }
}
