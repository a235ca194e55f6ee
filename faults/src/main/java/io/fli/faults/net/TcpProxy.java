package io.fli.faults.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One named TCP proxy: listens on a loopback address, opens a connection to the upstream for every client, and pumps
 * bytes both ways through the toxics that are present at the moment each chunk passes (so adding or removing a toxic
 * acts on open connections too, as in Toxiproxy). Disabled, it listens nowhere and has no connections: clients are
 * refused.
 */
final class TcpProxy {
    private static final int CHUNK = 16 * 1024;

    final String name;
    private volatile String listen;
    private volatile String upstream;
    private volatile boolean enabled;
    private final List<Toxic> toxics = new CopyOnWriteArrayList<>();
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timers;
    private final Random random;
    private ServerSocket server;

    TcpProxy(String name, String listen, String upstream, ScheduledExecutorService timers, Random random) {
        this.name = name;
        this.listen = listen;
        this.upstream = upstream;
        this.timers = timers;
        this.random = random;
    }

    // ------------------------------------------------------------------ lifecycle

    synchronized void start() throws IOException {
        if (server != null) {
            return;
        }
        InetSocketAddress at = ToxiproxyServer.loopback("listen", listen);
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(at, 128);
        server = s;
        listen = ToxiproxyServer.hostPort(at.getHostString(), s.getLocalPort());
        enabled = true;
        Thread t = new Thread(() -> acceptLoop(s), "toxiproxy-" + name + "-accept");
        t.setDaemon(true);
        t.start();
    }

    synchronized void stop() {
        enabled = false;
        if (server != null) {
            closeQuietly(server);
            server = null;
        }
        for (Link l : new ArrayList<>(links)) {
            l.close();
        }
    }

    boolean enabled() {
        return enabled;
    }

    String listen() {
        return listen;
    }

    String upstream() {
        return upstream;
    }

    synchronized void listen(String l) throws IOException {
        boolean was = enabled;
        stop();
        listen = l;
        if (was) {
            start();
        }
    }

    synchronized void upstream(String u) throws IOException {
        boolean was = enabled;
        stop();
        upstream = u;
        if (was) {
            start();
        }
    }

    int connections() {
        return links.size();
    }

    // ------------------------------------------------------------------ toxics

    List<Toxic> toxics() {
        return List.copyOf(toxics);
    }

    Toxic toxic(String toxicName) {
        for (Toxic t : toxics) {
            if (t.name.equals(toxicName)) {
                return t;
            }
        }
        return null;
    }

    void add(Toxic t) {
        toxics.add(t);
        for (Link l : links) {
            l.arm(t);
        }
    }

    void remove(Toxic t) {
        toxics.remove(t);
        for (Link l : links) {
            l.forget(t);
        }
    }

