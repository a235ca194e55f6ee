package io.fli.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fli.engine.internal.InMemoryBlobStore;
import io.fli.engine.internal.InMemoryMetaStore;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

class FailClosedTest {
    private final InMemoryMetaStore meta = new InMemoryMetaStore(WriteHook.NONE);
    private final InMemoryBlobStore blobs = new InMemoryBlobStore(WriteHook.NONE, Clock.systemUTC());
    private final List<Block> chain = TestChains.chain(5, 0, 12, 4);
    private final LogQuery all = LogQuery.range(null, null, null, null);

    private LogIndex published() {
        LogIndex index = LogIndex.open(meta, blobs, IndexConfig.defaults());
        Writer w = index.writer("w1");
        w.acquire();
        w.publish(chain.subList(0, 6));
        w.publish(chain.subList(6, 12));
        return index;
    }

    private static byte[] flip(byte[] b, int at) {
        byte[] c = b.clone();
        c[at % c.length] ^= 0x10;
        return c;
    }

    private void assertFailedClosed(LogIndex index, String reason) {
        assertThatThrownBy(() -> index.query(all)).isInstanceOf(DegradedException.class)
                .hasMessageStartingWith("degraded: ").hasMessageContaining(reason);
        assertThat(index.health().status()).isEqualTo(Health.Status.DEGRADED);
        assertThat(index.health().reason()).contains(reason);
        Writer w = index.writer("w9");
        assertThatThrownBy(() -> w.publish(chain.subList(0, 1))).isInstanceOf(DegradedException.class);
    }

    @Test
    void aDamagedLogPackIsNeverServed() {
        published();
        for (BlobStore.BlobInfo b : blobs.list("packs/")) {
            blobs.corrupt(b.key(), flip(blobs.get(b.key()).orElseThrow(), 40));
        }
        assertFailedClosed(LogIndex.open(meta, blobs, IndexConfig.defaults()), "checksum mismatch");
    }

    @Test
    void clearingTheDegradedStateIsRefusedWhileTheDamageIsThereAndServesAgainOnceItIsRepaired() {
        published();
        String key = blobs.list("packs/").get(0).key();
        byte[] good = blobs.get(key).orElseThrow();
        blobs.corrupt(key, flip(good, 40));
        LogIndex index = LogIndex.open(meta, blobs, IndexConfig.defaults());
        assertFailedClosed(index, "checksum mismatch");
        assertThatThrownBy(() -> index.clearDegraded("operator: pack restored"))
                .isInstanceOf(DegradedException.class).hasMessageContaining("still degraded")
                .hasMessageContaining("pack " + key);
        assertThat(index.health().status()).isEqualTo(Health.Status.DEGRADED);

        blobs.corrupt(key, good); // restored from a backup
        assertThat(index.clearDegraded("operator: pack restored").status()).isEqualTo(Health.Status.OK);
        assertThat(index.query(all).logs()).hasSize(chain.stream().mapToInt(b -> b.logs().size()).sum());
    }

    @Test
    void aDamagedIndexSegmentIsNeverServed() {
        published();
        String key = blobs.list("index/").get(0).key();
        blobs.corrupt(key, flip(blobs.get(key).orElseThrow(), 30));
        assertFailedClosed(LogIndex.open(meta, blobs, IndexConfig.defaults()), key);
    }

    @Test
    void aDamagedStateRecordFailsClosed() {
        published();
        meta.corrupt("meta/state", flip(meta.get("meta/state").orElseThrow().value(), 20));
        assertFailedClosed(LogIndex.open(meta, blobs, IndexConfig.defaults()), "meta/state");
    }

    @Test
    void aMissingReferencedBlobFailsClosed() {
        published();
        for (BlobStore.BlobInfo b : blobs.list("packs/")) {
            blobs.delete(b.key());
        }
        assertFailedClosed(LogIndex.open(meta, blobs, IndexConfig.defaults()), "is missing");
    }

    @Test
    void aTruncatedBlobIsReportedNotAllocated() {
        published();
        String key = blobs.list("packs/").get(0).key();
        byte[] b = blobs.get(key).orElseThrow();
        blobs.corrupt(key, java.util.Arrays.copyOf(b, 10));
        assertFailedClosed(LogIndex.open(meta, blobs, IndexConfig.defaults()), "shorter than the 13-byte header");
    }

    @Test
    void cachedDataStaysCorrectAndARestartSeesTheDamage() {
        LogIndex index = published();
        List<MatchedLog> before = index.query(all).logs();
        String key = blobs.list("packs/").get(0).key();
        blobs.corrupt(key, flip(blobs.get(key).orElseThrow(), 50));
        assertThat(index.query(all).logs()).isEqualTo(before);
        index.dropCaches();
        assertFailedClosed(index, "checksum mismatch");
    }
}
