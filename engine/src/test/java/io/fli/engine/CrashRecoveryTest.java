package io.fli.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The crash-injection matrix: the writer process dies at every write and CAS boundary of acquire, publish (with
 * merges), renewal and GC — before the write and after it — and a restarted writer resumes.
 */
class CrashRecoveryTest {
    enum Phase { BEFORE, AFTER }

    /** Crashes (or loses the reply of) the n-th write. */
    static final class FaultAt implements WriteHook {
        final int target;
        final Phase phase;
        final boolean lostReply;
        final AtomicInteger seen = new AtomicInteger();
        final List<WritePoint> points = new ArrayList<>();
        volatile boolean armed = true;

        FaultAt(int target, Phase phase, boolean lostReply) {
            this.target = target;
            this.phase = phase;
            this.lostReply = lostReply;
        }

        @Override
        public void beforeWrite(WritePoint p) {
            synchronized (points) {
                points.add(p);
            }
            if (armed && phase == Phase.BEFORE && seen.get() == target) {
                fire(p);
            }
        }

        @Override
        public void afterWrite(WritePoint p) {
            int n = seen.getAndIncrement();
            if (armed && phase == Phase.AFTER && n == target) {
                fire(p);
            }
        }

        private void fire(WritePoint p) {
            armed = false;
            if (phase == Phase.BEFORE) {
                seen.incrementAndGet();
            }
            if (lostReply) {
                throw new LostReply("reply of " + p + " lost");
            }
            throw new SimulatedCrash("crash " + phase.name().toLowerCase() + " " + p);
        }
    }

    private final List<Block> chain = TestChains.chain(99, 1_000, 48, 5);

    /** The scripted writer session; returns the highest acknowledged head. */
    private long session(LogIndex index, ManualClock clock, long[] acked) {
        Writer w = index.writer("w1");
        w.acquire();
        for (int i = 0; i < chain.size(); i += 6) {
            List<Block> batch = chain.subList(i, Math.min(chain.size(), i + 6));
            PublishResult r = againAfterBackendError(() -> w.publish(batch));
            acked[0] = Math.max(acked[0], r.head());
            if (i == 24) {
                w.renew();
                clock.advance(Duration.ofMinutes(11));
                againAfterBackendError(w::gc);
            }
        }
        clock.advance(Duration.ofMinutes(11));
        againAfterBackendError(w::gc);
        return acked[0];
    }

    /**
     * As any ingester does: a call that failed on a backend error (a blob put or delete whose reply was lost; the
     * engine adds no retry layer of its own on top of the store's) made nothing visible and is simply called again.
     */
    private static <T> T againAfterBackendError(java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (BackendException e) {
            return call.get();
        }
    }

    private int countWrites() {
        FaultAt counter = new FaultAt(-1, Phase.BEFORE, false);
        ManualClock clock = new ManualClock(0);
        LogIndex index = LogIndex.open(MetaStore.inMemory(counter), BlobStore.inMemory(counter, clock), config(clock));
        session(index, clock, new long[]{-1});
        assertThat(counter.points).extracting(WriteHook.WritePoint::op).contains("putIfAbsent", "cas", "delete");
        return counter.seen.get();
    }

    private static IndexConfig config(ManualClock clock) {
        return IndexConfig.defaults().withClock(clock).withMergeFanout(2).withLeaseDuration(Duration.ofSeconds(30))
                .withBackgroundMerges(false);
    }

