package io.fli.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fli.engine.BlobStore;
import io.fli.engine.MetaStore;
import io.fli.engine.ViewStamp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Two {@code fli serve} processes over the same stores: the follower holds the lease and answers {@code GET
 * /lease-view}; the query-only one asks it ({@link HttpHolderView}) and answers from its own copy of that state
 * instead of reading meta/state. No answer of the second may be older than a head the first had acknowledged before
 * the question was sent, and once the holder is gone the second still answers (it reads meta/state).
 */
class HolderViewServeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private long blockNumber(String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers
                .ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_blockNumber\",\"params\":[]}"))
                .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
        JsonNode o = JSON.readTree(r.body());
        assertThat(o.has("result")).as(r.body()).isTrue();
        return Long.decode(o.get("result").asText());
    }

    /** A query-only {@code fli serve} over the stores whose queries ask the holder through {@code view}. */
    private static Serve queryOnly(MetaStore meta, BlobStore blobs, HttpHolderView view) throws Exception {
        return Serve.start(new Serve.Config("127.0.0.1", 0, false, 1, 1, 3, "other"), meta, blobs, "memory",
                new Serve.Hooks(Serve.Hooks.DEFAULT.source(), Serve.Hooks.DEFAULT.observer(),
                        Serve.Hooks.DEFAULT.gcEvery(), c -> c.withHolderView(view)));
    }

    /** Waits (up to two minutes) until the holder indexed block {@code head}. */
    private static void awaitHead(Serve holder, long head) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (holder.indexedHead() < head && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(holder.indexedHead()).as("the holder indexed the chain").isGreaterThanOrEqualTo(head);
    }

    @Test
    void aQueryProcessAsksTheHolderAndNeverAnswersOlderThanItsAcknowledgedHead() throws Exception {
        MetaStore meta = MetaStore.inMemory();
        BlobStore blobs = BlobStore.inMemory();
        Serve holder = Serve.start(new Serve.Config("127.0.0.1", 0, true, 20, 5, 3, "holder"), meta, blobs,
                "memory");
        String holderUrl = "http://127.0.0.1:" + holder.port();
        HttpHolderView view = new HttpHolderView(URI.create(holderUrl), Duration.ofSeconds(2));
        Serve other = queryOnly(meta, blobs, view);
        String otherUrl = "http://127.0.0.1:" + other.port();
        try {
            awaitHead(holder, 20);

            HttpResponse<String> lv = get(holderUrl + "/lease-view");
            assertThat(lv.statusCode()).as(lv.body()).isEqualTo(200);
            JsonNode stamp = JSON.readTree(lv.body());
            assertThat(stamp.get("epoch").asLong()).isPositive();
            assertThat(stamp.get("version").asLong()).isPositive();
            assertThat(get(otherUrl + "/lease-view").statusCode()).as("the query-only process holds no lease")
                    .isEqualTo(404);
            Optional<ViewStamp> asked = view.current();
            assertThat(asked).isPresent();
            // The record's bytes travel to an asker that has another state (or none), and only to it.
            assertThat(stamp.path("state").isTextual()).as(lv.body()).isTrue();
            ViewStamp named = new ViewStamp(stamp.get("epoch").asLong(), stamp.get("version").asLong());
            JsonNode had = JSON.readTree(get(holderUrl + "/lease-view?epoch=" + named.epoch() + "&version="
                    + named.version()).body());
            if (had.path("version").asLong() == named.version()) { // the holder did not move on meanwhile
                assertThat(had.has("state")).as(had.toString()).isFalse();
            }
            JsonNode other1 = JSON.readTree(get(holderUrl + "/lease-view?epoch=" + named.epoch() + "&version="
                    + (named.version() - 1)).body());
            assertThat(other1.path("state").isTextual()).as(other1.toString()).isTrue();
            assertThat(view.current(null).orElseThrow().state()).isNotNull();

            for (int i = 0; i < 200; i++) {
                long acknowledged = holder.indexedHead();
                long seen = blockNumber(otherUrl);
                assertThat(seen).as("query %d of the second process after the holder acknowledged %d", i,
                        acknowledged).isGreaterThanOrEqualTo(acknowledged);
            }
            long answers = other.index().stats().holderViewAnswers();
            assertThat(answers).as("answers from the state the holder named").isPositive();
            assertThat(other.index().stats().stateReads()).as("reads of meta/state happen only when the state moved")
                    .isLessThan(200);
            assertThat(get(otherUrl + "/metrics").body()).contains("fli_holder_view_answers_total")
                    .contains("fli_holder_view_records_total");
        } finally {
            holder.close();
        }
        // The holder is gone: every question fails, and the second process reads meta/state instead.
        long answersBefore = other.index().stats().holderViewAnswers();
        long failedBefore = view.counts()[2];
        try {
            long seen = blockNumber(otherUrl);
            assertThat(seen).isGreaterThanOrEqualTo(holder.indexedHead());
            assertThat(other.index().stats().holderViewAnswers()).isEqualTo(answersBefore);
            assertThat(view.counts()[2]).isGreaterThan(failedBefore);
        } finally {
            other.close();
        }
    }

    @Test
    void underReadLeasesAQueryProcessAsksOncePerStateAndStillNeverAnswersOlderThanAnAcknowledgedHead()
            throws Exception {
        MetaStore meta = MetaStore.inMemory();
        BlobStore blobs = BlobStore.inMemory();
        Serve holder = Serve.start(new Serve.Config("127.0.0.1", 0, true, 20, 5, 3, "holder"), meta, blobs,
                "memory");
        String holderUrl = "http://127.0.0.1:" + holder.port();
        HttpHolderView view = new HttpHolderView(URI.create(holderUrl), Duration.ofSeconds(2), Duration.ofMillis(300));
        Serve other = queryOnly(meta, blobs, view);
        String otherUrl = "http://127.0.0.1:" + other.port();
        try {
            awaitHead(holder, 20);
            assertThat(get(holderUrl + "/read-lease").statusCode()).as("no length given").isEqualTo(400);
            assertThat(get(holderUrl + "/read-lease/watch?grant=x&wait_ms=5").statusCode()).isEqualTo(400);
            assertThat(get(otherUrl + "/read-lease?ms=100").statusCode()).as("the query-only process grants nothing")
                    .isEqualTo(404);
            long startHead = holder.indexedHead();
            // Four publishes a second, each revoking the grant: the queries between them answer without asking.
            for (int i = 0; i < 400; i++) {
                long acknowledged = holder.indexedHead();
                long seen = blockNumber(otherUrl);
                assertThat(seen).as("query %d of the second process after the holder acknowledged %d", i,
                        acknowledged).isGreaterThanOrEqualTo(acknowledged);
            }
            assertThat(holder.indexedHead()).as("the holder kept publishing while granting").isGreaterThan(startHead);
            assertThat(other.index().stats().readLeaseAnswers()).as("answers under a read lease").isPositive();
            long[] leases = view.leaseCounts();
            assertThat(leases[0]).as("grants").isPositive();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (view.leaseCounts()[1] == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(view.leaseCounts()[1]).as("revocations received and acknowledged").isPositive();
            assertThat(other.index().stats().readLeaseRenewals()).as("leases renewed off the query path after a "
                    + "revocation").isPositive();
            assertThat(get(otherUrl + "/metrics").body()).contains("fli_read_lease_answers_total",
                    "fli_read_lease_renewals_total");
        } finally {
            holder.close();
            other.close();
        }
    }
}
