package org.cmglab.azure.instances;

import com.sun.net.httpserver.HttpServer;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.cmglab.proto.config.CmgServiceConfig;
import org.cmglab.proto.config.Endpoint;
import org.cmglab.proto.runtime.EventLoops;

/**
 * Test launcher: each "VM instance" runs in the JVM: its front door (and channel port) greets with
 * {@code instance-<i>\n} then echoes; its admin endpoint answers {@code /ready}.
 */
public final class FakeLauncher implements InstanceLauncher {
    public final EventLoopGroup group;
    public final Map<Integer, FakeInstance> current = new ConcurrentHashMap<>();
    public final List<CmgServiceConfig> launched = new CopyOnWriteArrayList<>();
    public volatile boolean neverReady;

    public FakeLauncher(EventLoopGroup group) {
        this.group = group;
    }

    @Override
    public LaunchedInstance launch(CmgServiceConfig config, Path configFile, Path outFile) throws IOException {
        FakeInstance f = new FakeInstance(config);
        launched.add(config);
        current.put(config.instanceIndex(), f);
        return f;
    }

    /** One in-JVM instance. */
    public final class FakeInstance implements LaunchedInstance {
        public final CmgServiceConfig config;
        final CompletableFuture<Integer> exit = new CompletableFuture<>();
        final List<Channel> servers = new CopyOnWriteArrayList<>();
        final HttpServer admin;

        FakeInstance(CmgServiceConfig config) throws IOException {
            this.config = config;
            listen(config.frontDoor());
            if (config.channelHttps() != null) {
                listen(config.channelHttps());
            }
            admin = HttpServer.create(config.admin().socketAddress(), 0);
            admin.createContext("/ready", ex -> {
                int code = neverReady ? 503 : 200;
                ex.sendResponseHeaders(code, -1);
                ex.close();
            });
            admin.start();
        }

        private void listen(Endpoint at) {
            String hello = "instance-" + config.instanceIndex() + "\n";
            servers.add(new ServerBootstrap().group(group).channel(EventLoops.serverChannelClass())
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel c) {
                            c.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelActive(ChannelHandlerContext ctx) {
                                    ctx.writeAndFlush(Unpooled.copiedBuffer(hello, StandardCharsets.US_ASCII));
                                }

                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    ctx.writeAndFlush(msg);
                                }
                            });
                        }
                    }).bind(at.socketAddress()).syncUninterruptibly().channel());
        }

        /** Stops serving without "exiting" (a hung VM): the probe must notice. */
        public void stopServing() {
            servers.forEach(s -> s.close().syncUninterruptibly());
            admin.stop(0);
        }

        /** The instance "crashes" with an exit code. */
        public void crash(int code) {
            stopServing();
            exit.complete(code);
        }

        @Override
        public long pid() {
            return -1;
        }

        @Override
        public boolean isAlive() {
            return !exit.isDone();
        }

        @Override
        public CompletableFuture<Integer> onExit() {
            return exit;
        }

        @Override
        public void stop(Duration grace) {
            stopServing();
            exit.complete(143);
        }
    }

    static InetSocketAddress addr(Endpoint e) {
        return e.socketAddress();
    }
}