    @Test
    void aCrashAtAnyWriteBoundaryLosesAndDuplicatesNothingAfterRestart() {
        int writes = countWrites();
        assertThat(writes).isGreaterThan(40);
        for (Phase phase : Phase.values()) {
            for (int k = 0; k < writes; k++) {
                FaultAt hook = new FaultAt(k, phase, false);
                ManualClock clock = new ManualClock(0);
                MetaStore meta = MetaStore.inMemory(hook);
                BlobStore blobs = BlobStore.inMemory(hook, clock);
                long[] acked = {-1};
                LogIndex first = LogIndex.open(meta, blobs, config(clock));
                assertThatThrownBy(() -> session(first, clock, acked)).as("write %d %s", k, phase)
                        .isInstanceOf(WriteHook.SimulatedCrash.class);
                // Restart: a new process over the same stores.
                LogIndex reopened = LogIndex.open(meta, blobs, config(clock));
                Long head = reopened.head();
                String where = "crash " + phase + " write " + k + " " + hook.points.get(k);
                if (acked[0] >= 0) {
                    assertThat(head).as(where).isNotNull().isGreaterThanOrEqualTo(acked[0]);
                }
                LogQuery all = LogQuery.range(null, null, null, null);
                long visible = head == null ? -1 : head;
                assertThat(reopened.query(all).logs()).as(where).isEqualTo(TestChains.bruteForce(chain, all, visible));
                // The restarted writer resumes from the beginning; already indexed blocks are skipped.
                clock.advance(Duration.ofMinutes(1));
                session(reopened, clock, new long[]{-1});
                assertThat(reopened.head()).as(where).isEqualTo(1_047);
                assertThat(reopened.query(all).logs()).as(where).isEqualTo(TestChains.bruteForce(chain, all, 1_047));
                assertThat(reopened.health().status()).isEqualTo(Health.Status.OK);
            }
        }
    }

    @Test
    void lostRepliesAtAnyWriteAreResolvedByReReadingWithoutACrash() {
        int writes = countWrites();
        for (Phase phase : Phase.values()) {
            for (int k = 0; k < writes; k++) {
                FaultAt hook = new FaultAt(k, phase, true);
                ManualClock clock = new ManualClock(0);
                MetaStore meta = MetaStore.inMemory(hook);
                BlobStore blobs = BlobStore.inMemory(hook, clock);
                LogIndex index = LogIndex.open(meta, blobs, config(clock));
                long acked = session(index, clock, new long[]{-1});
                String where = "lost reply " + phase + " write " + k + " " + hook.points.get(k);
                assertThat(acked).as(where).isEqualTo(1_047);
                LogQuery all = LogQuery.range(null, null, null, null);
                assertThat(index.query(all).logs()).as(where).isEqualTo(TestChains.bruteForce(chain, all, 1_047));
            }
        }
    }

    // ------------------------------------------------------------------ racing writers

    /**
     * Two writers on the same stores, scripted: a publishes, b takes the lease over, a's publish is fenced, b
     * publishes, a is refused the lease, b renews and collects garbage, b's lease runs out, a acquires, b's publish is
     * fenced, a publishes the rest and collects garbage. Returns the highest acknowledged head.
     */
    private long racingSession(LogIndex processA, LogIndex processB, ManualClock clock, long[] acked) {
        Writer a = processA.writer("a");
        Writer b = processB.writer("b");
        a.acquire();
        acked[0] = Math.max(acked[0], a.publish(chain.subList(0, 6)).head());
        acked[0] = Math.max(acked[0], a.publish(chain.subList(6, 12)).head());
        b.takeOver();
        try {
            b.publish(chain.subList(12, 18));
            org.assertj.core.api.Assertions.fail("b published while a could still answer from its lease");
        } catch (LeaseHeldException expected) {
            // b waits out a's lease
        }
        clock.advance(Duration.ofSeconds(31));
        expectFenced(() -> a.publish(chain.subList(12, 18)), "a, after b took over");
        acked[0] = Math.max(acked[0], b.publish(chain.subList(12, 18)).head());
        acked[0] = Math.max(acked[0], b.publish(chain.subList(18, 24)).head());
        try {
            a.acquire();
            org.assertj.core.api.Assertions.fail("a acquired a lease b holds");
        } catch (LeaseHeldException expected) {
            // refused: b's lease is live
        }
        b.renew();
        clock.advance(Duration.ofMinutes(11));
        b.gc();
        clock.advance(Duration.ofMinutes(1)); // b's lease runs out
        a.acquire();
        expectFenced(() -> b.publish(chain.subList(24, 30)), "b, after a acquired");
        for (int i = 24; i < chain.size(); i += 6) {
            acked[0] = Math.max(acked[0], a.publish(chain.subList(i, Math.min(chain.size(), i + 6))).head());
        }
        clock.advance(Duration.ofMinutes(11));
        a.gc();
        return acked[0];
    }

