package org.cmglab.client.load;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.ssl.SslHandler;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.cmglab.proto.ccm.CcmMessage;
import org.cmglab.proto.ccm.CcmMultipart;
import org.cmglab.proto.pki.ClientCertValidator;
import org.cmglab.proto.pki.IssuedCert;

/**
 * A stand-in CMG for load-mode tests: HTTPS on 127.0.0.1 asking for client certificates (deferred, like IIS), answers
 * each kind of the mix (MPLIST, a policy body, a CCM reply for CCM_POST after decoding the message), and records the
 * client certificates, connections, request kinds and the SourceIDs of the CCM messages it saw.
 */
final class LoadStubCmg extends LoadStubServer {
    final Set<String> clientSubjects = ConcurrentHashMap.newKeySet();
    final Set<String> sourceIds = ConcurrentHashMap.newKeySet();
    final AtomicInteger withoutCert = new AtomicInteger();
    private final boolean forbidPolicy;

    LoadStubCmg(EventLoopGroup group, IssuedCert serverCert, X509Certificate clientRoot, boolean forbidPolicy)
            throws Exception {
        super(group, serverCert, clientRoot);
        this.forbidPolicy = forbidPolicy;
    }

    @Override
    ChannelHandler newHandler() {
        return new Handler();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            List<X509Certificate> chain = ClientCertValidator.peerChain(
                    ctx.pipeline().get(SslHandler.class).engine().getSession());
            if (chain.isEmpty()) {
                withoutCert.incrementAndGet();
                ctx.writeAndFlush(response(new HttpResponseStatus(403, "CMGConnector_Clientcertificaterequired"),
                        "text/html", "no client certificate".getBytes(StandardCharsets.UTF_8)));
                return;
            }
            clientSubjects.add(chain.get(0).getSubjectX500Principal().getName());
            String uri = req.uri();
            String kind;
            FullHttpResponse res;
            if (uri.endsWith("/SMS_MP/.sms_aut?MPLIST")) {
                kind = "mplist";
                res = response(HttpResponseStatus.OK, "text/xml",
                        "<MPList><MP Name=\"MP01\" FQDN=\"mp01.corp.contoso.com\"/></MPList>"
                                .getBytes(StandardCharsets.UTF_8));
            } else if (uri.contains("/SMS_MP/.sms_pol?%7B")) {
                kind = "policy";
                res = forbidPolicy ? response(HttpResponseStatus.FORBIDDEN, "text/html", "no".getBytes())
                        : response(HttpResponseStatus.OK, "text/xml", "<Policy/>".getBytes(StandardCharsets.UTF_8));
            } else if ("CCM_POST".equals(req.method().name()) && uri.endsWith("/ccm_system/request")) {
                CcmMessage m = CcmMessage.decode(req.headers().get(HttpHeaderNames.CONTENT_TYPE),
                        ByteBufUtil.getBytes(req.content()), CcmMessage.Limits.DEFAULT);
                sourceIds.add(m.header().sourceId());
                kind = m.bodyXml().contains("ContentLocationRequest") ? "content" : "location";
                res = response(HttpResponseStatus.OK, CcmMultipart.CONTENT_TYPE,
                        "--reply--".getBytes(StandardCharsets.UTF_8));
            } else {
                kind = "other";
                res = response(HttpResponseStatus.NOT_FOUND, "text/html", "not found".getBytes());
            }
            counted(kind);
            ctx.writeAndFlush(res);
        }


        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
