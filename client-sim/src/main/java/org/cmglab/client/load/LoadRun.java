package org.cmglab.client.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One load run: {@code count} simulated clients, each with its own TLS identity and one keep-alive connection to the
 * CMG, on a few event loops (no thread per client).
 *
 * <ol>
 *   <li><b>connect</b>: every client connects and completes its TLS handshake (at most
 *       {@link LoadOptions#MAX_CONNECTING} at once, {@code --connect-rate} per second);</li>
 *   <li>optional <b>wait</b> for {@code --wait-for <file>} (the W3 driver measures the idle connections);</li>
 *   <li><b>requests</b>: the {@code --active} clients send requests of the mix, one in flight each, either as fast
 *       as they are answered or at {@code --rate} per second overall, until {@code --duration} or
 *       {@code --requests}; a closed connection is reconnected before the client's next request;</li>
 *   <li>optional <b>hold</b> until {@code --hold-until <file>}; then everything is closed.</li>
 * </ol>
 *
 * Every failure is counted under its class (see {@link LoadStats}), never dropped. A one-line progress display goes
 * to {@code progressOut} each second.
 */
public final class LoadRun {
    private static final Logger log = LoggerFactory.getLogger(LoadRun.class);
    static final int MAX_RESPONSE_BYTES = 8 << 20;

    /** Where the clients connect to. */
    public record Target(String serviceName, int port, InetSocketAddress remote, String sourceAddress) {
        public Target {
            Objects.requireNonNull(serviceName, "serviceName");
            Objects.requireNonNull(remote, "remote");
            Objects.requireNonNull(sourceAddress, "sourceAddress");
        }

        String hostHeader() {
            return port == 443 ? serviceName : serviceName + ":" + port;
        }
    }

    /** What the run returns: the stats, how long the request phase lasted, and how many clients got connected. */
    public record Result(LoadStats stats, double seconds, int connected, int connectFailed) {
        public boolean clean() {
            return connectFailed == 0 && stats.totalErrors() == 0;
        }
    }

    private final LoadOptions options;
    private final Target target;
    private final SslContext ssl;
    private final PoolKeyManager keys;
    private final LoadRequests requests;
    private final EventLoopGroup group;
    private final PrintStream out;
    private final PrintStream progressOut;
    private final LoadStats stats = new LoadStats();
    private final SimClient[] clients;
    private final Bootstrap bootstrap;

    private final AtomicLong issued = new AtomicLong();
    private final AtomicLong seq = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger connectedNow = new AtomicInteger();
    private final ConcurrentLinkedQueue<SimClient> idle = new ConcurrentLinkedQueue<>();
    private volatile long deadlineNanos;
    private volatile boolean stopping;
    private volatile boolean rateLimited;

    LoadRun(LoadOptions options, Target target, SslContext ssl, PoolKeyManager keys, LoadRequests requests,
            EventLoopGroup group, PrintStream out, PrintStream progressOut) {
        this.options = Objects.requireNonNull(options, "options");
        this.target = Objects.requireNonNull(target, "target");
        this.ssl = Objects.requireNonNull(ssl, "ssl");
        this.keys = Objects.requireNonNull(keys, "keys");
        this.requests = Objects.requireNonNull(requests, "requests");
        this.group = Objects.requireNonNull(group, "group");
        this.out = Objects.requireNonNull(out, "out");
        this.progressOut = Objects.requireNonNull(progressOut, "progressOut");
        this.clients = new SimClient[options.count()];
        for (int i = 0; i < clients.length; i++) {
            clients[i] = new SimClient(i);
        }
        int ms = (int) options.timeout().toMillis();
        this.bootstrap = new Bootstrap().group(group).channel(org.cmglab.proto.runtime.EventLoops.socketChannelClass())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, ms)
                .option(ChannelOption.TCP_NODELAY, true)
                .remoteAddress(target.remote());
    }

    /** Runs the phases and returns the result (the caller prints or writes it). */
    public Result run() throws InterruptedException {
        long t0 = System.nanoTime();
        Progress progress = new Progress(t0);
        Thread ticker = null;
        if (options.progress()) {
            ticker = new Thread(progress::loop, "load-progress");
            ticker.setDaemon(true);
            ticker.start();
        }
        try {
            connectAll();
            int connected = connectedNow.get();
            int failed = clients.length - connected;
            log.info("{} of {} clients connected ({} failed)", connected, clients.length, failed);
            if (options.waitFile() != null) {
                out.println("READY connected=" + connected + " failed=" + failed);
                out.flush();
                waitForFile(options.waitFile());
            }
            long start = System.nanoTime();
            progress.requestPhase(start);
            sendRequests(start);
            double seconds = (System.nanoTime() - start) / 1e9;
            progress.stop();
            if (options.holdFile() != null) {
                out.println("DONE requests=" + (stats.totalOk() + stats.totalErrors()));
                out.flush();
                waitForFile(options.holdFile());
            }
            return new Result(stats, seconds, connected, failed);
        } finally {
            progress.stop();
            if (ticker != null) {
                ticker.interrupt();
                ticker.join(2_000);
            }
            closeAll();
        }
    }

    /** The run's statistics (live). */
    public LoadStats stats() {
        return stats;
    }

    // ------------------------------------------------------------------ connect phase

    private void connectAll() throws InterruptedException {
        Semaphore slots = new Semaphore(options.maxConnecting());
        CountDownLatch done = new CountDownLatch(clients.length);
        long interval = options.connectRate() == 0 ? 0 : 1_000_000_000L / options.connectRate();
        long next = System.nanoTime();
        long bound = System.nanoTime() + options.timeout().toNanos() * 2 + Duration.ofMinutes(10).toNanos();
        for (SimClient c : clients) {
            if (interval > 0) {
                next += interval;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
            if (!slots.tryAcquire(Math.max(1, bound - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException("connect phase did not finish in time");
            }
            c.connect(() -> {
                slots.release();
                done.countDown();
            });
        }
        if (!done.await(options.timeout().toMillis() * 2 + 5_000, TimeUnit.MILLISECONDS)) {
            log.warn("{} connections still pending after the connect phase", done.getCount());
        }
    }

    // ------------------------------------------------------------------ request phase

    private void sendRequests(long start) throws InterruptedException {
        deadlineNanos = start + options.duration().toNanos();
        rateLimited = options.rate() > 0;
        int senders = options.senders();
        if (!rateLimited) {
            for (int i = 0; i < senders; i++) {
                SimClient c = clients[i];
                c.loop().execute(c::next);
            }
        } else {
            for (int i = 0; i < senders; i++) {
                idle.add(clients[i]);
            }
            long tick = TimeUnit.MILLISECONDS.toNanos(5);
            long dispatched = 0;
            while (!stopping && System.nanoTime() < deadlineNanos && budgetLeft()) {
                long due = (long) ((System.nanoTime() - start) / 1e9 * options.rate());
                while (dispatched < due) {
                    SimClient c = idle.poll();
                    if (c == null) {
                        break; // every sender is busy: the rate is more than the clients can carry
                    }
                    dispatched++;
                    c.loop().execute(c::next);
                }
                LockSupport.parkNanos(tick);
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
        }
        while (System.nanoTime() < deadlineNanos && budgetLeft()) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
        stopping = true;
        long drain = System.nanoTime() + options.timeout().toNanos() + TimeUnit.SECONDS.toNanos(1);
        while (inFlight.get() > 0 && System.nanoTime() < drain) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    private boolean budgetLeft() {
        return options.requests() == 0 || issued.get() < options.requests();
    }

    /** Takes one request from the budget; false when the run is over. */
    private boolean takeBudget() {
        if (stopping || System.nanoTime() >= deadlineNanos) {
            return false;
        }
        if (options.requests() == 0) {
            issued.incrementAndGet();
            return true;
        }
        long n = issued.incrementAndGet();
        if (n > options.requests()) {
            issued.decrementAndGet();
            return false;
        }
        return true;
    }

    private static void waitForFile(Path f) throws InterruptedException {
        long until = System.nanoTime() + LoadOptions.MAX_WAIT.toNanos();
        while (!Files.exists(f)) {
            if (System.nanoTime() > until) {
                throw new IllegalStateException(f + " did not appear within " + LoadOptions.MAX_WAIT.toMinutes()
                        + " minutes");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    private void closeAll() {
        stopping = true;
        for (SimClient c : clients) {
            Channel ch = c.channel;
            if (ch != null) {
                ch.close();
            }
        }
        for (SimClient c : clients) {
            Channel ch = c.channel;
            if (ch != null) {
                ch.closeFuture().awaitUninterruptibly(2, TimeUnit.SECONDS);
            }
        }
    }

    /** The error class of a connect or handshake failure. */
    static String classify(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c && !(c instanceof SSLException)) {
            c = c.getCause();
        }
        if (c instanceof SslHandshakeTimeoutException || t instanceof SslHandshakeTimeoutException) {
            return "tls-timeout";
        }
        if (c instanceof SSLException) {
            return "tls";
        }
        if (c instanceof io.netty.channel.ConnectTimeoutException) {
            return "connect-timeout";
        }
        if (c instanceof ConnectException || c instanceof java.net.BindException) {
            return "connect";
        }
        String n = c.getClass().getSimpleName().toLowerCase(Locale.ROOT);
        return n.contains("closedchannel") ? "closed" : "io";
    }

    // ------------------------------------------------------------------ one simulated client

    /** One simulated client: its index (identity) and connection. State is touched on its channel's event loop. */
    final class SimClient {
        final int index;
        volatile Channel channel;
        private LoadKind kind;
        private long sentAt;
        private ScheduledFuture<?> timer;
        private boolean busy;
        private volatile io.netty.channel.EventLoop loop;

        SimClient(int index) {
            this.index = index;
        }

        io.netty.channel.EventLoop loop() {
            if (loop == null) {
                loop = channel != null ? channel.eventLoop() : group.next();
            }
            return loop;
        }

        /** Connects and handshakes; {@code done} runs once either way. */
        void connect(Runnable done) {
            long t0 = System.nanoTime();
            ChannelFuture f = bootstrap.clone().localAddress(new InetSocketAddress(target.sourceAddress(), 0))
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            SslHandler tls = ssl.newHandler(ch.alloc(), target.serviceName(), target.port());
                            SSLParameters p = tls.engine().getSSLParameters();
                            p.setEndpointIdentificationAlgorithm("HTTPS");
                            tls.engine().setSSLParameters(p);
                            tls.setHandshakeTimeoutMillis(options.timeout().toMillis());
                            if (!options.tokenAuth()) { // a token client presents no certificate
                                keys.bind(tls.engine(), index);
                                ch.closeFuture().addListener(x -> keys.unbind(tls.engine()));
                            }
                            ch.pipeline().addLast("tls", tls)
                                    .addLast("http", new HttpClientCodec())
                                    .addLast("aggregate", new HttpObjectAggregator(MAX_RESPONSE_BYTES))
                                    .addLast("reply", new ReplyHandler(SimClient.this));
                        }
                    }).connect();
            Channel ch = f.channel();
            loop = ch.eventLoop();
            f.addListener(cf -> {
                if (!cf.isSuccess()) {
                    stats.connect().error(classify(cf.cause()));
                    done.run();
                    return;
                }
                ch.pipeline().get(SslHandler.class).handshakeFuture().addListener(hf -> {
                    if (hf.isSuccess()) {
                        channel = ch;
                        connectedNow.incrementAndGet();
                        ch.closeFuture().addListener(x -> connectedNow.decrementAndGet());
                        stats.connect().record(System.nanoTime() - t0);
                    } else {
                        stats.connect().error(classify(hf.cause()));
                        ch.close();
                    }
                    done.run();
                });
            });
        }

        /** Sends this client's next request if the budget allows (on the event loop). */
        void next() {
            if (!takeBudget()) {
                return;
            }
            kind = options.mix().pick(seq.getAndIncrement());
            busy = true;
            inFlight.incrementAndGet();
            Channel ch = channel;
            if (ch == null || !ch.isActive()) {
                channel = null;
                connect(() -> loop().execute(() -> {
                    if (channel == null) {
                        fail("connect");
                    } else {
                        send();
                    }
                }));
                return;
            }
            send();
        }

        private void send() {
            Channel ch = channel;
            if (ch == null || !ch.isActive()) {
                fail("closed");
                return;
            }
            FullHttpRequest req = requests.build(kind, index, seq.get(), ch.alloc());
            sentAt = System.nanoTime();
            timer = ch.eventLoop().schedule(() -> {
                if (busy) {
                    fail("timeout");
                    ch.close();
                }
            }, options.timeout().toMillis(), TimeUnit.MILLISECONDS);
            ch.writeAndFlush(req).addListener(w -> {
                if (!w.isSuccess() && busy) {
                    fail("write");
                    ch.close();
                }
            });
        }

        void onResponse(Channel from, FullHttpResponse res) {
            if (!busy || from != channel) {
                return; // a reply after the timeout: the connection was closed already
            }
            long nanos = System.nanoTime() - sentAt;
            String error = LoadRequests.check(kind, res);
            boolean keepAlive = HttpUtil.isKeepAlive(res);
            if (error == null) {
                stats.kind(kind).record(nanos);
                done();
            } else {
                fail(error);
            }
            if (!keepAlive) {
                from.close();
            }
        }

        void onClosed(Channel from) {
            if (busy && from == channel) {
                fail("closed");
            }
        }

        void onError(Channel from, Throwable t) {
            if (busy && from == channel) {
                fail(classify(t));
            }
        }

        private void fail(String errorClass) {
            if (!busy) {
                return;
            }
            stats.kind(kind).error(errorClass);
            done();
        }

        private void done() {
            busy = false;
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
            inFlight.decrementAndGet();
            if (rateLimited) {
                idle.add(this);
            } else {
                loop().execute(this::next);
            }
        }
    }

    /** Hands the aggregated reply (or the connection's end) to its client. */
    static final class ReplyHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final SimClient client;

        ReplyHandler(SimClient client) {
            this.client = client;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
            client.onResponse(ctx.channel(), res);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            client.onClosed(ctx.channel());
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            client.onError(ctx.channel(), cause);
            ctx.close();
        }
    }

    // ------------------------------------------------------------------ progress line

    /** The one-line progress display, once a second. */
    private final class Progress {
        private final long t0;
        private volatile long requestStart;
        private volatile boolean stopped;
        private long lastTotal;

        Progress(long t0) {
            this.t0 = t0;
        }

        void requestPhase(long start) {
            requestStart = start;
        }

        void stop() {
            stopped = true;
        }

        void loop() {
            long next = System.nanoTime();
            while (!stopped) {
                next += TimeUnit.SECONDS.toNanos(1);
                LockSupport.parkNanos(Math.max(0, next - System.nanoTime()));
                if (Thread.currentThread().isInterrupted() || stopped) {
                    return;
                }
                progressOut.println(line());
                progressOut.flush();
            }
        }

        String line() {
            long now = System.nanoTime();
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "[%5.0fs] conns %d/%d",
                    (now - t0) / 1e9, connectedNow.get(), clients.length));
            long connErr = stats.connect().errorCount();
            if (connErr > 0) {
                sb.append(" (").append(connErr).append(" failed)");
            }
            if (requestStart == 0) {
                return sb.append("  connecting").toString();
            }
            long total = stats.totalOk() + stats.totalErrors();
            Histogram h = stats.takeInterval();
            sb.append(String.format(Locale.ROOT, "  reqs %d (%d/s)  errors %d  in-flight %d", total,
                    total - lastTotal, stats.totalErrors(), inFlight.get()));
            if (h.getTotalCount() > 0) {
                sb.append("  p50 ").append(LoadStats.ms(h.getValueAtPercentile(50))).append(" ms  p99 ")
                        .append(LoadStats.ms(h.getValueAtPercentile(99))).append(" ms");
            }
            lastTotal = total;
            return sb.toString();
        }
    }

    /** The run's parameters for the JSON results. */
    Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", options.count());
        m.put("active", options.senders());
        m.put("auth", options.auth());
        m.put("mix", options.mix().toString());
        m.put("durationLimitSeconds", options.duration().toMillis() / 1000.0);
        m.put("requestLimit", options.requests());
        m.put("rate", options.rate());
        m.put("target", target.serviceName() + ":" + target.port() + " (" + target.remote().getAddress()
                .getHostAddress() + ")");
        m.put("transport", org.cmglab.proto.runtime.EventLoops.transportName());
        return m;
    }
}