    private static void expectFenced(Runnable publish, String who) {
        try {
            publish.run();
            org.assertj.core.api.Assertions.fail("a fenced writer published: " + who);
        } catch (FencedException expected) {
            // the fence held
        }
    }

    @Test
    void racingWritersCrashedAtAnyWriteBoundaryLoseAndDuplicateNothingAndNeverLetAFencedWriterPublish() {
        FaultAt counter = new FaultAt(-1, Phase.BEFORE, false);
        ManualClock countClock = new ManualClock(0);
        MetaStore countMeta = MetaStore.inMemory(counter);
        BlobStore countBlobs = BlobStore.inMemory(counter, countClock);
        racingSession(LogIndex.open(countMeta, countBlobs, config(countClock)),
                LogIndex.open(countMeta, countBlobs, config(countClock)), countClock, new long[]{-1});
        int writes = counter.seen.get();
        assertThat(writes).isGreaterThan(40);
        LogQuery all = LogQuery.range(null, null, null, null);
        int crashed = 0;
        for (Phase phase : Phase.values()) {
            for (int k = 0; k < writes; k++) {
                FaultAt hook = new FaultAt(k, phase, false);
                ManualClock clock = new ManualClock(0);
                MetaStore meta = MetaStore.inMemory(hook);
                BlobStore blobs = BlobStore.inMemory(hook, clock);
                long[] acked = {-1};
                LogIndex first = LogIndex.open(meta, blobs, config(clock));
                LogIndex second = LogIndex.open(meta, blobs, config(clock));
                String where = "crash " + phase + " write " + k;
                assertThatThrownBy(() -> racingSession(first, second, clock, acked)).as(where)
                        .isInstanceOf(WriteHook.SimulatedCrash.class);
                crashed++;
                where += " " + hook.points.get(k);
                // Restart: a new process over the same stores; once every lease has run out, a writer takes over.
                LogIndex reopened = LogIndex.open(meta, blobs, config(clock));
                Long head = reopened.head();
                if (acked[0] >= 0) {
                    assertThat(head).as(where).isNotNull().isGreaterThanOrEqualTo(acked[0]);
                }
                long visible = head == null ? -1 : head;
                assertThat(reopened.query(all).logs()).as(where).isEqualTo(TestChains.bruteForce(chain, all, visible));
                clock.advance(Duration.ofMinutes(2));
                Writer c = reopened.writer("c");
                c.acquire();
                for (int i = 0; i < chain.size(); i += 6) {
                    c.publish(chain.subList(i, Math.min(chain.size(), i + 6)));
                }
                assertThat(reopened.head()).as(where).isEqualTo(1_047);
                reopened.dropCaches();
                assertThat(reopened.query(all).logs()).as(where).isEqualTo(TestChains.bruteForce(chain, all, 1_047));
                assertThat(reopened.health().status()).as(where).isEqualTo(Health.Status.OK);
            }
        }
        assertThat(crashed).isEqualTo(2 * writes);
    }

    @Test
    void theRacingScriptCatchesAFenceCheckedOutsideTheCas() {
        ManualClock clock = new ManualClock(0);
        MetaStore meta = MetaStore.inMemory();
        BlobStore blobs = BlobStore.inMemory(WriteHook.NONE, clock);
        LogIndex brokenA = io.fli.engine.internal.BrokenForTests.fenceOutsideCas(meta, blobs, config(clock));
        LogIndex brokenB = io.fli.engine.internal.BrokenForTests.fenceOutsideCas(meta, blobs, config(clock));
        assertThatThrownBy(() -> racingSession(brokenA, brokenB, clock, new long[]{-1}))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("a fenced writer published");
    }
}
