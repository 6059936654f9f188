package org.cmglab.webproxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpServerCodec;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cmglab.proto.config.WebProxyConfig;
import org.cmglab.proto.runtime.AdminAction;
import org.cmglab.proto.runtime.ComponentRuntime;
import org.cmglab.proto.runtime.EventLoops;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lab's corporate web proxy: an HTTP CONNECT proxy ({@link ConnectRequestHandler}, then {@link TunnelRelayHandler}
 * both ways) with an admin switch that turns it into a blackhole ({@code POST /blackhole}: bytes and closes are no
 * longer passed on, new CONNECTs get no answer) and back ({@code POST /resume}).
 *
 * <pre>{@code
 * WebProxy p = WebProxy.start(config, group);   // binds config.listen()
 * p.blackhole(true);                            // half-open every tunnel
 * }</pre>
 */
public final class WebProxy implements AutoCloseable {
    public static final String COMPONENT = "web-proxy";
    private static final Logger log = LoggerFactory.getLogger(WebProxy.class);

    private final WebProxyConfig config;
    private final ProxyState state;
    private final Channel server;

    private WebProxy(WebProxyConfig config, ProxyState state, Channel server) {
        this.config = config;
        this.state = state;
        this.server = server;
    }

    /** Binds {@code config.listen()} on {@code group}; throws if it cannot. */
    public static WebProxy start(WebProxyConfig config, EventLoopGroup group) throws InterruptedException {
        ProxyState state = new ProxyState(config.allowedPorts());
        Channel ch = new ServerBootstrap().group(group)
                .channel(EventLoops.serverChannelClass())
                .childOption(ChannelOption.AUTO_READ, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(new HttpServerCodec(4096, 8192, 8192),
                                new ConnectRequestHandler(state, () -> new Bootstrap()
                                        .channel(EventLoops.socketChannelClass())));
                    }
                })
                .bind(config.listen().socketAddress()).sync().channel();
        log.info("web proxy {} listening on {} (CONNECT to 127.0.0.0/8, ports {})", config.name(),
                config.listen(), config.allowedPorts());
        return new WebProxy(config, state, ch);
    }

    /** What {@code main} does: {@link #start}, the admin endpoint with its actions, READY. */
    static WebProxy launch(WebProxyConfig config, ComponentRuntime runtime) throws InterruptedException {
        WebProxy p = runtime.onClose(start(config, runtime.group()));
        runtime.startAdmin(config.admin(), p.server::isActive, p::status, p.actions());
        runtime.ready(config.name() + " CONNECT proxy on " + config.listen());
        return p;
    }

    public InetSocketAddress boundAddress() {
        return (InetSocketAddress) server.localAddress();
    }

    /** Stop (true) or resume (false) forwarding; resuming closes the tunnels that lost an end meanwhile. */
    public void blackhole(boolean on) {
        state.blackhole(on);
        log.warn("web proxy {}: {}", config.name(), on
                ? "BLACKHOLE - tunnels stay open but nothing is forwarded (no FIN, no RST)" : "forwarding resumed");
        if (!on) {
            state.open.forEach((client, up) -> {
                if (!client.isActive() || !up.isActive()) {
                    client.close();
                    up.close();
                }
            });
        }
    }

    /** {@code POST /blackhole}, {@code POST /resume}. */
    Map<String, AdminAction> actions() {
        Map<String, AdminAction> m = new LinkedHashMap<>();
        m.put("blackhole", (q, body) -> {
            blackhole(true);
            return status();
        });
        m.put("resume", (q, body) -> {
            blackhole(false);
            return status();
        });
        return m;
    }

    /** The admin {@code /status}: mode, connections, bytes. */
    public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", config.name());
        m.put("listen", config.listen().toString());
        m.put("mode", state.mode());
        m.put("allowedPorts", List.copyOf(config.allowedPorts()));
        m.put("openTunnels", state.open.size());
        m.put("acceptedConnections", state.accepted.get());
        m.put("tunnels", state.tunnels.get());
        m.put("denied", state.denied.get());
        m.put("upstreamFailures", state.failed.get());
        m.put("bytesUp", state.bytesUp.get());
        m.put("bytesDown", state.bytesDown.get());
        m.put("swallowedBytes", state.swallowedBytes.get());
        return m;
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        state.open.forEach((client, up) -> {
            client.close();
            up.close();
        });
    }
}
