package org.cmglab.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
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
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.cmglab.proto.ccm.CcmClientHeaders;
import org.cmglab.proto.ccm.CcmMessage;
import org.cmglab.proto.ccm.CcmMsgHeader;
import org.cmglab.proto.ccm.CcmMultipart;
import org.cmglab.proto.ccm.CcmSignatures;
import org.cmglab.proto.ccm.SafeXml;
import org.cmglab.proto.ccm.SecretPolicyEnvelope;
import org.cmglab.proto.ccm.Utf16;
import org.cmglab.proto.ccm.Zlib;
import org.cmglab.proto.config.ClientSimConfig;
import org.cmglab.proto.runtime.EventLoops;
import org.cmglab.proto.runtime.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code client-sim lifecycle --direct} against a stub MP built from common-proto only: checks what the client sends
 * (a registration signed over its {@code <Data>} bytes, Hook2, the ClientToken on the secret policy) and how it
 * judges the replies (exit 0, exit 6 for a wrong policy hash, exit 1 for a refusal).
 */
class LifecycleCommandTest {
    static final String SMSID = "GUID:11111111-2222-3333-4444-555555555555";

    @TempDir
    Path dir;
    EventLoopGroup group;
    Channel server;
    final List<String> seen = new CopyOnWriteArrayList<>();
    final AtomicReference<X509Certificate> clientCert = new AtomicReference<>();
    volatile boolean wrongHash;
    volatile int registrationStatus = 200;
    static final byte[] SECRET = Utf16.withBom("<Policy>instance of CCM_NetworkAccessAccount { NetworkAccessUsername"
            + " = \"CORP\\\\svc-cmglab-naa\"; };</Policy>");

