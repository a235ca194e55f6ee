package io.fli.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fli.engine.HolderView;
import io.fli.engine.ViewStamp;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Asks the lease holder's {@code fli serve} ({@code GET /lease-view}) which state it answers from. Any failure —
 * connection refused, a timeout, a 404 (it holds no valid view), a malformed body — is "cannot tell", and the query
 * reads {@code meta/state} itself: the holder being paused, partitioned or gone costs latency, never correctness.
 * The timeout bounds that latency; it should sit well below a committed read's tail, so that a slow holder is
 * abandoned quickly.
 */
public final class HttpHolderView implements HolderView {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URL url;
    private final int timeoutMs;
    private final AtomicLong asked = new AtomicLong();
    private final AtomicLong named = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    /**
     * Asks {@code base} (e.g. {@code http://10.0.0.5:8545}), waiting at most {@code timeout} to connect and as much
     * for the answer. {@link HttpURLConnection} with the JDK's keep-alive pool: on loopback under load it answered
     * in half the time of {@code java.net.http.HttpClient} at p50, p95 and p99 (docs/performance.md, ninth round).
     */
    public HttpHolderView(URI base, Duration timeout) {
        this(base, timeout, Duration.ZERO);
    }

    /**
     * As {@link #HttpHolderView(URI, Duration)}, asking for read leases of {@code readLease} ({@code GET /read-lease};
     * zero: none, a question per query): between the holder's publishes this process's queries answer without asking.
     * Each grant is watched on a daemon thread ({@code GET /read-lease/watch}); a revocation marks the lease unusable
     * and only then is acknowledged ({@code POST /read-lease/ack}). A watch that fails leaves the revocation
     * unacknowledged: the holder waits the grant out, and this process stops using it by its own clock first.
     */
    public HttpHolderView(URI base, Duration timeout, Duration readLease) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the holder view's timeout must be positive, got " + timeout);
        }
        String b = base.toString();
        try {
            this.url = URI.create((b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + "/lease-view").toURL();
        } catch (java.net.MalformedURLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not a URL of the holder: " + base, e);
        }
        this.timeoutMs = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        if (readLease.isNegative() || readLease.toMillis() > io.fli.engine.LogIndex.MAX_READ_LEASE_MS) {
            throw new IllegalArgumentException("a read lease lasts 0 (none) to "
                    + io.fli.engine.LogIndex.MAX_READ_LEASE_MS + " ms, got " + readLease.toMillis() + " ms");
        }
        this.readLeaseMs = readLease.toMillis();
        this.base = url.toString().substring(0, url.toString().length() - "/lease-view".length());
    }

    private final long readLeaseMs;
    private final String base;
    private final AtomicLong grants = new AtomicLong();
    private final AtomicLong revoked = new AtomicLong();
    private static final java.util.concurrent.ExecutorService WATCHES = java.util.concurrent.Executors
            .newCachedThreadPool(r -> {
                Thread t = new Thread(r, "fli-read-lease-watch");
                t.setDaemon(true);
                return t;
            });

    @Override
    public boolean leases() {
        return readLeaseMs > 0;
    }

    /** {@code GET /read-lease}: the holder's state and, when it can, a grant, whose revocation is then watched. */
    @Override
    public Optional<io.fli.engine.ReadLease> readLease(ViewStamp have, java.util.function.Consumer<byte[]> onRevoke) {
        return lease(have, onRevoke, 0);
    }

    /** {@code GET /read-lease?wait_ms=}{@link #RENEW_WAIT_MS}: the holder answers once its CAS is through. */
    @Override
    public Optional<io.fli.engine.ReadLease> renewLease(ViewStamp have, java.util.function.Consumer<byte[]> onRevoke) {
        return lease(have, onRevoke, RENEW_WAIT_MS);
    }

    /** How long a renewal may wait at the holder for its CAS to go through. */
    static final int RENEW_WAIT_MS = 200;

    private Optional<io.fli.engine.ReadLease> lease(ViewStamp have, java.util.function.Consumer<byte[]> onRevoke,
                                                    int waitMs) {
        asked.incrementAndGet();
        try {
            JsonNode o = get(base + "/read-lease?ms=" + readLeaseMs + (have == null ? "" : "&epoch=" + have.epoch()
                    + "&version=" + have.version()) + (waitMs > 0 ? "&wait_ms=" + waitMs : ""), timeoutMs + waitMs);
            ViewStamp v = named(o);
            if (v == null) {
                return Optional.empty();
            }
            long grant = o.path("grant").asLong(0);
            long ms = o.path("ms").asLong(0);
            if (grant <= 0 || ms <= 0) {
                return Optional.of(new io.fli.engine.ReadLease(v, 0, 0));
            }
            grants.incrementAndGet();
            WATCHES.execute(() -> watch(grant, ms, onRevoke));
            return Optional.of(new io.fli.engine.ReadLease(v, grant, ms));
        } catch (java.io.IOException | RuntimeException e) {
            failed.incrementAndGet();
            return Optional.empty();
        }
    }

    /** Waits for grant {@code grant}'s revocation; on one, stops the lease, then acknowledges. */
    private void watch(long grant, long ms, java.util.function.Consumer<byte[]> onRevoke) {
        try {
            JsonNode o = get(base + "/read-lease/watch?grant=" + grant + "&wait_ms=" + (ms + 1_000),
                    (int) ms + 2_000 + timeoutMs);
            if (o != null && o.path("revoked").asBoolean(false)) {
                JsonNode coming = o.path("coming");
                byte[] next;
                try {
                    next = coming.isTextual() ? coming.binaryValue() : null;
                } catch (java.io.IOException e) {
                    next = null;
                }
                onRevoke.accept(next);
                revoked.incrementAndGet();
                HttpURLConnection c = (HttpURLConnection) URI.create(base + "/read-lease/ack?grant=" + grant).toURL()
                        .openConnection();
                c.setRequestMethod("POST");
                c.setConnectTimeout(timeoutMs + 1_000);
                c.setReadTimeout(timeoutMs + 1_000);
                int code = c.getResponseCode();
                // Read the (empty) body and close it, so the connection goes back to the keep-alive pool.
                try (InputStream in = code < 400 ? c.getInputStream() : c.getErrorStream()) {
                    if (in != null) {
                        in.readAllBytes();
                    }
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // unacknowledged: the holder waits the grant out; this process stops using it by its own clock first
        }
    }

    /** A GET's JSON body when the answer is 200, null for any other status. */
    private static JsonNode get(String u, int timeoutMs) throws java.io.IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(u).toURL().openConnection();
        c.setConnectTimeout(timeoutMs);
        c.setReadTimeout(timeoutMs);
        int code = c.getResponseCode();
        byte[] body;
        try (InputStream in = code == 200 ? c.getInputStream() : c.getErrorStream()) {
            body = in == null ? new byte[0] : in.readAllBytes();
        }
        return code == 200 ? JSON.readTree(body) : null;
    }

    /** Read leases granted, and revocations received and acknowledged. */
    public long[] leaseCounts() {
        return new long[]{grants.get(), revoked.get()};
    }

    @Override
    public Optional<ViewStamp> current() {
        return current(null);
    }

    /**
     * {@code GET /lease-view?epoch=e&version=v} naming the state this process has: the holder sends the record's bytes
     * only when it names another.
     */
    @Override
    public Optional<ViewStamp> current(ViewStamp have) {
        asked.incrementAndGet();
        try {
            return Optional.ofNullable(named(get(have == null ? url.toString() : url + "?epoch=" + have.epoch()
                    + "&version=" + have.version(), timeoutMs)));
        } catch (java.io.IOException | RuntimeException e) {
            failed.incrementAndGet();
            return Optional.empty();
        }
    }

    /**
     * The state an answer names ({@code {"epoch":e,"version":v[,"state":"<base64>"]}}), counted; null for no answer (a
     * status other than 200) and for a malformed one (counted as failed).
     */
    private ViewStamp named(JsonNode o) throws java.io.IOException {
        if (o == null) {
            return null;
        }
        if (!o.path("epoch").canConvertToLong() || !o.path("version").canConvertToLong()) {
            failed.incrementAndGet();
            return null;
        }
        JsonNode state = o.path("state");
        named.incrementAndGet();
        return new ViewStamp(o.get("epoch").asLong(), o.get("version").asLong(),
                state.isTextual() ? state.binaryValue() : null);
    }

    /** Questions asked, answered with a state, and failed (no answer in time, unreachable, malformed). */
    public long[] counts() {
        return new long[]{asked.get(), named.get(), failed.get()};
    }
}
