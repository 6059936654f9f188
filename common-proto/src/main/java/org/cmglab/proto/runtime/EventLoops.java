package org.cmglab.proto.runtime;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The transport every component uses: native epoll where Netty can load it, NIO otherwise.
 * Set {@code -Dcmglab.transport=nio} to force NIO.
 */
public final class EventLoops {
    private static final boolean EPOLL =
            !"nio".equalsIgnoreCase(System.getProperty("cmglab.transport", "")) && Epoll.isAvailable();

    private EventLoops() {}

    /** A new event loop group with {@code threads} threads (0 = Netty's default) named {@code name-N}. */
    public static EventLoopGroup newGroup(int threads, String name) {
        IoHandlerFactory factory = EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), factory);
    }

    public static Class<? extends ServerChannel> serverChannelClass() {
        return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    public static Class<? extends SocketChannel> socketChannelClass() {
        return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /** "epoll" or "nio", for logs and status pages. */
    public static String transportName() {
        return EPOLL ? "epoll" : "nio";
    }
}
