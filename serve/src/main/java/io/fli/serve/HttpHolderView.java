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
            HttpURLConnection c = (HttpURLConnection) (have == null ? url : URI.create(url + "?epoch=" + have.epoch()
                    + "&version=" + have.version()).toURL()).openConnection();
            c.setConnectTimeout(timeoutMs);
            c.setReadTimeout(timeoutMs);
            int code = c.getResponseCode();
            byte[] body;
            // Read the whole body and close the stream, so the connection goes back to the keep-alive pool.
            try (InputStream in = code == 200 ? c.getInputStream() : c.getErrorStream()) {
                body = in == null ? new byte[0] : in.readAllBytes();
            }
            if (code != 200) {
                return Optional.empty();
            }
            JsonNode o = JSON.readTree(body);
            if (!o.path("epoch").canConvertToLong() || !o.path("version").canConvertToLong()) {
                failed.incrementAndGet();
                return Optional.empty();
            }
            JsonNode state = o.path("state");
            byte[] bytes = state.isTextual() ? state.binaryValue() : null;
            named.incrementAndGet();
            return Optional.of(new ViewStamp(o.get("epoch").asLong(), o.get("version").asLong(), bytes));
        } catch (java.io.IOException | RuntimeException e) {
            failed.incrementAndGet();
            return Optional.empty();
        }
    }

    /** Questions asked, answered with a state, and failed (no answer in time, unreachable, malformed). */
    public long[] counts() {
        return new long[]{asked.get(), named.get(), failed.get()};
    }
}
