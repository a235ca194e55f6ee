package io.fli.backends;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The S3 client lets more than OkHttp's default 5 calls to one endpoint run at once: a stand-in S3 endpoint holds
 * every ranged GET until {@value #AT_ONCE} are inside it together. With the default cap the sixth never reaches it
 * (and the first five are released only by the latch's generous limit, which the test then fails on).
 */
class ConcurrentCallsTest {
    private static final int AT_ONCE = 12;

    @Test
    void moreThanFiveRangedGetsReachOneEndpointTogether() throws Exception {
        CountDownLatch inside = new CountDownLatch(AT_ONCE);
        AtomicInteger peak = new AtomicInteger();
        AtomicInteger now = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        ExecutorService serverThreads = Executors.newFixedThreadPool(AT_ONCE + 8);
        server.setExecutor(serverThreads);
        server.createContext("/", exchange -> {
            try {
                answer(exchange, inside, now, peak);
            } finally {
                exchange.close();
            }
        });
        server.start();
        ExecutorService callers = Executors.newFixedThreadPool(AT_ONCE);
        try (MinioBlobStore store = MinioBlobStore.connect(new S3Config("http://127.0.0.1:"
                + server.getAddress().getPort(), "fli", "secret-of-the-test", "fli", Duration.ofSeconds(60)))) {
            List<Future<Optional<byte[]>>> gets = new ArrayList<>();
            for (int i = 0; i < AT_ONCE; i++) {
                long offset = i * 100L;
                gets.add(callers.submit(() -> store.getRange("packs/blob", offset, 10)));
            }
            for (Future<Optional<byte[]>> g : gets) {
                assertThat(g.get(120, TimeUnit.SECONDS)).hasValueSatisfying(b -> assertThat(b).hasSize(10));
            }
            assertThat(peak.get()).as("ranged GETs inside the endpoint at once").isGreaterThanOrEqualTo(AT_ONCE);
        } finally {
            callers.shutdownNow();
            server.stop(0);
            serverThreads.shutdownNow();
        }
    }

    /** A bucket check or location lookup answers at once; a ranged GET waits until AT_ONCE are inside together. */
    private static void answer(HttpExchange exchange, CountDownLatch inside, AtomicInteger now, AtomicInteger peak)
            throws IOException {
        String path = exchange.getRequestURI().getPath();
        String query = exchange.getRequestURI().getRawQuery();
        if (query != null && query.contains("location")) {
            byte[] xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><LocationConstraint "
                    + "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">us-east-1</LocationConstraint>")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/xml");
            exchange.sendResponseHeaders(200, xml.length);
            exchange.getResponseBody().write(xml);
            return;
        }
        if (!path.startsWith("/fli/packs/")) {
            exchange.sendResponseHeaders(200, -1); // the bucket exists (HEAD /fli)
            return;
        }
        peak.accumulateAndGet(now.incrementAndGet(), Math::max);
        inside.countDown();
        try {
            // Generous: on a loaded machine the callers start late; with the cap at 5 this never completes.
            inside.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        now.decrementAndGet();
        byte[] body = new byte[10];
        exchange.getResponseHeaders().add("Content-Range", "bytes 0-9/1000");
        exchange.getResponseHeaders().add("ETag", "\"0\"");
        exchange.sendResponseHeaders(206, body.length);
        exchange.getResponseBody().write(body);
    }
}
