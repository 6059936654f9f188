package org.cmglab.proto.runtime;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.HostsFileEntriesResolver;
import io.netty.resolver.InetSocketAddressResolver;
import io.netty.resolver.NameResolver;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.SimpleNameResolver;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.SingletonDnsServerAddressStreamProvider;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cmglab.proto.config.Loopback;

/**
 * How lab components resolve host names: through the lab DNS (azure-sim), never through the machine's resolver or
 * {@code /etc/hosts}, and only ever to an IPv4 loopback address (127.0.0.0/8), so nothing the lab dials leaves the
 * loopback network.
 *
 * <p>The resolvers ask exactly one server (the lab DNS), IPv4 only, names as given (no search domains), with a
 * {@value #QUERY_TIMEOUT_MILLIS} ms query timeout and a retry over TCP when an answer comes back truncated. Literal
 * IPv4 addresses are taken as they are (and must be loopback too). An answer outside 127.0.0.0/8 fails the
 * resolution with an {@link IllegalStateException} naming the name and the address.
 */
public final class LabDns {
    /** Per-query timeout of the resolvers. */
    public static final long QUERY_TIMEOUT_MILLIS = 2_000;

    /** Same rule as {@link EventLoops}: epoll when Netty can load it, unless {@code -Dcmglab.transport=nio}. */
    private static final boolean EPOLL =
            !"nio".equalsIgnoreCase(System.getProperty("cmglab.transport", "")) && Epoll.isAvailable();

    /** Resolves nothing: the machine's hosts file is never consulted (literal addresses need no lookup). */
    private static final HostsFileEntriesResolver NO_HOSTS_FILE = (inetHost, types) -> null;

    private LabDns() {}

    /** The datagram channel of the lab's transport (matches {@link EventLoops#newGroup}). */
    public static Class<? extends DatagramChannel> datagramChannelClass() {
        return EPOLL ? EpollDatagramChannel.class : NioDatagramChannel.class;
    }

    /** The socket channel of the lab's transport, used for the TCP retry of truncated answers. */
    static Class<? extends SocketChannel> socketChannelClass() {
        return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /**
     * A resolver group for {@code Bootstrap.resolver(...)}: every name the bootstrap connects to is resolved by the
     * lab DNS at {@code dnsServer}, and must resolve to a loopback address. Close the group when done with it.
     */
    public static AddressResolverGroup<InetSocketAddress> resolverGroup(InetSocketAddress dnsServer) {
        return new LoopbackOnlyGroup(builder(dnsServer));
    }

    /**
     * The resolver settings, without an event loop (set one with {@link DnsNameResolverBuilder#eventLoop}). Callers
     * that build their own resolver from it must check answers with {@link #requireLoopback} themselves.
     */
    public static DnsNameResolverBuilder builder(InetSocketAddress dnsServer) {
        requireLabServer(dnsServer);
        return new DnsNameResolverBuilder()
                .datagramChannelType(datagramChannelClass())
                .socketChannelType(socketChannelClass())
                .localAddress(new InetSocketAddress(loopback(), 0))
                .nameServerProvider(new SingletonDnsServerAddressStreamProvider(dnsServer))
                .resolvedAddressTypes(ResolvedAddressTypes.IPV4_ONLY)
                .searchDomains(List.of())
                .ndots(1)
                .hostsFileEntriesResolver(NO_HOSTS_FILE)
                .queryTimeoutMillis(QUERY_TIMEOUT_MILLIS)
                .maxQueriesPerResolve(8)
                .recursionDesired(true)
                .decodeIdn(true);
    }

    /**
     * Resolves {@code name} through the lab DNS and blocks for the answer. For callers outside an event loop (the
     * lab, tests); on an event loop use {@link #resolverGroup}.
     *
     * @throws UnknownHostException  when the lab DNS does not know the name (NXDOMAIN, REFUSED, no IPv4 address),
     *                               does not answer within {@code timeout}, or the thread is interrupted
     * @throws IllegalStateException when the answer is not an IPv4 loopback address, or when called on an event
     *                               loop of {@code group}
     */
    public static InetAddress resolve(EventLoopGroup group, InetSocketAddress dnsServer, String name, Duration timeout)
            throws UnknownHostException {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name: " + name + " (expected: a host name)");
        }
        for (EventExecutor e : group) {
            if (e.inEventLoop()) {
                throw new IllegalStateException("LabDns.resolve(" + name + ") blocks: do not call it on an event loop"
                        + " (use LabDns.resolverGroup)");
            }
        }
        DnsNameResolver resolver = builder(dnsServer).eventLoop(group.next()).build();
        try {
            Future<InetAddress> f = resolver.resolve(name);
            boolean done;
            try {
                done = f.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                f.cancel(false);
                throw new UnknownHostException("interrupted while resolving " + name + " through the lab DNS at "
                        + hostPort(dnsServer));
            }
            if (!done) {
                f.cancel(false);
                throw new UnknownHostException("no answer for " + name + " from the lab DNS at " + hostPort(dnsServer)
                        + " within " + timeout.toMillis() + " ms");
            }
            if (!f.isSuccess()) {
                UnknownHostException u = new UnknownHostException("cannot resolve " + name + " through the lab DNS at "
                        + hostPort(dnsServer) + ": " + f.cause().getMessage());
                u.initCause(f.cause());
                throw u;
            }
            return requireLoopback(name, f.getNow());
        } finally {
            resolver.close();
        }
    }

