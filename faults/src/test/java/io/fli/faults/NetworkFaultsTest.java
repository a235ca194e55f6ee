package io.fli.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import eu.rekawek.toxiproxy.Proxy;
import eu.rekawek.toxiproxy.ToxiproxyClient;
import eu.rekawek.toxiproxy.model.ToxicDirection;
import io.fli.backends.CqlConfig;
import io.fli.backends.LocalBackends;
import io.fli.backends.MinioBlobStore;
import io.fli.backends.Resilience;
import io.fli.backends.S3Config;
import io.fli.backends.ScyllaMetaStore;
import io.fli.engine.BackendException;
import io.fli.engine.BlobStore;
import io.fli.engine.Block;
import io.fli.engine.FliException;
import io.fli.engine.Health;
import io.fli.engine.IndexConfig;
import io.fli.engine.Log;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.MatchedLog;
import io.fli.engine.MetaStore;
import io.fli.engine.OutcomeUnknownException;
import io.fli.engine.WriteHook;
import io.fli.engine.Writer;
import io.fli.faults.net.ToxiproxyServer;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.core.IntervalFunction;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The seed's §6.3 items 3 and 4 again, through network faults between the engine and the real local servers: S3
 * unreachable or slow before and after the blob write, CQL hung or reset during the state CAS. Nothing partial
 * becomes visible, unknown outcomes are resolved, ingest resumes once the fault heals, and the answers equal a
 * brute-force scan. Then the failure policy itself: bounded, reproducible backoff; the breaker opens, the index reports
 * throttled, and both recover.
 */
class NetworkFaultsTest {
    private static final LogQuery ALL = LogQuery.range(null, null, null, null);
    private static LocalBackends servers;
    private static ToxiproxyServer toxiproxy;
    private static NetworkNemesis net;
    private final List<Block> chain = chain(11, 40);

    @BeforeAll
    static void start() {
        Path dir = Path.of(System.getProperty("fli.work", "target/backends"), "net-" + ProcessHandle.current().pid());
        servers = new LocalBackends(dir).start();
        try {
            toxiproxy = ToxiproxyServer.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ToxiproxyClient client = new ToxiproxyClient(toxiproxy.host(), toxiproxy.port());
        net = NetworkNemesis.create(client, Map.of("meta", "127.0.0.1:" + servers.cassandra().cqlPort(),
                "blob", servers.s3("x").hostPort()), Duration.ofMillis(500));
    }

    @AfterAll
    static void stop() {
        if (toxiproxy != null) {
            toxiproxy.close();
        }
        if (servers != null) {
            servers.close();
        }
    }

    @AfterEach
    void heal() {
        net.teardown();
    }

    private static String name(String prefix) {
        return prefix + Long.toHexString(System.nanoTime());
    }

    private static CqlConfig cql() {
        return servers.cql(name("k")).withContactPoint(net.listen("meta"));
    }

    private static S3Config s3(Duration timeout) {
        S3Config c = servers.s3(name("b"));
        return new S3Config("http://" + net.listen("blob"), c.accessKey(), c.secretKey(), c.bucket(), timeout);
    }

    static List<Block> chain(long seed, int blocks) {
        Random r = new Random(seed);
        List<Block> out = new ArrayList<>();
        String parent = null;
        for (int n = 1; n <= blocks; n++) {
            List<Log> logs = new ArrayList<>();
            for (int i = 0; i < 1 + r.nextInt(5); i++) {
                logs.add(new Log(i, i, "0xa" + r.nextInt(5), List.of("0xt" + r.nextInt(3)), "0xd" + n + "_" + i));
            }
            String hash = "0xh" + seed + "_" + n;
            out.add(new Block(n, hash, parent, logs));
            parent = hash;
        }
        return out;
    }

    private void assertExact(LogIndex index, long head) {
        index.dropCaches();
        assertThat(index.head()).isEqualTo(head);
        List<MatchedLog> expected = new ArrayList<>();
        for (Block b : chain) {
            if (b.number() <= head) {
                b.logs().forEach(l -> expected.add(new MatchedLog(b.number(), b.hash(), l)));
            }
        }
        assertThat(index.query(ALL).logs()).isEqualTo(expected);
    }

    /** Publishes until it succeeds (the fault healed, the breaker half-opened), bounded. */
    private static void publishEventually(Writer w, List<Block> batch) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        FliException last = null;
        while (System.nanoTime() < deadline) {
            try {
                w.publish(batch);
                return;
            } catch (BackendException | OutcomeUnknownException e) {
                last = e;
                sleep(300);
            }
        }
        fail("publish did not succeed within 60 s after the fault healed", last);
    }

