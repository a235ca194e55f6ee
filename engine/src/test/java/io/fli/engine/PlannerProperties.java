package io.fli.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The differential test: the planner's answer equals a brute-force scan, over random chains and filters. */
class PlannerProperties {

    @Property(tries = 150)
    void theIndexAnswersExactlyWhatABruteForceScanAnswers(@ForAll long seed,
                                                          @ForAll @IntRange(min = 1, max = 60) int blocks,
                                                          @ForAll @IntRange(min = 0, max = 8) int maxLogs,
                                                          @ForAll @IntRange(min = 1, max = 9) int maxBatch,
                                                          @ForAll @IntRange(min = 2, max = 4) int fanout) {
        Random r = new Random(seed);
        long first = r.nextInt(1000);
        List<Block> chain = TestChains.chain(seed, first, blocks, maxLogs);
        LogIndex index = LogIndex.open(MetaStore.inMemory(), BlobStore.inMemory(),
                IndexConfig.defaults().withMergeFanout(fanout));
        Writer w = index.writer("w");
        w.acquire();
        long last = first + blocks - 1;
        for (List<Block> batch : TestChains.batches(chain, r, maxBatch)) {
            w.publish(batch);
        }
        for (int i = 0; i < 40; i++) {
            LogQuery q = TestChains.randomQuery(r, first, last);
            QueryResult res = index.query(q);
            assertThat(res.head()).isEqualTo(last);
            assertThat(res.logs()).as("seed %d query %s", seed, q).isEqualTo(TestChains.bruteForce(chain, q, last));
        }
        Block b = chain.get(r.nextInt(chain.size()));
        LogQuery byHash = LogQuery.byHash(b.hash(), List.of(), List.of());
        assertThat(index.query(byHash).logs()).isEqualTo(TestChains.bruteForce(chain, byHash, last));
    }
}
