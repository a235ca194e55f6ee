package io.fli.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LogIndexTest {
    private final MetaStore meta = MetaStore.inMemory();
    private final BlobStore blobs = BlobStore.inMemory();
    private final LogIndex index = LogIndex.open(meta, blobs, IndexConfig.defaults().withMergeFanout(3));

    @Test
    void queriesBeforeTheFirstPublishReturnANullHeadAndNoLogs() {
        QueryResult r = index.query(LogQuery.range(null, null, List.of(), List.of()));
        assertThat(r.head()).isNull();
        assertThat(r.logs()).isEmpty();
        assertThat(index.head()).isNull();
    }

    @Test
    void publishedBlocksAnswerExactlyAsABruteForceScanAcrossMergedSegments() {
        List<Block> chain = TestChains.chain(7, 100, 120, 6);
        Writer w = index.writer("w1");
        assertThat(w.acquire()).isEqualTo(1);
        Random r = new Random(7);
        for (List<Block> batch : TestChains.batches(chain, r, 7)) {
            PublishResult p = w.publish(batch);
            assertThat(p.head()).isEqualTo(batch.get(batch.size() - 1).number());
        }
        assertThat(index.head()).isEqualTo(219);
        for (int i = 0; i < 300; i++) {
            LogQuery q = TestChains.randomQuery(r, 100, 219);
            assertThat(index.query(q).logs()).as("query %s", q).isEqualTo(TestChains.bruteForce(chain, q, 219));
        }
        // After a restart (fresh caches, same stores) the answers are identical.
        LogIndex reopened = LogIndex.open(meta, blobs, IndexConfig.defaults());
        LogQuery all = LogQuery.range(null, null, List.of(), List.of());
        assertThat(reopened.query(all)).isEqualTo(index.query(all));
    }

    @Test
    void aBlockHashQueryReturnsOnlyThatBlock() {
        List<Block> chain = TestChains.chain(3, 0, 20, 5);
        Writer w = index.writer("w1");
        w.acquire();
        w.publish(chain.subList(0, 10));
        w.publish(chain.subList(10, 20));
        Block b = chain.get(13);
        QueryResult r = index.query(LogQuery.byHash(b.hash(), List.of(), List.of()));
        assertThat(r.logs()).isEqualTo(TestChains.bruteForce(chain, LogQuery.byHash(b.hash(), null, null), 19));
        assertThat(r.logs()).allMatch(m -> m.block() == 13);
        assertThat(index.query(LogQuery.byHash("0xnope", List.of(), List.of())).logs()).isEmpty();
    }

    @Test
    void rangesAreClippedToTheHeadAndNeverLookPastIt() {
        List<Block> chain = TestChains.chain(5, 10, 10, 4);
        Writer w = index.writer("w1");
        w.acquire();
        w.publish(chain);
        QueryResult r = index.query(LogQuery.range(15L, 1_000L, List.of(), List.of()));
        assertThat(r.head()).isEqualTo(19);
        assertThat(r.logs()).isEqualTo(TestChains.bruteForce(chain, LogQuery.range(15L, 19L, null, null), 19));
        assertThat(index.query(LogQuery.range(50L, 60L, List.of(), List.of())).logs()).isEmpty();
    }

    @Test
    void limitsAreEnforcedWithAnErrorNamingTheLimit() {
        LogIndex small = LogIndex.open(meta, blobs, IndexConfig.defaults().withMaxOrTerms(2).withMaxBlockRange(5)
                .withMaxResults(3));
        Writer w = small.writer("w1");
        w.acquire();
        List<Block> chain = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            chain.add(new Block(i, "0x" + i, List.of(new Log(0, 0, "0xa", List.of("0xt"), null))));
        }
        w.publish(chain);
        assertThatThrownBy(() -> small.query(LogQuery.range(0L, 9L, List.of(), List.of())))
                .isInstanceOf(InvalidQueryException.class).hasMessageContaining("spans 10 blocks; the limit is 5");
        assertThatThrownBy(() -> small.query(LogQuery.range(0L, 1L, List.of("a", "b", "c"), List.of())))
                .isInstanceOf(InvalidQueryException.class).hasMessageContaining("addresses has 3 terms; the limit is 2");
        assertThatThrownBy(() -> small.query(LogQuery.range(0L, 1L, List.of(), List.of(List.of("a", "b", "c")))))
                .isInstanceOf(InvalidQueryException.class).hasMessageContaining("topics[0] has 3 terms");
        assertThatThrownBy(() -> small.query(LogQuery.range(0L, 4L, List.of("0xa"), List.of())))
                .isInstanceOf(InvalidQueryException.class).hasMessageContaining("more than 3 logs");
        assertThat(small.query(LogQuery.range(0L, 2L, List.of("0xa"), List.of())).logs()).hasSize(3);
    }

    @Test
    void malformedQueriesAreRejectedWithTheReason() {
        assertThatThrownBy(() -> index.query(LogQuery.range(5L, 2L, null, null)))
                .isInstanceOf(InvalidQueryException.class).hasMessageContaining("fromBlock 5 is after toBlock 2");
        assertThatThrownBy(() -> index.query(new LogQuery(1L, null, "0xh", null, null)))
                .isInstanceOf(InvalidQueryException.class).hasMessageContaining("blockHash cannot be combined");
        assertThatThrownBy(() -> index.query(LogQuery.range(null, null, null,
                List.of(List.of("a"), List.of("a"), List.of("a"), List.of("a"), List.of("a")))))
                .isInstanceOf(InvalidQueryException.class).hasMessageContaining("at most 4");
        assertThatThrownBy(() -> index.query(LogQuery.range(-1L, null, null, null)))
                .isInstanceOf(InvalidQueryException.class).hasMessageContaining("fromBlock must be >= 0");
    }
}