    @BeforeEach
    void startStub() {
        group = EventLoops.newGroup(1, "stub-mp");
        server = new ServerBootstrap().group(group).channel(EventLoops.serverChannelClass())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), new StubMp());
                    }
                }).bind("127.0.0.1", 0).syncUninterruptibly().channel();
    }

    @AfterEach
    void stop() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    final class StubMp extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
            byte[] body;
            String type = "text/xml";
            int status = 200;
            if (req.method().name().equals("CCM_POST")) {
                CcmMessage m = CcmMessage.decode(req.headers().get(HttpHeaderNames.CONTENT_TYPE),
                        ByteBufUtil.getBytes(req.content()), CcmMessage.Limits.DEFAULT);
                String root = SafeXml.parse(m.bodyXml()).getDocumentElement().getTagName();
                seen.add(m.header().endpoint() + " " + root);
                String xml = switch (root) {
                    case "ClientRegistrationRequest" -> register(m);
                    case "RequestAssignments" -> assignments(m);
                    case "EnumerateMPLocationRequest" -> "<MPLocationReply><Sites><Site><LocationRecords><LocationRecord>"
                            + "<URL Name=\"HTTP://mp01\"/></LocationRecord></LocationRecords></Site></Sites></MPLocationReply>";
                    case "SiteInformationRequest" -> "<SiteInfoReply><Site><Code>P01</Code></Site></SiteInfoReply>";
                    default -> "<WSUSLocationReply><Sites><Site><LocationRecords><LocationRecord WSUSURL=\"http://sup01:"
                            + ((java.net.InetSocketAddress) server.localAddress()).getPort() + "\""
                            + " ServerName=\"sup01\" Version=\"9128\"/></LocationRecords></Site></Sites></WSUSLocationReply>";
                };
                if (root.equals("ClientRegistrationRequest")) {
                    status = registrationStatus;
                }
                byte[] plain = CcmMessage.plainBody(xml);
                body = CcmMessage.frame(CcmMsgHeader.builder().body(plain.length - 2, 0).zlibCompressed(true).build(),
                        Zlib.compress(plain));
                type = CcmMultipart.CONTENT_TYPE;
            } else if (req.method().name().equals("POST")) { // the SUP's client web service
                seen.add("POST " + req.uri() + " " + req.headers().get("SOAPAction"));
                body = ("<soap:Envelope><soap:Body><GetConfigResponse><GetConfigResult/></GetConfigResponse>"
                        + "</soap:Body></soap:Envelope>").getBytes(StandardCharsets.UTF_8);
            } else {
                seen.add("GET " + req.uri() + (req.headers().contains(CcmClientHeaders.CLIENT_TOKEN) ? " ClientToken" : ""));
                String token = req.headers().get(CcmClientHeaders.CLIENT_TOKEN);
                boolean ok = token != null && CcmSignatures.verify(clientCert.get().getPublicKey(), Utf16.leNul(token),
                        req.headers().get(CcmClientHeaders.CLIENT_TOKEN_SIGNATURE));
                body = ok ? SecretPolicyEnvelope.encrypt(SECRET, clientCert.get()) : "<HTML>no</HTML>".getBytes();
                status = ok ? 200 : 403;
            }
            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                    Unpooled.wrappedBuffer(body));
            resp.headers().set(HttpHeaderNames.CONTENT_TYPE, type).setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
        }

        private String register(CcmMessage m) throws Exception {
            String hex = SafeXml.first(SafeXml.parse(m.bodyXml()).getDocumentElement(), "Signing").getTextContent();
            X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(HexFormat.of().parseHex(hex)));
            clientCert.set(c);
            String sig = SafeXml.first(SafeXml.parse(m.bodyXml()).getDocumentElement(), "SignatureValue").getTextContent();
            boolean ok = CcmSignatures.verify(c.getPublicKey(), m.elementBytes("Data"), sig);
            seen.add("registration signature " + (ok ? "ok" : "BAD"));
            return "<ClientRegistrationReply><Data SMSID=\"" + SMSID + "\" ApprovalStatus=\"1\"/></ClientRegistrationReply>";
        }

        private String assignments(CcmMessage m) {
            Map<String, String> h = m.header().clientAuth();
            boolean ok = CcmSignatures.verify(clientCert.get().getPublicKey(), m.bodyOnWire(), h.get("PayloadSignature"))
                    && CcmSignatures.verify(clientCert.get().getPublicKey(), Utf16.leNul(m.header().sourceId()),
                    h.get("ClientIDSignature"));
            seen.add("hook2 " + (ok ? "ok" : "BAD"));
            String hash = wrongHash ? "00" : LifecycleCommand.sha256(SECRET);
            return "<ReplyAssignments><PolicyAssignment><Policy PolicyID=\"{A}\" PolicyCategory=\"NAAConfig\">"
                    + "<PolicyLocation PolicyHash=\"SHA256:" + hash + "\"><![CDATA[http://<mp>/SMS_MP/.sms_pol?{A}.SHA256:"
                    + hash + "]]></PolicyLocation></Policy></PolicyAssignment></ReplyAssignments>";
        }
    }

    record Run(int exit, JsonNode result, String out) {}

    Run run(String... args) throws Exception {
        int port = ((java.net.InetSocketAddress) server.localAddress()).getPort();
        ClientSimConfig c = new ClientSimConfig("client01.corp.contoso.com", "127.0.0.1", "cmg.example", 443, "1",
                null, List.of(), Map.of("mp01.corp.contoso.com", "127.0.0.1", "sup01", "127.0.0.1"), dir.resolve("logs").toString(), null,
                "http://mp01.corp.contoso.com:" + port, "P01", dir.resolve("state").toString());
        Path cfg = dir.resolve("client.json");
        Json.writeFile(cfg, c);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String[] all = new String[args.length + 2];
        all[0] = "--config";
        all[1] = cfg.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = ClientSimMain.execute(all, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
        JsonNode result = null;
        for (String line : text.split("\\R")) {
            if (line.startsWith("RESULT ")) {
                result = Json.MAPPER.readTree(line.substring(7));
            }
        }
        return new Run(exit, result, text);
    }

    @Test
    void lifecycleDirectSendsWhatTheMpVerifies() throws Exception {
        Run r = run("lifecycle", "--direct");
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(seen).contains("MP_ClientRegistration ClientRegistrationRequest", "registration signature ok",
                "MP_PolicyManager RequestAssignments", "hook2 ok", "MP_LocationManager WSUSLocationRequest");
        assertThat(seen).anyMatch(s -> s.startsWith("GET /SMS_MP/.sms_pol?%7BA%7D.SHA256:") && s.endsWith("ClientToken"));
        assertThat(r.result().path("smsId").asText()).isEqualTo(SMSID);
        assertThat(r.result().path("secretPolicyAccount").asText()).isEqualTo("CORP\\svc-cmglab-naa");
        String sup = "http://sup01:" + ((java.net.InetSocketAddress) server.localAddress()).getPort();
        assertThat(r.result().path("wsusUrl").asText()).isEqualTo(sup);
        assertThat(seen).contains("POST /ClientWebService/client.asmx "
                + "\"http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/GetConfig\"");
        assertThat(r.result().path("supGetConfig").asText()).isEqualTo("ok");
        assertThat(Files.readString(dir.resolve("state/client01.corp.contoso.com/smsid")).trim()).isEqualTo(SMSID);
        assertThat(Files.readString(dir.resolve("logs/LocationServices.log"))).contains("WSUS Path='" + sup + "'");
        // the next run reuses the ConfigMgr Client certificate and the stored SMSID
        X509Certificate first = clientCert.get();
        Run p = run("policy", "--direct");
        assertThat(p.exit()).as(p.out()).isZero();
        assertThat(clientCert.get()).isEqualTo(first);
    }

    @Test
    void wrongPolicyHashIsABadReplyAndRefusalIsAnHttpFailure() throws Exception {
        wrongHash = true;
        Run r = run("lifecycle", "--direct");
        assertThat(r.exit()).as(r.out()).isEqualTo(6);
        assertThat(r.result().path("failedStep").asText()).startsWith("policy");
        assertThat(r.result().path("error").asText()).contains("PolicyHash");
        registrationStatus = 403;
        Run refused = run("register", "--direct");
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.result().path("status").asInt()).isEqualTo(403);
    }

    @Test
    void onlyPkiIsImplemented() throws Exception {
        assertThat(run("lifecycle", "--auth", "entra").exit()).isEqualTo(2);
        assertThat(run("policy", "--direct", "--auth", "bogus").exit()).isEqualTo(2);
    }
}