    /** The head, read again until CQL answers (its breaker may still be open right after the fault). */
    private static Long headEventually(LogIndex index) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                index.dropCaches();
                return index.head();
            } catch (BackendException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                sleep(300);
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs an armed action once, at the next write whose key matches, before or after it. */
    private static final class Trigger implements WriteHook {
        private final Predicate<String> key;
        private final boolean before;
        private final AtomicReference<Runnable> action = new AtomicReference<>();
        private volatile boolean fired;

        Trigger(Predicate<String> key, boolean before) {
            this.key = key;
            this.before = before;
        }

        void arm(Runnable a) {
            action.set(a);
        }

        private void fire(String k, boolean isBefore) {
            if (isBefore == before && key.test(k)) {
                Runnable a = action.getAndSet(null);
                if (a != null) {
                    a.run();
                    fired = true;
                }
            }
        }

        @Override
        public void beforeWrite(WritePoint p) {
            fire(p.key(), true);
        }

        @Override
        public void afterWrite(WritePoint p) {
            fire(p.key(), false);
        }
    }

    private interface IoAction {
        void run() throws IOException;
    }

    private static Runnable io(IoAction a) {
        return () -> {
            try {
                a.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    private static void healLater(long ms) {
        Thread t = new Thread(() -> {
            sleep(ms);
            net.teardown();
        }, "heal");
        t.setDaemon(true);
        t.start();
    }

    // ------------------------------------------------------------------ S3

    private void s3Unreachable(boolean beforeBlobWrite) {
        try (ScyllaMetaStore meta = ScyllaMetaStore.connect(cql());
             MinioBlobStore real = MinioBlobStore.connect(s3(Duration.ofSeconds(1)))) {
            Trigger t = new Trigger(k -> k.startsWith("packs/"), beforeBlobWrite);
            LogIndex index = LogIndex.open(meta, BlobStore.hooked(real, t), IndexConfig.defaults());
            Writer w = index.writer("w1");
            w.acquire();
            w.publish(chain.subList(0, 10));
            Proxy blob = net.proxy("blob");
            t.arm(io(blob::disable));
            assertThatThrownBy(() -> w.publish(chain.subList(10, 20))).isInstanceOf(BackendException.class)
                    .hasMessageContaining("s3");
            assertThat(t.fired).isTrue();
            // Nothing partial is visible: the state (in CQL, reachable) still says head 10.
            assertThat(index.head()).isEqualTo(10);
            net.teardown();
            publishEventually(w, chain.subList(10, 20));
            w.publish(chain.subList(20, 40));
            assertExact(index, 40);
        }
    }

    @Test
    void s3RefusedBeforeTheBlobWriteFailsCleanlyAndIngestResumes() {
        s3Unreachable(true);
    }

    @Test
    void s3RefusedAfterTheBlobWriteLeavesNothingVisibleAndIngestResumes() {
        s3Unreachable(false);
    }

    @Test
    void s3HungBeforeTheBlobWriteTimesOutCleanlyAndIngestResumes() {
        try (ScyllaMetaStore meta = ScyllaMetaStore.connect(cql());
             MinioBlobStore real = MinioBlobStore.connect(s3(Duration.ofSeconds(1)))) {
            Trigger t = new Trigger(k -> k.startsWith("packs/"), true);
            LogIndex index = LogIndex.open(meta, BlobStore.hooked(real, t), IndexConfig.defaults());
            Writer w = index.writer("w1");
            w.acquire();
            w.publish(chain.subList(0, 10));
            t.arm(io(() -> {
                net.proxy("blob").toxics().timeout("hang-up", ToxicDirection.UPSTREAM, 0);
                net.proxy("blob").toxics().timeout("hang-down", ToxicDirection.DOWNSTREAM, 0);
            }));
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> w.publish(chain.subList(10, 20))).isInstanceOf(BackendException.class);
            // Bounded: four attempts of a one-second timeout plus backoff, not forever.
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
            assertThat(index.head()).isEqualTo(10);
            net.teardown();
            publishEventually(w, chain.subList(10, 20));
            assertExact(index, 20);
        }
    }

    @Test
    void s3SlowDuringIngestOnlySlowsItDown() throws IOException {
        try (ScyllaMetaStore meta = ScyllaMetaStore.connect(cql());
             MinioBlobStore blobs = MinioBlobStore.connect(s3(Duration.ofSeconds(4)))) {
            LogIndex index = LogIndex.open(meta, blobs, IndexConfig.defaults());
            Writer w = index.writer("w1");
            w.acquire();
            w.publish(chain.subList(0, 10));
            net.proxy("blob").toxics().latency("slow", ToxicDirection.DOWNSTREAM, 300);
            long t0 = System.nanoTime();
            w.publish(chain.subList(10, 20));
            // Two blob writes, each at least one slowed reply.
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(600));
            assertExact(index, 20);
        }
    }

    // ------------------------------------------------------------------ CQL at the state CAS

    private void cqlFaultAtTheStateCas(IoAction fault, long healAfterMillis, boolean replyCannotArrive) {
        try (ScyllaMetaStore real = ScyllaMetaStore.connect(cql());
             MinioBlobStore blobs = MinioBlobStore.connect(s3(Duration.ofSeconds(4)))) {
            Trigger t = new Trigger(k -> k.equals("meta/state"), true);
            LogIndex index = LogIndex.open(MetaStore.hooked(real, t), blobs, IndexConfig.defaults());
            Writer w = index.writer("w1");
            w.acquire();
            w.publish(chain.subList(0, 10));
            t.arm(() -> {
                io(fault).run();
                healLater(healAfterMillis);
            });
            String outcome;
            long t0 = System.nanoTime();
            try {
                w.publish(chain.subList(10, 20));
                outcome = "ok";
            } catch (OutcomeUnknownException e) {
                outcome = "unknown: " + e.getMessage();
            } catch (BackendException e) {
                outcome = "failed: " + e.getMessage();
            }
            assertThat(t.fired).as(outcome).isTrue();
            if (replyCannotArrive) {
                // The reply was lost: the publish either said so, or settled the outcome by re-reading once the
                // fault healed — after its CAS had timed out (4 s), never by hearing a reply.
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).as(outcome)
                        .isGreaterThanOrEqualTo(Duration.ofMillis(3_500));
            }
            // Whatever the answer was, re-reading settles it: the head is 10 or 20, never anything partial, and
            // publishing the same batch again is safe either way.
            sleep(healAfterMillis + 500);
            assertThat(headEventually(index)).as(outcome).isIn(10L, 20L);
            publishEventually(w, chain.subList(10, 20));
            w.publish(chain.subList(20, 40));
            assertExact(index, 40);
        }
    }

    @Test
    void cqlHungDuringTheStateCasIsSettledByReReading() {
        cqlFaultAtTheStateCas(() -> {
            net.proxy("meta").toxics().timeout("hang-up", ToxicDirection.UPSTREAM, 0);
            net.proxy("meta").toxics().timeout("hang-down", ToxicDirection.DOWNSTREAM, 0);
        }, 5_000, true);
    }

    @Test
    void cqlResetDuringTheStateCasIsSettledByReReading() {
        cqlFaultAtTheStateCas(() -> net.proxy("meta").toxics()
                .resetPeer("rst", ToxicDirection.DOWNSTREAM, 0), 1_000, false);
    }

    @Test
    void cqlRepliesLostAfterTheCasReachedTheServerAreResolved() {
        // The request goes through; the reply is dropped on the way back: the CAS is applied, the client times out.
        cqlFaultAtTheStateCas(() -> net.proxy("meta").toxics()
                .timeout("lose-replies", ToxicDirection.DOWNSTREAM, 0), 5_000, true);
    }

    // ------------------------------------------------------------------ the failure policy under network faults

    @Test
    void retriesAreBoundedWithReproducibleBackoffAndTheBreakerOpensAndRecovers() throws IOException {
        try (ScyllaMetaStore meta = ScyllaMetaStore.connect(cql());
             MinioBlobStore blobs = MinioBlobStore.connect(s3(Duration.ofSeconds(1)), 42)) {
            LogIndex index = LogIndex.open(meta, blobs, IndexConfig.defaults());
            Writer w = index.writer("w1");
            w.acquire();
            w.publish(chain.subList(0, 5));
            assertThat(index.health().status()).isEqualTo(Health.Status.OK);
            List<Long> waits = new CopyOnWriteArrayList<>();
            List<String> transitions = new CopyOnWriteArrayList<>();
            blobs.resilience().retry().getEventPublisher().onRetry(e -> waits.add(e.getWaitInterval().toMillis()));
            blobs.resilience().breaker().getEventPublisher()
                    .onStateTransition(e -> transitions.add(e.getStateTransition().getToState().name()));

            net.proxy("blob").disable();
            assertThatThrownBy(() -> blobs.get("packs/none")).isInstanceOf(BackendException.class)
                    .hasMessageContaining("s3");
            // Bounded: four attempts, three waits, exactly the seeded sequence (first 50 ms, x2, ±50% jitter).
            IntervalFunction expected = Resilience.backoff(Duration.ofMillis(50), 42 ^ "s3".hashCode());
            assertThat(waits).containsExactly(expected.apply(1), expected.apply(2), expected.apply(3));
            assertThat(waits.get(0)).isBetween(25L, 75L);
            assertThat(waits.get(1)).isBetween(50L, 150L);
            assertThat(waits.get(2)).isBetween(100L, 300L);

            // Failures keep coming: the breaker opens, calls are held back at once, the index says throttled.
            for (int i = 0; i < 3 && blobs.resilience().breaker().getState() == CircuitBreaker.State.CLOSED; i++) {
                assertThatThrownBy(() -> blobs.get("packs/none")).isInstanceOf(BackendException.class);
            }
            assertThat(blobs.resilience().breaker().getState()).isEqualTo(CircuitBreaker.State.OPEN);
            assertThat(index.health().status()).isEqualTo(Health.Status.THROTTLED);
            assertThat(index.health().reason()).contains("s3 circuit breaker open");
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> blobs.get("packs/none")).hasMessageContaining("circuit breaker open");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(200));

            // Healed: after the open interval the breaker lets calls through, they succeed, it closes.
            net.teardown();
            publishEventually(w, chain.subList(5, 10));
            w.publish(chain.subList(10, 15));
            assertThat(blobs.resilience().breaker().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
            assertThat(transitions).containsSubsequence("OPEN", "HALF_OPEN", "CLOSED");
            assertThat(index.health().status()).isEqualTo(Health.Status.OK);
            assertExact(index, 15);
        }
    }
}
