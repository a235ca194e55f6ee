package io.fli.backends;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import io.fli.engine.BackendException;
import io.fli.engine.Block;
import io.fli.engine.FliException;
import io.fli.engine.Health;
import io.fli.engine.IndexConfig;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.OutcomeUnknownException;
import io.fli.engine.Writer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The seed's §6.3 items 2–4 on the real servers: a restart of both servers and the engine between ingest and
 * query; the S3 server killed or paused before and after the blob write; the CQL server paused or killed at the
 * state CAS. Each asserts what a user would check: nothing partial is visible, nothing acknowledged is lost, the
 * answers equal a brute-force scan, and ingest resumes once the server is back.
 */
class OutageTest {
    private static final LogQuery ALL = LogQuery.range(null, null, null, null);
    private final LocalBackends b = SharedBackends.get();
    private final List<Block> chain = RoundTripTest.chain(7, 40);

    @AfterEach
    void serversBackUp() {
        b.s3().resume();
        b.cassandra().resume();
        b.s3().start();
        b.cassandra().start();
    }

    private static String name(String prefix) {
        return prefix + Long.toHexString(System.nanoTime());
    }

    /** Publishes until it succeeds (the server is back, the breaker half-opens), bounded. */
    private static void publishEventually(Writer w, List<Block> batch) {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        FliException last = null;
        while (System.nanoTime() < deadline) {
            try {
                w.publish(batch);
                return;
            } catch (BackendException | OutcomeUnknownException e) {
                last = e;
                LocalServer.sleep(500);
            }
        }
        fail("publish did not succeed within 90 s after the outage", last);
    }

    private void assertExact(LogIndex index, long head) {
        index.dropCaches();
        assertThat(index.head()).isEqualTo(head);
        assertThat(index.query(ALL).logs()).isEqualTo(RoundTripTest.expected(chain, ALL, head));
        assertThat(index.health().status()).isNotEqualTo(Health.Status.DEGRADED);
    }

    private void s3Outage(Intercept.When when, boolean pause) {
        String bucket = name("s3-");
        try (ScyllaMetaStore meta = ScyllaMetaStore.connect(b.cql(name("k")));
             MinioBlobStore real = MinioBlobStore.connect(new S3Config(b.s3().endpoint(), b.s3().accessKey(),
                     b.s3().secretKey(), bucket, Duration.ofSeconds(1)))) {
            Intercept.Trigger t = new Intercept.Trigger(k -> k.startsWith("packs/"), when);
            LogIndex index = LogIndex.open(meta, Intercept.blobs(real, t), IndexConfig.defaults());
            Writer w = index.writer("w1");
            w.acquire();
            w.publish(chain.subList(0, 10));
            t.arm(pause ? b.s3()::pause : b.s3()::kill);
            assertThatThrownBy(() -> w.publish(chain.subList(10, 20))).isInstanceOf(BackendException.class)
                    .hasMessageContaining("s3");
            assertThat(t.fired()).isTrue();
            // Nothing partial is visible: the state (in CQL, still up) still says head 9... of blocks 1..10.
            assertThat(index.head()).isEqualTo(10);
            assertThat(real.throttledReason()).isPresent();
            assertThat(index.health().status()).isEqualTo(Health.Status.THROTTLED);
            if (pause) {
                b.s3().resume();
            } else {
                b.s3().start();
            }
            publishEventually(w, chain.subList(10, 20));
            w.publish(chain.subList(20, 40));
            assertExact(index, 40);
        }
    }

    @Test
    void s3KilledBeforeTheBlobWriteFailsCleanlyAndIngestResumes() {
        s3Outage(Intercept.When.BEFORE, false);
    }

    @Test
    void s3KilledAfterTheBlobWriteLeavesNothingVisibleAndIngestResumes() {
        s3Outage(Intercept.When.AFTER, false);
    }

    @Test
    void s3PausedBeforeTheBlobWriteTimesOutCleanlyAndIngestResumes() {
        s3Outage(Intercept.When.BEFORE, true);
    }

    @Test
    void s3PausedAfterTheBlobWriteLeavesNothingVisibleAndIngestResumes() {
        s3Outage(Intercept.When.AFTER, true);
    }

