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
    void theSameWriterReacquiringFencesItsEarlierIncarnation() {
        LogIndex index = LogIndex.open(meta, blobs, config);
        Writer old = index.writer("w1");
        old.acquire();
        old.publish(chain.subList(0, 3));
        Writer restarted = LogIndex.open(meta, blobs, config).writer("w1");
        assertThat(restarted.acquire()).isEqualTo(2);
        assertThatThrownBy(() -> old.publish(chain.subList(3, 6))).isInstanceOf(FencedException.class);
        assertThat(restarted.publish(chain.subList(3, 6)).head()).isEqualTo(5);
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
