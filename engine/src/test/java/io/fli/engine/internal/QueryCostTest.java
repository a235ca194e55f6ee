package io.fli.engine.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.fli.engine.BlobStore;
import io.fli.engine.Block;
import io.fli.engine.IndexConfig;
import io.fli.engine.IndexStats;
import io.fli.engine.Log;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.MatchedLog;
import io.fli.engine.MetaStore;
import io.fli.engine.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A query's cost follows its answer, not the size of the index: the same queries over the same block window, cold,
 * read about as many blob bytes from an index four times larger, and a small fraction of what it stores. (Bytes
 * read, not time: this is a property of the layout, measured exactly; latency is the benchmarks' business.)
 */
class QueryCostTest {

    record Cost(long bytes, long reads, long stored, List<List<MatchedLog>> answers) {
    }

    private static Cost run(List<Block> chain, int batch, List<LogQuery> queries) {
        MetaStore meta = MetaStore.inMemory();
        BlobStore blobs = BlobStore.inMemory();
        try (LogIndex index = LogIndex.open(meta, blobs, IndexConfig.defaults().withBackgroundMerges(false))) {
            Writer w = index.writer("w");
            w.acquire();
            for (int i = 0; i < chain.size(); i += batch) {
                w.publish(chain.subList(i, Math.min(chain.size(), i + batch)));
            }
            w.compact();
            long stored = blobs.list("").stream().mapToLong(BlobStore.BlobInfo::size).sum();
            index.dropCaches();
            IndexStats before = index.stats();
            List<List<MatchedLog>> answers = new ArrayList<>();
            for (LogQuery q : queries) {
                index.dropCaches(); // every query cold
                answers.add(index.query(q).logs());
            }
            IndexStats after = index.stats();
            return new Cost(after.blobBytesRead() - before.blobBytesRead(), after.blobReads() - before.blobReads(),
                    stored, answers);
        }
    }

    @Test
    void coldQueriesOverTheSameWindowReadAboutTheSameBytesFromAFourTimesLargerIndex() {
        List<Block> large = PagedLayoutTest.chain(11, 0, 16_000, 6_000);
        List<Block> small = large.subList(0, 4_000);
        // The window: blocks 3,500..3,999, present in both; addresses drawn from those that occur there.
        Random r = new Random(5);
        List<LogQuery> queries = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Block b = small.get(3_500 + r.nextInt(500));
            if (b.logs().isEmpty()) {
                continue;
            }
            Log l = b.logs().get(r.nextInt(b.logs().size()));
            queries.add(LogQuery.range(3_500L, 3_999L, List.of(l.address()), List.of()));
        }
        Cost s = run(small, 250, queries);
        Cost g = run(large, 250, queries);
        assertThat(g.answers()).isEqualTo(s.answers());
        assertThat(s.answers()).allSatisfy(a -> assertThat(a).isNotEmpty());
        assertThat(g.stored()).isGreaterThan(3 * s.stored());
        assertThat(g.bytes()).as("bytes read from the 4x index (%s) vs the small one (%s)", g, s)
                .isLessThanOrEqualTo(2 * s.bytes());
        assertThat(g.bytes() / queries.size()).as("bytes per cold query, of %d stored", g.stored())
                .isLessThan(g.stored() / 50);
    }

    /**
     * The writer's own large segment (an idle compaction's, above a sixteenth of the cache) stays readable without a
     * GET while the cache holds its bytes: its queries read no index blob from the store, answer the same as from a
     * cold cache, and a segment no state names any more leaves the cache with its bytes.
     */
    @Test
    void theWritersLargeSegmentIsReadFromItsCachedBytesNotTheStore() {
        List<Block> chain = PagedLayoutTest.chain(11, 0, 4_000, 6_000);
        List<String> indexGets = new java.util.concurrent.CopyOnWriteArrayList<>();
        BlobStore counted = WatchedBlobStore.recordingReads(BlobStore.inMemory(), "index/", indexGets);
        MetaStore meta = MetaStore.inMemory();
        IndexConfig config = IndexConfig.defaults().withBackgroundMerges(false).withCacheBytes(2L << 20);
        List<LogQuery> queries = new ArrayList<>();
        Random r = new Random(9);
        for (int i = 0; i < 150; i++) {
            Block b = chain.get(r.nextInt(chain.size()));
            if (!b.logs().isEmpty()) {
                queries.add(LogQuery.range(b.number(), b.number() + 50, List.of(b.logs().get(0).address()),
                        List.of()));
            }
        }
        try (LogIndex index = LogIndex.open(meta, counted, config)) {
            Writer w = index.writer("w");
            w.acquire();
            for (int i = 0; i < chain.size(); i += 250) {
                w.publish(chain.subList(i, Math.min(chain.size(), i + 250)));
            }
            // A cache full of entries in use (pages and chunks read again and again) before the large segment is
            // written: its bytes must still be kept (a cache's admission policy would turn such a newcomer away).
            for (int round = 0; round < 3; round++) {
                for (LogQuery q : queries) {
                    index.query(q);
                }
            }
            assertThat(index.stats().cacheWeightBytes()).as("the cache is full").isGreaterThan((2L << 20) * 3 / 4);
            w.compact();
            var segments = io.fli.engine.Admin.status(meta).orElseThrow().segments();
            assertThat(segments).hasSize(1);
            long size = counted.list(segments.get(0).key()).get(0).size();
            assertThat(size).as("the compacted segment is large for this cache").isGreaterThan((2L << 20) / 16);
            indexGets.clear();
            List<List<MatchedLog>> warm = new ArrayList<>();
            for (LogQuery q : queries) {
                warm.add(index.query(q).logs());
            }
            assertThat(indexGets).as("index GETs of the writer's own segment").isEmpty();
            assertThat(index.stats().cacheWeightBytes()).as("pinned bytes count against the cache's bound")
                    .isGreaterThanOrEqualTo(size).isLessThanOrEqualTo(2L << 20);
            index.dropCaches();
            List<List<MatchedLog>> cold = new ArrayList<>();
            for (LogQuery q : queries) {
                cold.add(index.query(q).logs());
            }
            assertThat(indexGets).as("a cold cache reads the segment from the store").isNotEmpty();
            assertThat(warm).isEqualTo(cold).anySatisfy(a -> assertThat(a).isNotEmpty());
        }
    }
}
