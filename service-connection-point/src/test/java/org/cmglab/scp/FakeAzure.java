package org.cmglab.scp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cmglab.proto.pki.CertSpec;
import org.cmglab.proto.pki.ClientAuthMode;
import org.cmglab.proto.pki.IssuedCert;
import org.cmglab.proto.pki.LabCa;
import org.cmglab.proto.pki.TlsContexts;
import org.cmglab.proto.runtime.EventLoops;
import org.cmglab.proto.runtime.Json;

/**
 * A fake of the emulated Azure for CloudMgr tests: one HTTPS listener on loopback with a lab-CA certificate for
 * login.microsoftonline.com and management.azure.com, routed by Host, serving the token endpoint and the
 * Resource Manager contract (scale sets and classic cloud services, long-running operations that finish after a
 * couple of polls), plus one plain-HTTP admin status server per role instance reporting its channels.
 */
final class FakeAzure implements AutoCloseable {
    static final String LOGIN = "login.microsoftonline.com";
    static final String MANAGEMENT = "management.azure.com";
    static final String SECRET = "right-secret";
    private static final Pattern RESOURCE = Pattern.compile("/subscriptions/[^/]+/resourceGroups/[^/]+/providers/"
            + "(Microsoft\\.Compute/virtualMachineScaleSets|Microsoft\\.ClassicCompute/domainNames)/([^/]+)");
    private static final Pattern OPERATION = Pattern.compile("/subscriptions/[^/]+/providers/Microsoft\\.Fake/"
            + "(operations|operationresults)/([0-9a-f-]+)");
    private static final AtomicInteger NEXT_INSTANCE_NET = new AtomicInteger(1);

    final String address;
    final int port;
    final IssuedCert serverCert;
    private final EventLoopGroup group;
    /** Instance status servers are bound from the front's event loop, so they live on another group. */
    private final EventLoopGroup instanceGroup = EventLoops.newGroup(1, "fake-instances");
    private final Channel server;
    final List<String> requests = Collections.synchronizedList(new ArrayList<>());
    final List<String> bodies = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger tokensIssued = new AtomicInteger();
    private final Map<String, String> validTokens = new ConcurrentHashMap<>();
    final Map<String, Res> resources = new ConcurrentHashMap<>();
    private final Map<String, Op> operations = new ConcurrentHashMap<>();
    /** Set to make the next create operation fail with this code. */
    volatile String failNextCreate;

    static final class Inst {
        int index;
        String address;
        volatile String state;
        Channel statusServer;
        int busyGets;
    }

    static final class Res {
        String id;
        String name;
        String type;
        String location;
        String sku;
        int capacity;
        volatile String provisioningState;
        final List<Inst> instances = new ArrayList<>();
        JsonNode cmg;
        int net;
    }

    private static final class Op {
        int pollsLeft = 2;
        Runnable onDone;
        String failCode;
        boolean location;
    }

