package io.fli.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class FencingTest {
    private final ManualClock clock = new ManualClock(1_000_000);
    private final MetaStore meta = MetaStore.inMemory();
    private final BlobStore blobs = BlobStore.inMemory(WriteHook.NONE, clock);
    private final IndexConfig config = IndexConfig.defaults().withClock(clock).withLeaseDuration(Duration.ofSeconds(5));
    private final List<Block> chain = TestChains.chain(21, 0, 30, 4);

    @Test
    void aLiveLeaseKeepsOtherWritersOut() {
        LogIndex index = LogIndex.open(meta, blobs, config);
        Writer w1 = index.writer("w1");
        Writer w2 = index.writer("w2");
        assertThat(w1.acquire()).isEqualTo(1);
        assertThatThrownBy(w2::acquire).isInstanceOf(LeaseHeldException.class)
                .hasMessageContaining("held by writer 'w1' (epoch 1)");
        clock.advance(Duration.ofSeconds(6));
        assertThat(w2.acquire()).isEqualTo(2);
    }

    @Test
    void losingWriterCannotAdvanceHeadAfterFence() {
        LogIndex index = LogIndex.open(meta, blobs, config);
        Writer w1 = index.writer("w1");
        Writer w2 = index.writer("w2");
        w1.acquire();
        w1.publish(chain.subList(0, 10));
        // w1 is paused past its lease; w2 takes over and publishes.
        clock.advance(Duration.ofSeconds(10));
        w2.acquire();
        w2.publish(chain.subList(10, 15));
        StoreSnapshot before = StoreSnapshot.of(meta, blobs);
        // w1 wakes up and tries to continue where it was: fenced, nothing visible.
        assertThatThrownBy(() -> w1.publish(chain.subList(10, 20))).isInstanceOf(FencedException.class)
                .hasMessageContaining("epoch 1 was superseded by epoch 2 held by 'w2'");
        assertThatThrownBy(w1::renew).isInstanceOf(FencedException.class);
        assertThatThrownBy(w1::gc).isInstanceOf(FencedException.class);
        assertThat(meta.get("meta/state")).isEqualTo(before.state());
        assertThat(index.head()).isEqualTo(14);
        LogQuery all = LogQuery.range(null, null, null, null);
        assertThat(index.query(all).logs()).isEqualTo(TestChains.bruteForce(chain, all, 14));
    }

    @Test
    void aFencedWriterWithAStaleCachedStateIsStoppedByTheCasCondition() {
        // w1's cached state still says epoch 1 / version v; the fence inside the CAS must reject it.
        LogIndex index = LogIndex.open(meta, blobs, config);
        Writer w1 = index.writer("w1");
        w1.acquire();
        w1.publish(chain.subList(0, 5));
        Writer w2 = LogIndex.open(meta, blobs, config).writer("w2");
        clock.advance(Duration.ofSeconds(6));
        w2.takeOver();
        assertThatThrownBy(() -> w1.publish(chain.subList(5, 8))).isInstanceOf(FencedException.class);
        assertThat(index.head()).isEqualTo(4);
        // The fenced writer's orphaned blobs are invisible and GC reclaims them after the grace period.
        w2.publish(chain.subList(5, 8));
        assertThat(index.head()).isEqualTo(7);
    }

    @Test
    void aFencedWriterRepublishingIndexedBlocksIsFencedNotAcknowledged() {
        // Nothing to write means no CAS to check the fence: the writer must confirm it holds the lease anyway.
        LogIndex index = LogIndex.open(meta, blobs, config);
        Writer w1 = index.writer("w1");
        w1.acquire();
        w1.publish(chain.subList(0, 5));
        LogIndex.open(meta, blobs, config).writer("w2").takeOver();
        assertThatThrownBy(() -> w1.publish(chain.subList(0, 5))).isInstanceOf(FencedException.class);
    }

    @Test
    void theSameWriterReacquiringFencesItsEarlierIncarnation() {
        LogIndex index = LogIndex.open(meta, blobs, config);
        Writer old = index.writer("w1");
        old.acquire();
        old.publish(chain.subList(0, 3));
        Writer restarted = LogIndex.open(meta, blobs, config).writer("w1");
        assertThat(restarted.acquire()).isEqualTo(2);
        assertThatThrownBy(() -> old.publish(chain.subList(3, 6))).isInstanceOf(FencedException.class);
        // The earlier incarnation's process may answer queries from its lease until it runs out: wait for that.
        assertThatThrownBy(() -> restarted.publish(chain.subList(3, 6))).isInstanceOf(LeaseHeldException.class)
                .hasMessageContaining("previous holder");
        clock.advance(config.leaseDuration().plusSeconds(1));
        assertThat(restarted.publish(chain.subList(3, 6)).head()).isEqualTo(5);
    }

    @Test
    void aWriterTakingOverFromAWriterOfItsOwnProcessNeedNotWait() {
        // The only lease reads the previous holder could serve are this process's own, and the new view replaces them.
        LogIndex index = LogIndex.open(meta, blobs, config);
        Writer old = index.writer("w1");
        old.acquire();
        old.publish(chain.subList(0, 3));
        Writer next = index.writer("w2");
        next.takeOver();
        assertThat(next.publish(chain.subList(3, 6)).head()).isEqualTo(5);
        assertThat(index.head()).isEqualTo(5);
        assertThatThrownBy(() -> old.publish(chain.subList(6, 8))).isInstanceOf(FencedException.class);
    }

    @Test
    void aWriterReacquiringFromItsOwnProcessKeepsTheWaitItInheritedFromAnotherProcess() {
        // Process A holds the lease (and may serve lease reads until it runs out); process B takes it over, so B must
        // not publish before then — nor may B's next writer object (say, after a crash) that re-acquires from B's own.
        LogIndex a = LogIndex.open(meta, blobs, config);
        LogIndex b = LogIndex.open(meta, blobs, config);
        Writer wa = a.writer("a");
        wa.acquire();
        wa.publish(chain.subList(0, 3));
        b.writer("b").takeOver();
        Writer again = b.writer("b"); // a fresh writer object in process B, as after a crash
        again.acquire();
        assertThatThrownBy(() -> again.publish(chain.subList(3, 6))).isInstanceOf(LeaseHeldException.class)
                .hasMessageContaining("previous holder may answer queries from its lease");
        // Meanwhile A still answers from its lease, consistently with what was acknowledged.
        assertThat(a.head()).isEqualTo(2);
        clock.advance(Duration.ofSeconds(7)); // A's lease (5 s) and the skew allowance have run out
        assertThat(again.publish(chain.subList(3, 6)).head()).isEqualTo(5);
        assertThat(a.head()).isEqualTo(5);
    }

    @Test
    void theLeaseHoldersProcessNeverAnswersAnOlderHeadThanAnotherProcessAlreadyReadDuringItsCas() {
        // The moment A's CAS has applied in the store (before A hears the reply), process B reads the new head; a
        // query in A after that must not return the older head from A's lease view.
        LogQuery all = LogQuery.range(null, null, null, null);
        DuringCas duringCas = new DuringCas(meta);
        MetaStore hooked = duringCas.meta;
        LogIndex a = LogIndex.open(hooked, blobs, config);
        LogIndex b = LogIndex.open(meta, blobs, config);
        Writer w = a.writer("a");
        w.acquire();
        w.publish(chain.subList(0, 3));
        assertThat(a.query(all).head()).isEqualTo(2); // answered from A's lease view
        Long[] seen = new Long[2];
        duringCas.next(() -> {
            seen[0] = b.query(all).head(); // the store already says 5
            seen[1] = a.query(all).head(); // A must not say 2 any more
        });
        w.publish(chain.subList(3, 6));
        assertThat(seen[0]).isEqualTo(5);
        assertThat(seen[1]).as("A answered after B had read head 5").isEqualTo(5);
    }

    /** A meta store that counts reads. */
    private static final class CountingMeta implements MetaStore {
        final MetaStore d;
        int gets;

        CountingMeta(MetaStore d) {
            this.d = d;
        }

        @Override
        public java.util.Optional<MetaRecord> get(String key) {
            gets++;
            return d.get(key);
        }

        @Override
        public CasResult putIfAbsent(String key, long epoch, byte[] value) {
            return d.putIfAbsent(key, epoch, value);
        }

        @Override
        public CasResult compareAndSet(String key, long v, long e, long ne, byte[] value) {
            return d.compareAndSet(key, v, e, ne, value);
        }
    }

    @Test
    void theLeaseHolderAnswersFromItsLeaseAndNeverServesAHeadOvertakenByANewHolder() {
        CountingMeta counting = new CountingMeta(meta);
        LogIndex holderProcess = LogIndex.open(counting, blobs, config);
        Writer w1 = holderProcess.writer("w1");
        w1.acquire();
        w1.publish(chain.subList(0, 5));
        int before = counting.gets;
        for (int i = 0; i < 10; i++) {
            assertThat(holderProcess.head()).isEqualTo(4);
            assertThat(holderProcess.query(LogQuery.range(0L, 4L, null, null)).head()).isEqualTo(4);
        }
        assertThat(counting.gets).as("lease reads: no read of meta/state").isEqualTo(before);

        // Another process takes the lease over: it is fenced off at once, but must not publish while the old
        // holder may still answer from its lease.
        LogIndex other = LogIndex.open(meta, blobs, config);
        Writer w2 = other.writer("w2");
        w2.takeOver();
        assertThatThrownBy(() -> w2.publish(chain.subList(5, 8))).isInstanceOf(LeaseHeldException.class);
        clock.advance(config.leaseDuration().plusSeconds(1));
        w2.publish(chain.subList(5, 8));
        // The old holder's lease has run out by its own clock: it reads the store and sees the new head.
        assertThat(holderProcess.head()).isEqualTo(7);
        assertThat(counting.gets).isGreaterThan(before);
        assertThatThrownBy(() -> w1.publish(chain.subList(8, 10))).isInstanceOf(FencedException.class);
    }

    @Test
    void publishingWithoutALeaseIsRefused() {
        Writer w = LogIndex.open(meta, blobs, config).writer("w1");
        assertThatThrownBy(() -> w.publish(chain.subList(0, 1))).isInstanceOf(FencedException.class)
                .hasMessageContaining("has not acquired the lease");
        assertThat(meta.get("meta/state")).isEmpty();
    }

    @Test
    void writerIdsMayNotContainTheHolderSeparator() {
        LogIndex index = LogIndex.open(meta, blobs, config);
        assertThatThrownBy(() -> index.writer("a#b")).isInstanceOf(IllegalArgumentException.class);
    }
}
