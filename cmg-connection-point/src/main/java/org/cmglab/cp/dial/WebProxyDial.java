package org.cmglab.cp.dial;

import io.netty.handler.proxy.HttpProxyHandler.HttpProxyConnectException;
import io.netty.handler.proxy.HttpProxyHandler;
import io.netty.handler.proxy.ProxyConnectException;
import io.netty.resolver.AbstractAddressResolver;
import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.cmglab.proto.config.ConnectionPointConfig.ChannelTarget;
import org.cmglab.proto.config.ConnectionPointConfig.WebProxy;

/**
 * How an HTTPS channel goes through the site-system web proxy (HTTP CONNECT).
 *
 * <p>Name resolution stays in the lab: the connection point resolves the CMG service name through its own resolver
 * (lab DNS or static hosts) and asks the proxy to {@code CONNECT 127.x.y.z:port}, so the proxy never resolves a
 * name. TLS SNI, certificate name verification and the upgrade's {@code Host} still use the CMG service name.
 * TCP-TLS channels never use the proxy.
 */
public final class WebProxyDial {
    private WebProxyDial() {}

    /** Whether a channel to {@code target} goes through {@code proxy}: only HTTPS channels, only when one is set. */
    public static boolean usesProxy(ChannelTarget target, WebProxy proxy) {
        return proxy != null && "HTTPS".equalsIgnoreCase(target.transport());
    }

    /** A new CONNECT handler; it must be the first handler of the pipeline (it holds TLS's ClientHello back). */
    public static HttpProxyHandler newHandler(WebProxy proxy, Duration timeout) {
        InetSocketAddress at = new InetSocketAddress(literal(proxy.address()), proxy.port());
        HttpProxyHandler h = proxy.authenticated() ? new HttpProxyHandler(at, proxy.username(), proxy.password())
                : new HttpProxyHandler(at);
        h.setConnectTimeoutMillis(timeout.toMillis());
        return h;
    }

    /**
     * {@code hosts}, with results stripped of their host names: HttpProxyHandler writes the CONNECT target with
     * {@code getHostString()}, which would otherwise be the CMG name and let the proxy resolve it outside the lab.
     */
    public static AddressResolverGroup<InetSocketAddress> literalAddresses(AddressResolverGroup<InetSocketAddress> hosts) {
        return new AddressResolverGroup<>() {
            @Override
            protected AddressResolver<InetSocketAddress> newResolver(EventExecutor executor) {
                AddressResolver<InetSocketAddress> inner = hosts.getResolver(executor);
                return new AbstractAddressResolver<>(executor, InetSocketAddress.class) {
                    @Override
                    protected boolean doIsResolved(InetSocketAddress address) {
                        return !address.isUnresolved();
                    }

                    @Override
                    protected void doResolve(InetSocketAddress unresolved, Promise<InetSocketAddress> promise) {
                        inner.resolve(unresolved).addListener(f -> {
                            if (f.isSuccess()) {
                                promise.trySuccess(strip((InetSocketAddress) f.getNow()));
                            } else {
                                promise.tryFailure(f.cause());
                            }
                        });
                    }

                    @Override
                    protected void doResolveAll(InetSocketAddress unresolved, Promise<List<InetSocketAddress>> promise) {
                        inner.resolveAll(unresolved).addListener(f -> {
                            if (f.isSuccess()) {
                                List<InetSocketAddress> out = new ArrayList<>();
                                for (Object a : (List<?>) f.getNow()) {
                                    out.add(strip((InetSocketAddress) a));
                                }
                                promise.trySuccess(out);
                            } else {
                                promise.tryFailure(f.cause());
                            }
                        });
                    }
                };
            }
        };
    }

    static InetSocketAddress strip(InetSocketAddress a) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(a.getAddress().getAddress()), a.getPort());
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // only for a wrong address length
        }
    }

    private static InetAddress literal(String ipv4) {
        String[] p = ipv4.split("\\.");
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            b[i] = (byte) Integer.parseInt(p[i]);
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The exception text of a failed dial through the proxy, worded like the product's log ("Failed to authenticate
     * with proxy server …"); {@code null} when the failure is not the proxy's.
     */
    public static String describeFailure(Throwable cause, WebProxy proxy) {
        String at = proxy.address() + ":" + proxy.port();
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof HttpProxyConnectException h) {
                int status = statusOf(h.getMessage());
                // 407 is the standard answer; tinyproxy 1.11 answers a CONNECT with missing/wrong BasicAuth with 401
                if (status == 407 || status == 401) {
                    return "Failed to authenticate with proxy server " + at + " (HTTP "
                            + tail(h.getMessage()).replace("status: ", "")
                            + (proxy.authenticated() ? ", account " + proxy.username() : ", no proxy account configured")
                            + ")";
                }
                return "The proxy server " + at + " refused the tunnel: " + tail(h.getMessage());
            }
            if (t instanceof ProxyConnectException p) {
                return "The proxy server " + at + " failed: " + tail(p.getMessage());
            }
            if (t instanceof ConnectException c) {
                return "Unable to connect to the proxy server " + at + " (" + c.getMessage() + ")";
            }
        }
        return null;
    }

    private static int statusOf(String message) {
        int i = message.indexOf("status: ");
        if (i < 0 || message.length() < i + 11) {
            return -1;
        }
        try {
            return Integer.parseInt(message.substring(i + 8, i + 11));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Netty's message is "http, basic, proxy => destination, what"; keeps "what". */
    private static String tail(String message) {
        if (message == null) {
            return "unknown error";
        }
        int i = message.indexOf("=> ");
        int j = i < 0 ? -1 : message.indexOf(", ", i);
        return j < 0 ? message : message.substring(j + 2);
    }
}