    FakeAzure(EventLoopGroup group, LabCa ca, String address) throws Exception {
        this.group = group;
        this.address = address;
        this.serverCert = ca.issue(CertSpec.server(MANAGEMENT, List.of(MANAGEMENT, LOGIN), List.of()));
        SslContext tls = TlsContexts.server(serverCert, ClientAuthMode.NONE, List.of());
        int p;
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(address))) {
            p = s.getLocalPort();
        }
        this.server = new ServerBootstrap().group(group).channel(EventLoops.serverChannelClass())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(tls.newHandler(ch.alloc()), new HttpServerCodec(),
                                new HttpObjectAggregator(4 << 20), new SimpleChannelInboundHandler<FullHttpRequest>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                        FullHttpResponse res;
                                        try {
                                            res = route(req);
                                        } catch (RuntimeException e) {
                                            res = json(500, error("InternalServerError", e.toString()));
                                        }
                                        HttpUtil.setKeepAlive(res, false);
                                        ctx.writeAndFlush(res).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
                                    }
                                });
                    }
                }).bind(address, p).sync().channel();
        this.port = p;
    }

    int portOffset() {
        return port - 443;
    }

    Map<String, String> hosts() {
        return Map.of(LOGIN, address, MANAGEMENT, address);
    }

    long armRequests() {
        synchronized (requests) {
            return requests.stream().filter(r -> r.contains(" " + MANAGEMENT + " ")).count();
        }
    }

    Res resource(String prefix) {
        return resources.values().stream().filter(r -> r.name.equals(prefix)).findFirst().orElse(null);
    }

    void setInstanceState(String prefix, int index, String state) {
        resource(prefix).instances.get(index).state = state;
    }

    // ------------------------------------------------------------------ routing

    private synchronized FullHttpResponse route(FullHttpRequest req) {
        String host = req.headers().get(HttpHeaderNames.HOST, "").toLowerCase(Locale.ROOT).replaceAll(":\\d+$", "");
        QueryStringDecoder q = new QueryStringDecoder(req.uri());
        String body = req.content().toString(StandardCharsets.UTF_8);
        requests.add(req.method() + " " + host + " " + q.path() + (q.rawQuery().isEmpty() ? "" : "?" + q.rawQuery()));
        bodies.add(body);
        if (host.equals(LOGIN)) {
            return token(req, q, body);
        }
        if (!host.equals(MANAGEMENT)) {
            return json(404, error("HostNotFound", host));
        }
        String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION, "");
        if (!auth.startsWith("Bearer ") || !validTokens.containsKey(auth.substring(7))) {
            return json(401, error("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or invalid."));
        }
        Matcher om = OPERATION.matcher(q.path());
        if (om.matches()) {
            return pollOperation(om.group(2));
        }
        Matcher m = RESOURCE.matcher(q.path());
        if (!m.matches()) {
            return json(404, error("InvalidResourceType", q.path()));
        }
        boolean classic = m.group(1).contains("Classic");
        String api = q.parameters().getOrDefault("api-version", List.of("")).get(0);
        if (!api.equals(classic ? "2016-11-01" : "2024-07-01")) {
            return json(400, error("InvalidApiVersionParameter", "api-version " + api));
        }
        String path = q.path();
        Res r = resources.get(path);
        switch (req.method().name()) {
            case "GET":
                if (r == null) {
                    return json(404, error("ResourceNotFound", "The Resource '" + m.group(1) + "/" + m.group(2)
                            + "' under resource group was not found."));
                }
                tickInstances(r);
                return json(200, view(r));
            case "PUT":
                return create(path, m.group(1), m.group(2), classic, body);
            case "PATCH":
                if (r == null) {
                    return json(404, error("ResourceNotFound", path));
                }
                return patch(r, body);
            case "DELETE":
                if (r == null) {
                    return json(404, error("ResourceNotFound", path));
                }
                r.provisioningState = "Deleting";
                Op op = new Op();
                op.location = true;
                op.onDone = () -> {
                    resources.remove(path);
                    r.instances.forEach(i -> i.statusServer.close());
                };
                String id = register(op);
                FullHttpResponse res = json(202, null);
                res.headers().set(HttpHeaderNames.LOCATION, opUrl("operationresults", id));
                res.headers().set(HttpHeaderNames.RETRY_AFTER, "0");
                return res;
            default:
                return json(405, error("MethodNotAllowed", req.method().name()));
        }
    }

    private FullHttpResponse token(FullHttpRequest req, QueryStringDecoder q, String body) {
        if (!q.path().matches("/[^/]+/oauth2/v2.0/token")) {
            return json(404, error("NotFound", q.path()));
        }
        Map<String, List<String>> form = new QueryStringDecoder("?" + body).parameters();
        String secret = form.getOrDefault("client_secret", List.of("")).get(0);
        if (!"client_credentials".equals(form.getOrDefault("grant_type", List.of("")).get(0))
                || !("https://" + MANAGEMENT + "/.default").equals(form.getOrDefault("scope", List.of("")).get(0))) {
            ObjectNode e = Json.MAPPER.createObjectNode().put("error", "invalid_request")
                    .put("error_description", "AADSTS900144: bad grant or scope");
            return json(400, e);
        }
        if (!SECRET.equals(secret)) {
            ObjectNode e = Json.MAPPER.createObjectNode().put("error", "invalid_client")
                    .put("error_description", "AADSTS7000215: Invalid client secret provided. Ensure the secret being "
                            + "sent in the request is the client secret value, not the client secret ID.");
            return json(401, e);
        }
        String t = "eyJ.fake." + UUID.randomUUID();
        validTokens.put(t, "ok");
        tokensIssued.incrementAndGet();
        return json(200, Json.MAPPER.createObjectNode().put("token_type", "Bearer").put("expires_in", 3599)
                .put("access_token", t));
    }

    private FullHttpResponse create(String path, String type, String name, boolean classic, String body) {
        JsonNode b = Json.MAPPER.valueToTree(Json.read(body, Map.class));
        if (resources.containsKey(path)) {
            return json(409, error("Conflict", "exists"));
        }
        Res r = new Res();
        r.id = path;
        r.name = name;
        r.type = type;
        r.location = b.path("location").asText();
        r.sku = b.path("sku").path("name").asText();
        r.capacity = b.path("sku").path("capacity").asInt();
        r.cmg = b.path("properties").path("cmg");
        r.provisioningState = "Creating";
        r.net = NEXT_INSTANCE_NET.getAndIncrement();
        for (int i = 0; i < r.capacity; i++) {
            r.instances.add(newInstance(r, i, "BusyRole"));
        }
        resources.put(path, r);
        Op op = new Op();
        op.failCode = failNextCreate;
        failNextCreate = null;
        op.onDone = () -> {
            if (op.failCode != null) {
                r.provisioningState = "Failed";
                return;
            }
            r.provisioningState = "Succeeded";
            r.instances.forEach(i -> i.state = "ReadyRole");
        };
        String id = register(op);
        FullHttpResponse res = json(201, view(r));
        res.headers().set("Azure-AsyncOperation", opUrl("operations", id));
        res.headers().set(HttpHeaderNames.RETRY_AFTER, "0");
        return res;
    }

    private FullHttpResponse patch(Res r, String body) {
        JsonNode b = Json.MAPPER.valueToTree(Json.read(body, Map.class));
        r.provisioningState = "Updating";
        Op op = new Op();
        if (b.path("sku").has("capacity")) {
            int n = b.path("sku").path("capacity").asInt();
            op.onDone = () -> {
                while (r.instances.size() > n) {
                    r.instances.remove(r.instances.size() - 1).statusServer.close();
                }
                while (r.instances.size() < n) {
                    Inst i = newInstance(r, r.instances.size(), "BusyRole");
                    i.busyGets = 1;
                    r.instances.add(i);
                }
                r.capacity = n;
                r.provisioningState = "Succeeded";
            };
        } else if (b.path("properties").path("cmg").has("certificatePem")) {
            op.onDone = () -> {
                ((ObjectNode) r.cmg).set("certificatePem", b.path("properties").path("cmg").path("certificatePem"));
                ((ObjectNode) r.cmg).set("privateKeyPem", b.path("properties").path("cmg").path("privateKeyPem"));
                r.provisioningState = "Succeeded";
            };
        } else {
            r.provisioningState = "Succeeded";
            return json(400, error("InvalidRequestContent", "nothing to update"));
        }
        String id = register(op);
        FullHttpResponse res = json(202, null);
        res.headers().set("Azure-AsyncOperation", opUrl("operations", id));
        res.headers().set(HttpHeaderNames.RETRY_AFTER, "0");
        return res;
    }

    private FullHttpResponse pollOperation(String id) {
        Op op = operations.get(id);
        if (op == null) {
            return json(404, error("OperationNotFound", id));
        }
        if (--op.pollsLeft > 0) {
            if (op.location) {
                FullHttpResponse res = json(202, null);
                res.headers().set(HttpHeaderNames.RETRY_AFTER, "0");
                return res;
            }
            return json(200, Json.MAPPER.createObjectNode().put("status", "InProgress"));
        }
        if (op.onDone != null) {
            op.onDone.run();
            op.onDone = null;
        }
        ObjectNode st = Json.MAPPER.createObjectNode().put("status", op.failCode == null ? "Succeeded" : "Failed");
        if (op.failCode != null) {
            st.set("error", Json.MAPPER.createObjectNode().put("code", op.failCode)
                    .put("message", "The requested VM size Standard_B2s is not available in the current region."));
        }
        return json(200, st);
    }

    private void tickInstances(Res r) {
        for (Inst i : r.instances) {
            if ("BusyRole".equals(i.state) && "Succeeded".equals(r.provisioningState) && i.busyGets-- <= 0) {
                i.state = "ReadyRole";
            }
        }
    }

    private String register(Op op) {
        String id = UUID.randomUUID().toString();
        operations.put(id, op);
        return id;
    }

    private String opUrl(String kind, String id) {
        return "https://" + MANAGEMENT + ":" + port + "/subscriptions/sub/providers/Microsoft.Fake/" + kind + "/" + id
                + "?api-version=2024-07-01";
    }

    private ObjectNode view(Res r) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("id", r.id).put("name", r.name).put("type", r.type).put("location", r.location);
        n.putObject("sku").put("name", r.sku).put("capacity", r.capacity);
        ObjectNode p = n.putObject("properties");
        p.put("provisioningState", r.provisioningState);
        p.put("deploymentName", r.type.contains("Classic") ? r.name + ".cloudapp.net"
                : r.name + "." + r.location + ".cloudapp.azure.com");
        p.put("serviceName", r.cmg.path("serviceName").asText());
        ArrayNode arr = p.putArray("instances");
        for (Inst i : r.instances) {
            ObjectNode o = arr.addObject();
            o.put("index", i.index).put("roleInstance", "ProxyService_IN_" + i.index).put("address", i.address)
                    .put("state", i.state).put("pid", 1000 + i.index);
            o.putObject("ports").put("https", 443).put("admin",
                    ((InetSocketAddress) i.statusServer.localAddress()).getPort());
        }
        p.put("vip", "127.0.9." + r.net);
        p.putObject("storageAccount").put("name", r.name);
        p.putObject("keyVault").put("name", r.name);
        return n;
    }

    private Inst newInstance(Res r, int index, String state) {
        Inst i = new Inst();
        i.index = index;
        i.address = "127.0." + (20 + r.net) + "." + (index + 1);
        i.state = state;
        try {
            i.statusServer = new ServerBootstrap().group(instanceGroup).channel(EventLoops.serverChannelClass())
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                                    new SimpleChannelInboundHandler<FullHttpRequest>() {
                                        @Override
                                        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                            ObjectNode st = Json.MAPPER.createObjectNode();
                                            st.put("instance", "ProxyService_IN_" + index);
                                            st.putArray("channels").addObject().put("connector", "CP01.contoso.com")
                                                    .put("connectionId", "conn-" + r.net + "-" + index)
                                                    .put("ready", true).put("requests", 10 * (index + 1))
                                                    .put("failures", index);
                                            FullHttpResponse res = json(200, st);
                                            HttpUtil.setKeepAlive(res, false);
                                            ctx.writeAndFlush(res).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
                                        }
                                    });
                        }
                    }).bind(i.address, 0).sync().channel();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        return i;
    }

    private static ObjectNode error(String code, String message) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.putObject("error").put("code", code).put("message", message);
        return n;
    }

    private static FullHttpResponse json(int status, JsonNode body) {
        byte[] b = body == null ? new byte[0] : Json.writeCompact(body).getBytes(StandardCharsets.UTF_8);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                Unpooled.wrappedBuffer(b));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        HttpUtil.setContentLength(res, b.length);
        return res;
    }

    @Override
    public void close() {
        resources.values().forEach(r -> r.instances.forEach(i -> i.statusServer.close()));
        server.close().syncUninterruptibly();
        instanceGroup.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