    private void cqlOutageAtStateCas(boolean pause) {
        String ks = name("k");
        try (ScyllaMetaStore real = ScyllaMetaStore.connect(b.cql(ks));
             ScyllaMetaStore otherProcess = ScyllaMetaStore.connect(b.cql(ks));
             MinioBlobStore blobs = MinioBlobStore.connect(b.s3(name("cql-")))) {
            // A second process that does not hold the lease: it reads meta/state (SERIAL) for every query.
            LogIndex reader = LogIndex.open(otherProcess, blobs, IndexConfig.defaults());
            Intercept.Trigger t = new Intercept.Trigger(k -> k.equals("meta/state"), Intercept.When.BEFORE);
            LogIndex index = LogIndex.open(Intercept.meta(real, t), blobs, IndexConfig.defaults());
            Writer w = index.writer("w1");
            w.acquire();
            w.publish(chain.subList(0, 10));
            if (pause) {
                // Paused at the CAS; resumed a moment later: the timed-out CAS may be applied on SIGCONT.
                t.arm(() -> {
                    b.cassandra().pause();
                    Thread resume = new Thread(() -> {
                        LocalServer.sleep(3_000);
                        b.cassandra().resume();
                    });
                    resume.setDaemon(true);
                    resume.start();
                });
            } else {
                t.arm(b.cassandra()::kill);
            }
            Long acked = null;
            try {
                acked = w.publish(chain.subList(10, 20)).head();
            } catch (BackendException | OutcomeUnknownException e) {
                // An honest failure (which one depends on timing) names what failed; the state settles either way.
                assertThat(e.getMessage()).containsAnyOf("cql", "meta/state");
            }
            assertThat(t.fired()).isTrue();
            if (acked != null) {
                // Paused, not killed: the CAS went through once the server woke within the request timeout.
                assertThat(pause).isTrue();
                assertThat(acked).isEqualTo(20);
            }
            if (!pause) {
                // While CQL is down a process without the lease cannot read meta/state: its queries fail cleanly
                // (a backend error, never degraded, never a stale answer) and its health turns THROTTLED once the
                // CQL circuit breaker opens.
                for (int i = 0; i < 3; i++) {
                    assertThatThrownBy(() -> reader.query(ALL)).isInstanceOf(BackendException.class)
                            .hasMessageContaining("cql");
                }
                assertThat(reader.health().status()).isEqualTo(Health.Status.THROTTLED);
                assertThat(reader.health().reason()).contains("cql circuit breaker");
                b.cassandra().start();
            }
            publishEventually(w, chain.subList(10, 20));
            w.publish(chain.subList(20, 40));
            assertExact(index, 40);
            // The other process recovers by itself (the breaker half-opens and closes) and sees the same answer.
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (reader.health().status() != Health.Status.OK && System.nanoTime() < deadline) {
                try {
                    reader.query(ALL);
                } catch (BackendException e) {
                    LocalServer.sleep(500);
                }
            }
            assertExact(reader, 40);
            assertThat(reader.health().status()).isEqualTo(Health.Status.OK);
        }
    }

    @Test
    void cqlPausedDuringTheStateCasIsSettledByReReading() {
        cqlOutageAtStateCas(true);
    }

    @Test
    void cqlKilledAtTheStateCasFailsCleanlyAndIngestResumes() {
        cqlOutageAtStateCas(false);
    }

    @Test
    void restartingBothServersAndTheEngineBetweenIngestAndQueryLosesNothing() {
        String ks = name("k");
        String bucket = name("restart-");
        try (ScyllaMetaStore meta = ScyllaMetaStore.connect(b.cql(ks));
             MinioBlobStore blobs = MinioBlobStore.connect(b.s3(bucket))) {
            LogIndex index = LogIndex.open(meta, blobs, IndexConfig.defaults());
            Writer w = index.writer("w1");
            w.acquire();
            w.publish(chain.subList(0, 25));
        }
        b.cassandra().restart();
        b.s3().restart();
        try (ScyllaMetaStore meta = ScyllaMetaStore.connect(b.cql(ks));
             MinioBlobStore blobs = MinioBlobStore.connect(b.s3(bucket))) {
            LogIndex index = LogIndex.open(meta, blobs, IndexConfig.defaults());
            assertExact(index, 25);
            Writer w = index.writer("w1");
            assertThat(w.acquire()).isEqualTo(2);
            // The new process waits out the lease of the one before the restart (it may still serve lease reads).
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                try {
                    w.publish(chain.subList(20, 40));
                    break;
                } catch (io.fli.engine.LeaseHeldException e) {
                    assertThat(e.getMessage()).contains("previous holder");
                    assertThat(System.nanoTime()).isLessThan(deadline);
                    LocalServer.sleep(200);
                }
            }
            assertExact(index, 40);
        }
    }

    /**
     * After S3Proxy restarts, the client's pooled connections are dead. A burst of parallel reads (what a query's
     * prefetch sends) must not all fail on them and open the circuit breaker: each such read is retried once on a
     * fresh connection, so every read succeeds and the breaker stays closed.
     */
    @Test
    void aBurstOfParallelReadsAfterAnS3RestartSucceedsOnFreshConnections() throws Exception {
        int n = 16;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n);
        try (MinioBlobStore blobs = MinioBlobStore.connect(b.s3(name("burst-")))) {
            for (int i = 0; i < n; i++) {
                blobs.putIfAbsent("index/k" + i, new byte[]{(byte) i});
            }
            for (int round = 0; round < 2; round++) {
                if (round == 1) {
                    b.s3().restart(); // the connections the first burst left in the pool are dead now
                }
                List<java.util.concurrent.Future<java.util.Optional<byte[]>>> reads = new java.util.ArrayList<>();
                for (int i = 0; i < n; i++) {
                    String key = "index/k" + i;
                    reads.add(pool.submit(() -> blobs.getRange(key, 0, 1)));
                }
                for (int i = 0; i < n; i++) {
                    assertThat(reads.get(i).get(60, java.util.concurrent.TimeUnit.SECONDS))
                            .as("read %d of burst %d", i, round).hasValueSatisfying(v -> assertThat(v).hasSize(1));
                }
                assertThat(blobs.throttledReason()).as("burst %d", round).isEmpty();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
