package io.fli.workloads;

import com.fasterxml.jackson.databind.JsonNode;
import io.fli.engine.HolderView;
import io.fli.engine.ViewStamp;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * An index process's {@link HolderView} in a run on real servers: it asks the run's other index processes ({@code
 * leaseView} of {@link NodeProtocol}, on their loopback ports) which state the lease holder among them answers from.
 * Each question waits at most {@link #TIMEOUT_MS}: a paused or dead peer costs that much and the query reads
 * meta/state. A connection that failed or timed out is closed (its stream may hold a late answer) and a new one is
 * opened for the next question.
 */
final class PeerHolderView implements HolderView {
    /** How long one peer may take to answer; a committed read's tail on the local servers is a few ms. */
    static final int TIMEOUT_MS = 20;

    private volatile List<Integer> peers = List.of();
    private final java.util.concurrent.atomic.AtomicLong asked = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong named = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong records = new java.util.concurrent.atomic.AtomicLong();
    private final ConcurrentLinkedQueue<Conn> idle = new ConcurrentLinkedQueue<>();

    private record Conn(int port, Socket socket, BufferedReader in, BufferedWriter out) {
        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // already broken
            }
        }
    }

    /**
     * The bug zoo's {@code holder-view-remembers}: {@code view}, but when it cannot tell, the state it named last.
     * The holder's silence (paused, or its CAS in flight) is exactly when that state may be overtaken.
     */
    static HolderView remembering(HolderView view) {
        java.util.concurrent.atomic.AtomicReference<Optional<ViewStamp>> last =
                new java.util.concurrent.atomic.AtomicReference<>(Optional.empty());
        return new HolderView() {
            @Override
            public Optional<ViewStamp> current() {
                return current(null);
            }

            @Override
            public Optional<ViewStamp> current(ViewStamp have) {
                Optional<ViewStamp> now = view.current(have);
                if (now.isPresent()) {
                    last.set(now);
                    return now;
                }
                return last.get();
            }
        };
    }

    private final java.util.concurrent.atomic.AtomicLong grants = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong acknowledged = new java.util.concurrent.atomic.AtomicLong();

    /** Read leases granted to this process, and revocations it acknowledged, over its life. */
    long[] leaseCounts() {
        return new long[]{grants.get(), acknowledged.get()};
    }

    @Override
    public boolean leases() {
        return true;
    }

    /**
     * Asks the other processes for a read lease ({@code readLease} of {@link NodeProtocol}) as {@link #current} asks
     * for their state; a grant is watched from a thread of its own, on a connection of its own ({@code
     * watchReadLease}), and a revocation stops the lease before it is acknowledged ({@code ackReadLease}). A watch
     * that fails (the holder killed or partitioned) leaves the revocation unacknowledged: the holder waits the grant
     * out.
     */
    @Override
    public Optional<io.fli.engine.ReadLease> readLease(ViewStamp have, java.util.function.Consumer<byte[]> onRevoke) {
        asked.incrementAndGet();
        for (int port : peers) {
            JsonNode r = exchange(port, "{\"op\":\"readLease\",\"ms\":" + TestRun.READ_LEASE_MS + (have == null ? ""
                    : ",\"epoch\":" + have.epoch() + ",\"version\":" + have.version()) + "}\n");
            ViewStamp v = counted(stamp(r));
            if (v == null) {
                continue;
            }
            long grant = r.path("grant").asLong(0);
            long ms = r.path("ms").asLong(0);
            if (grant <= 0 || ms <= 0) {
                return Optional.of(new io.fli.engine.ReadLease(v, 0, 0));
            }
            grants.incrementAndGet();
            Thread t = new Thread(() -> watch(port, grant, ms, onRevoke), "read-lease-watch-" + grant);
            t.setDaemon(true);
            t.start();
            return Optional.of(new io.fli.engine.ReadLease(v, grant, ms));
        }
        return Optional.empty();
    }

    private void watch(int port, long grant, long ms, java.util.function.Consumer<byte[]> onRevoke) {
        try (Socket s = new Socket()) {
            s.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1_000);
            s.setSoTimeout((int) ms + 2_000);
            s.setTcpNoDelay(true);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            BufferedWriter out = new BufferedWriter(new OutputStreamWriter(s.getOutputStream(),
                    StandardCharsets.UTF_8));
            out.write("{\"op\":\"watchReadLease\",\"grant\":" + grant + ",\"waitMs\":" + (ms + 1_000) + "}\n");
            out.flush();
            String line = in.readLine();
            JsonNode answer = line == null ? null : NodeProtocol.JSON.readTree(line);
            if (answer != null && answer.path("result").asBoolean(false)) {
                JsonNode coming = answer.path("coming");
                onRevoke.accept(coming.isTextual() ? coming.binaryValue() : null);
                out.write("{\"op\":\"ackReadLease\",\"grant\":" + grant + "}\n");
                out.flush();
                if (in.readLine() != null) {
                    acknowledged.incrementAndGet();
                }
            }
        } catch (IOException | RuntimeException e) {
            // unacknowledged: the holder waits the grant out, and this process stops using it by its clock first
        }
    }

    /** The loopback ports of the other index processes of the run. */
    void peers(List<Integer> ports) {
        peers = List.copyOf(ports);
    }

    @Override
    public Optional<ViewStamp> current() {
        return current(null);
    }

    @Override
    public Optional<ViewStamp> current(ViewStamp have) {
        asked.incrementAndGet();
        for (int port : peers) {
            ViewStamp v = counted(stamp(exchange(port, have == null ? "{\"op\":\"leaseView\"}\n"
                    : "{\"op\":\"leaseView\",\"epoch\":" + have.epoch() + ",\"version\":" + have.version() + "}\n")));
            if (v != null) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }

    /** {@code v}, counted as named (and as carrying its record, when it does); null stays null. */
    private ViewStamp counted(ViewStamp v) {
        if (v != null) {
            named.incrementAndGet();
            if (v.state() != null) {
                records.incrementAndGet();
            }
        }
        return v;
    }

    /**
     * Questions asked, answered with a state, and answered with the state's record (this process had another state or
     * none) over this process's life (the index's own counters start again when
     * a restart fault opens it anew; these do not).
     */
    long[] counts() {
        return new long[]{asked.get(), named.get(), records.get()};
    }

    /**
     * The {@code result} of one request line to the process on {@code port}, or null when it could not be had (no
     * connection, no answer in time, an error). A connection that failed or timed out is closed (its stream may hold a
     * late answer); one whose whole answer was read goes back to the idle ones, in step for the next question.
     */
    private JsonNode exchange(int port, String request) {
        Conn c = take(port);
        if (c == null) {
            return null;
        }
        try {
            c.out().write(request);
            c.out().flush();
            String line = c.in().readLine();
            if (line == null) {
                c.close();
                return null;
            }
            JsonNode r = NodeProtocol.JSON.readTree(line).path("result");
            idle.add(c);
            return r;
        } catch (IOException | RuntimeException e) {
            c.close();
            return null;
        }
    }

    /** The state an answer names, or null when it names none (or its record's bytes are not base64). */
    private static ViewStamp stamp(JsonNode r) {
        if (r == null || !r.path("epoch").canConvertToLong() || !r.path("version").canConvertToLong()) {
            return null;
        }
        JsonNode state = r.path("state");
        try {
            return new ViewStamp(r.get("epoch").asLong(), r.get("version").asLong(),
                    state.isTextual() ? state.binaryValue() : null);
        } catch (IOException e) {
            return null;
        }
    }

    private Conn take(int port) {
        for (Conn c : idle) {
            if (c.port() == port && idle.remove(c)) {
                return c;
            }
        }
        try {
            Socket s = new Socket();
            s.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), TIMEOUT_MS);
            s.setSoTimeout(TIMEOUT_MS);
            s.setTcpNoDelay(true);
            return new Conn(port, s, new BufferedReader(new InputStreamReader(s.getInputStream(),
                    StandardCharsets.UTF_8)), new BufferedWriter(new OutputStreamWriter(s.getOutputStream(),
                    StandardCharsets.UTF_8)));
        } catch (IOException e) {
            return null;
        }
    }
}
