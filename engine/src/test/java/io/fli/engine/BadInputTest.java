package io.fli.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BadInputTest {
    private final MetaStore meta = MetaStore.inMemory();
    private final BlobStore blobs = BlobStore.inMemory();
    private final LogIndex index = LogIndex.open(meta, blobs, IndexConfig.defaults());
    private final Writer w = index.writer("w1");
    private final List<Block> chain = TestChains.chain(11, 0, 10, 3);

    @BeforeEach
    void publishFirstHalf() {
        w.acquire();
        w.publish(chain.subList(0, 5));
    }

    private void rejected(List<Block> batch, String message) {
        StoreSnapshot before = StoreSnapshot.of(meta, blobs);
        assertThatThrownBy(() -> w.publish(batch)).isInstanceOf(InvalidBlockException.class)
                .hasMessageContaining(message);
        assertThat(StoreSnapshot.of(meta, blobs)).isEqualTo(before);
        assertThat(index.health().status()).isEqualTo(Health.Status.OK);
        // The writer can carry on with the right batch afterwards.
        assertThat(w.publish(chain.subList(5, 10)).head()).isEqualTo(9);
    }

    private static Block withLog(long n, String hash, String parent, Log log) {
        return new Block(n, hash, parent, List.of(log));
    }

    @Test
    void aGapAfterTheHeadIsRejected() {
        rejected(chain.subList(6, 10), "gap: the next block to index is 5 but the batch continues at block 6");
    }

    @Test
    void aGapInsideTheBatchIsRejected() {
        List<Block> b = new ArrayList<>(chain.subList(5, 10));
        b.remove(2);
        rejected(b, "gap in batch: block 6 is followed by block 8");
    }

    @Test
    void aWrongParentHashIsRejected() {
        Block b5 = chain.get(5);
        rejected(List.of(new Block(5, b5.hash(), "0xwrong", b5.logs())),
                "block 5: parent hash 0xwrong does not match hash " + chain.get(4).hash());
    }

    @Test
    void aWrongParentInsideTheBatchIsRejected() {
        Block b6 = chain.get(6);
        rejected(List.of(chain.get(5), new Block(6, b6.hash(), "0xother", b6.logs())),
                "block 6: parent hash 0xother does not match hash " + chain.get(5).hash() + " of block 5");
    }

    @Test
    void malformedLogsAreRejectedNamingBlockAndLog() {
        String p = chain.get(4).hash();
        rejected(List.of(withLog(5, "0x5", p, new Log(0, 0, "", List.of(), null))), "block 5, log 0: address is missing");
        rejected(List.of(withLog(5, "0x5", p, new Log(-1, 0, "0xa", List.of(), null))), "log index must be >= 0");
        rejected(List.of(withLog(5, "0x5", p, new Log(0, 0, "0xa", List.of("1", "2", "3", "4", "5"), null))),
                "block 5, log 0: 5 topics, at most 4 allowed");
        rejected(List.of(withLog(5, "0x5", p, new Log(0, 0, "0xa", Arrays.asList("1", ""), null))),
                "block 5, log 0: topic 1 is empty");
        rejected(List.of(new Block(5, "0x5", p, List.of(new Log(3, 0, "0xa", List.of(), null),
                new Log(3, 0, "0xb", List.of(), null)))), "block 5: log index 3 appears twice");
        rejected(List.of(new Block(5, "0x5", p, List.of(new Log(0, 2, "0xa", List.of(), null),
                new Log(1, 1, "0xb", List.of(), null)))), "block 5, log 1: tx 1 is lower than tx 2 of log 0");
        rejected(List.of(new Block(5, "", p, List.of())), "block 5: hash is missing");
        rejected(List.of(), "a publish needs at least one block");
    }

    @Test
    void logsAreStoredInLogIndexOrderWhateverTheInputOrder() {
        Block b = new Block(5, "0x5", chain.get(4).hash(), List.of(new Log(2, 1, "0xz", List.of(), null),
                new Log(0, 0, "0xz", List.of(), null), new Log(1, 0, "0xz", List.of(), null)));
        w.publish(List.of(b));
        assertThat(index.query(LogQuery.range(5L, 5L, List.of("0xz"), null)).logs())
                .extracting(m -> m.log().index()).containsExactly(0, 1, 2);
    }

    @Test
    void republishingIndexedBlocksWithTheSameHashIsANoOp() {
        StoreSnapshot before = StoreSnapshot.of(meta, blobs);
        PublishResult r = w.publish(chain.subList(2, 5));
        assertThat(r).isEqualTo(new PublishResult(4, 0, 0));
        assertThat(StoreSnapshot.of(meta, blobs)).isEqualTo(before);
        // A batch overlapping the head indexes only the new part.
        assertThat(w.publish(chain.subList(3, 7)).blocksIndexed()).isEqualTo(2);
        LogQuery all = LogQuery.range(null, null, null, null);
        assertThat(index.query(all).logs()).isEqualTo(TestChains.bruteForce(chain, all, 6));
    }

    @Test
    void aDifferentHashForAnIndexedBlockIsAFinalityViolationThatFailsClosed() {
        StoreSnapshot before = StoreSnapshot.of(meta, blobs);
        Block b3 = chain.get(3);
        assertThatThrownBy(() -> w.publish(List.of(new Block(3, "0xfork", b3.parentHash(), b3.logs()))))
                .isInstanceOf(DegradedException.class)
                .hasMessageContaining("finality violation: block 3 is indexed with hash " + b3.hash());
        assertThat(StoreSnapshot.of(meta, blobs)).isEqualTo(before);
        assertThat(index.health().status()).isEqualTo(Health.Status.DEGRADED);
        assertThat(index.health().reason()).contains("finality violation");
        Consumer<Runnable> refused = r -> assertThatThrownBy(r::run).isInstanceOf(DegradedException.class)
                .hasMessageStartingWith("degraded: finality violation");
        refused.accept(() -> index.query(LogQuery.range(null, null, null, null)));
        refused.accept(() -> w.publish(chain.subList(5, 10)));
    }

    @Test
    void blocksBelowTheFirstIndexedBlockAreRejected() {
        LogIndex other = LogIndex.open(MetaStore.inMemory(), BlobStore.inMemory(), IndexConfig.defaults());
        Writer ow = other.writer("w");
        ow.acquire();
        ow.publish(chain.subList(5, 8));
        assertThatThrownBy(() -> ow.publish(chain.subList(3, 6))).isInstanceOf(InvalidBlockException.class)
                .hasMessageContaining("block 3 is below the first indexed block 5");
    }
}
