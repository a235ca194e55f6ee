package io.fli.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fli.engine.HolderView;
import io.fli.engine.ViewStamp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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

    private final HttpClient client;
    private final HttpRequest request;
    private final AtomicLong asked = new AtomicLong();
    private final AtomicLong named = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    /** Asks {@code base} (e.g. {@code http://10.0.0.5:8545}), waiting at most {@code timeout} per question. */
    public HttpHolderView(URI base, Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the holder view's timeout must be positive, got " + timeout);
        }
        String b = base.toString();
        this.request = HttpRequest.newBuilder(URI.create((b.endsWith("/") ? b.substring(0, b.length() - 1) : b)
                + "/lease-view")).timeout(timeout).GET().build();
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout)
                .build();
    }

    @Override
    public Optional<ViewStamp> current() {
        asked.incrementAndGet();
        try {
            HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                return Optional.empty();
            }
            JsonNode o = JSON.readTree(r.body());
            if (!o.path("epoch").canConvertToLong() || !o.path("version").canConvertToLong()) {
                failed.incrementAndGet();
                return Optional.empty();
            }
            named.incrementAndGet();
            return Optional.of(new ViewStamp(o.get("epoch").asLong(), o.get("version").asLong()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed.incrementAndGet();
            return Optional.empty();
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