    void removeAllToxics() {
        for (Toxic t : toxics()) {
            remove(t);
        }
    }

    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("listen", listen);
        m.put("upstream", upstream);
        m.put("enabled", enabled);
        List<Object> ts = new ArrayList<>();
        toxics.forEach(t -> ts.add(t.json()));
        m.put("toxics", ts);
        return m;
    }

    // ------------------------------------------------------------------ connections

    private void acceptLoop(ServerSocket s) {
        while (!s.isClosed()) {
            Socket client;
            try {
                client = s.accept();
            } catch (IOException e) {
                return; // closed by stop()
            }
            Socket up = new Socket();
            try {
                client.setTcpNoDelay(true);
                up.setTcpNoDelay(true);
                up.connect(ToxiproxyServer.loopback("upstream", upstream), 5_000);
            } catch (IOException e) {
                // The upstream refuses: so does the proxy (the client sees its connection closed at once).
                closeQuietly(up);
                closeQuietly(client);
                continue;
            }
            Link l = new Link(client, up);
            links.add(l);
            if (!enabled || s.isClosed()) {
                l.close();
                continue;
            }
            for (Toxic t : toxics) {
                l.arm(t);
            }
            l.start();
        }
    }

    private boolean roll(double toxicity) {
        if (toxicity >= 1.0) {
            return true;
        }
        synchronized (random) {
            return random.nextDouble() < toxicity;
        }
    }

    private long jitter(long j) {
        if (j <= 0) {
            return 0;
        }
        synchronized (random) {
            return (long) ((random.nextDouble() * 2 - 1) * j);
        }
    }

    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing is best effort
        }
    }

    static void sleepMillis(long ms) {
        if (ms <= 0) {
            return;
        }
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A client connection and its upstream connection, with two pumps and this connection's toxicity rolls. */
    private final class Link {
        private final Socket client;
        private final Socket server;
        private final Map<Toxic, long[]> rolls = new ConcurrentHashMap<>();
        private final Map<Toxic, long[]> counted = new ConcurrentHashMap<>();
        private volatile boolean closed;

        Link(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        void start() {
            Thread up = new Thread(() -> pump(client, server, true), "toxiproxy-" + name + "-up");
            Thread down = new Thread(() -> pump(server, client, false), "toxiproxy-" + name + "-down");
            up.setDaemon(true);
            down.setDaemon(true);
            up.start();
            down.start();
        }

        /** Whether {@code t} acts on this connection: rolled once per connection and toxic version. */
        boolean applies(Toxic t) {
            long[] r = rolls.compute(t, (k, old) -> old != null && old[0] == t.generation ? old
                    : new long[] {t.generation, roll(t.toxicity) ? 1 : 0});
            return r[1] == 1;
        }

        /** Starts the timers of toxics that act on a connection whether or not data flows. */
        void arm(Toxic t) {
            if (!applies(t)) {
                return;
            }
            if (t.type.equals("timeout") && t.attr("timeout") > 0) {
                timers.schedule(() -> {
                    if (toxics.contains(t)) {
                        close();
                    }
                }, t.attr("timeout"), TimeUnit.MILLISECONDS);
            } else if (t.type.equals("reset_peer")) {
                timers.schedule(() -> {
                    if (toxics.contains(t)) {
                        reset();
                    }
                }, t.attr("timeout"), TimeUnit.MILLISECONDS);
            }
        }

        void forget(Toxic t) {
            rolls.remove(t);
            counted.remove(t);
        }

        private void pump(Socket from, Socket to, boolean up) {
            byte[] buf = new byte[CHUNK];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                while (!closed) {
                    int n = in.read(buf);
                    if (n < 0) {
                        for (Toxic t : toxics) {
                            if (t.upstream() == up && t.type.equals("slow_close") && applies(t)) {
                                sleepMillis(t.attr("delay"));
                            }
                        }
                        close();
                        return;
                    }
                    if (!forward(buf, n, up, out)) {
                        return;
                    }
                }
            } catch (IOException e) {
                close();
            }
        }

        /** Passes one chunk through the toxics of its stream; false when the connection was closed. */
        private boolean forward(byte[] buf, int n, boolean up, OutputStream out) throws IOException {
            int len = n;
            long rate = 0;
            long sliceAvg = 0;
            long sliceVar = 0;
            long sliceDelayMicros = 0;
            boolean closeAfter = false;
            for (Toxic t : toxics) {
                if (t.upstream() != up || !applies(t)) {
                    continue;
                }
                switch (t.type) {
                    case "latency" -> sleepMillis(t.attr("latency") + jitter(t.attr("jitter")));
                    case "timeout" -> {
                        return true; // the data is dropped on the floor: the peer waits for nothing
                    }
                    case "bandwidth" -> rate = rate == 0 ? t.attr("rate") : Math.min(rate, t.attr("rate"));
                    case "slicer" -> {
                        sliceAvg = t.attr("average_size");
                        sliceVar = t.attr("size_variation");
                        sliceDelayMicros = t.attr("delay");
                    }
                    case "limit_data" -> {
                        long[] c = counted.computeIfAbsent(t, k -> new long[1]);
                        long allowed = t.attr("bytes") - c[0];
                        if (allowed <= len) {
                            len = (int) Math.max(0, allowed);
                            closeAfter = true;
                        }
                        c[0] += len;
                    }
                    default -> {
                    }
                }
            }
            write(out, buf, len, rate, sliceAvg, sliceVar, sliceDelayMicros);
            if (closeAfter) {
                close();
                return false;
            }
            return true;
        }

        private void write(OutputStream out, byte[] buf, int len, long rateKb, long sliceAvg, long sliceVar,
                           long sliceDelayMicros) throws IOException {
            if (rateKb <= 0 && sliceAvg <= 0) {
                out.write(buf, 0, len);
                out.flush();
                return;
            }
            int off = 0;
            long start = System.nanoTime();
            while (off < len) {
                int piece = len - off;
                if (sliceAvg > 0) {
                    piece = (int) Math.max(1, Math.min(piece, sliceAvg + jitter(sliceVar)));
                }
                if (rateKb > 0) {
                    piece = (int) Math.min(piece, Math.max(1, rateKb * 100)); // at most 100 ms of data at a time
                }
                out.write(buf, off, piece);
                out.flush();
                off += piece;
                if (rateKb > 0) {
                    // KB/s as Toxiproxy counts it (1 KB = 1000 bytes): pace against the start of this chunk.
                    long dueNanos = start + off * 1_000_000L / rateKb;
                    long waitNanos = dueNanos - System.nanoTime();
                    if (waitNanos > 0) {
                        sleepMillis(TimeUnit.NANOSECONDS.toMillis(waitNanos) + 1);
                    }
                }
                if (sliceDelayMicros > 0 && off < len) {
                    sleepMillis(Math.max(1, sliceDelayMicros / 1000));
                }
            }
        }

        void reset() {
            try {
                client.setSoLinger(true, 0);
                server.setSoLinger(true, 0);
            } catch (SocketException ignored) {
                // already closed
            }
            close();
        }

        void close() {
            closed = true;
            links.remove(this);
            closeQuietly(client);
            closeQuietly(server);
        }
    }
}