    /** Returns {@code address} when it is in 127.0.0.0/8, else throws naming {@code name} and the address. */
    public static InetAddress requireLoopback(String name, InetAddress address) {
        if (address instanceof Inet4Address && (address.getAddress()[0] & 0xff) == 127) {
            return address;
        }
        throw new IllegalStateException("unknown host " + name + ": the lab DNS answered "
                + (address == null ? "nothing" : address.getHostAddress())
                + ", which is not a loopback address (the lab only dials 127.0.0.0/8)");
    }

    private static void requireLabServer(InetSocketAddress dnsServer) {
        if (dnsServer == null || dnsServer.isUnresolved()) {
            throw new IllegalArgumentException("lab DNS server: " + dnsServer + " (expected: a resolved address)");
        }
        Loopback.require(dnsServer.getAddress().getHostAddress(), "lab DNS server address");
        if (dnsServer.getPort() == 0) {
            throw new IllegalArgumentException("lab DNS server: " + hostPort(dnsServer) + " (expected: a port)");
        }
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hostPort(InetSocketAddress a) {
        return (a.isUnresolved() ? a.getHostString() : a.getAddress().getHostAddress()) + ":" + a.getPort();
    }

    /** Netty's DNS resolver group with every answer checked by {@link #requireLoopback}. */
    private static final class LoopbackOnlyGroup extends DnsAddressResolverGroup {
        LoopbackOnlyGroup(DnsNameResolverBuilder builder) {
            super(builder);
        }

        @Override
        protected AddressResolver<InetSocketAddress> newAddressResolver(EventLoop eventLoop,
                                                                        NameResolver<InetAddress> resolver) {
            return new InetSocketAddressResolver(eventLoop, new LoopbackOnlyResolver(eventLoop, resolver));
        }
    }

    private static final class LoopbackOnlyResolver extends SimpleNameResolver<InetAddress> {
        private final NameResolver<InetAddress> delegate;

        LoopbackOnlyResolver(EventExecutor executor, NameResolver<InetAddress> delegate) {
            super(executor);
            this.delegate = delegate;
        }

        @Override
        protected void doResolve(String inetHost, Promise<InetAddress> promise) {
            delegate.resolve(inetHost).addListener((Future<InetAddress> f) -> {
                if (!f.isSuccess()) {
                    promise.tryFailure(f.cause());
                    return;
                }
                try {
                    promise.trySuccess(requireLoopback(inetHost, f.getNow()));
                } catch (IllegalStateException e) {
                    promise.tryFailure(e);
                }
            });
        }

        @Override
        protected void doResolveAll(String inetHost, Promise<List<InetAddress>> promise) {
            delegate.resolveAll(inetHost).addListener((Future<List<InetAddress>> f) -> {
                if (!f.isSuccess()) {
                    promise.tryFailure(f.cause());
                    return;
                }
                try {
                    for (InetAddress a : f.getNow()) {
                        requireLoopback(inetHost, a);
                    }
                    promise.trySuccess(f.getNow());
                } catch (IllegalStateException e) {
                    promise.tryFailure(e);
                }
            });
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
