package org.cmglab.client.load;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.cmglab.proto.ccm.CcmMessage;
import org.cmglab.proto.ccm.CcmMultipart;
import org.cmglab.proto.pki.ClientAuthMode;
import org.cmglab.proto.pki.ClientCertValidator;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.EventLoops;

/**
 * A stand-in CMG for load-mode tests: HTTPS on 127.0.0.1 asking for client certificates (deferred, like IIS), answers
 * each kind of the mix (MPLIST, a policy body, a CCM reply for CCM_POST after decoding the message), and records the
 * client certificates, connections, request kinds and the SourceIDs of the CCM messages it saw.
 */
final class LoadStubCmg implements AutoCloseable {
    final Set<String> clientSubjects = ConcurrentHashMap.newKeySet();
    final Set<String> sourceIds = ConcurrentHashMap.newKeySet();
    final Map<String, AtomicInteger> byKind = new ConcurrentHashMap<>();
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger withoutCert = new AtomicInteger();
    private final Channel server;
    private final boolean forbidPolicy;

    LoadStubCmg(EventLoopGroup group, IssuedCert serverCert, X509Certificate clientRoot, boolean forbidPolicy)
            throws Exception {
        this.forbidPolicy = forbidPolicy;
        SslContext ssl = TlsContexts.server(serverCert, ClientAuthMode.DEFERRED, List.of(clientRoot));
        server = new ServerBootstrap().group(group).channel(EventLoops.serverChannelClass())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.incrementAndGet();
                        ch.pipeline().addLast(ssl.newHandler(ch.alloc()), new HttpServerCodec(),
                                new HttpObjectAggregator(1 << 20), new Handler());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    int count(String kind) {
        AtomicInteger n = byKind.get(kind);
        return n == null ? 0 : n.get();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
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
            byKind.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
            ctx.writeAndFlush(res);
        }

        private static FullHttpResponse response(HttpResponseStatus st, String type, byte[] body) {
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, st, Unpooled.wrappedBuffer(body));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, type)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            return res;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
