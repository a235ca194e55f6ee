package io.fli.engine.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.fli.engine.BlobStore;
import io.fli.engine.Block;
import io.fli.engine.IndexConfig;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.MatchedLog;
import io.fli.engine.MetaStore;
import io.fli.engine.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A background merge reads its inputs from what the writer holds, not back from the store, even when queries keep
 * the cache full of other entries: on local servers such read-backs (whole segments GET from S3 once the cache had
 * filled with pack chunks) cut ingest from 200k to 25k logs/s. What is held stays within the cache's bound, and
 * answers are those of a cold cache.
 */
class MergeInputsTest {

    @Test
    void mergesReadNoSegmentBackWhileQueriesKeepTheCacheFull() {
        List<Block> chain = PagedLayoutTest.chain(13, 0, 6_000, 6_000);
        List<String> wholeGets = new CopyOnWriteArrayList<>();
        BlobStore counted = new WatchedBlobStore(BlobStore.inMemory()) {
            @Override
            public Optional<byte[]> get(String key) {
                if (key.startsWith("index/")) {
                    wholeGets.add(key);
                }
                return super.get(key);
            }
        };
        long cacheBytes = 4L << 20;
        IndexConfig config = IndexConfig.defaults().withCacheBytes(cacheBytes).withMergeFanout(4);
        Random r = new Random(3);
        List<LogQuery> queries = new ArrayList<>();
        try (LogIndex index = LogIndex.open(MetaStore.inMemory(), counted, config)) {
            Writer w = index.writer("w");
            w.acquire();
            int merged = 0;
            for (int i = 0; i < chain.size(); i += 100) {
                merged += w.publish(chain.subList(i, Math.min(chain.size(), i + 100))).merged();
                // Queries all over what is indexed so far: pack chunks and pages compete for the cache.
                for (int k = 0; k < 20; k++) {
                    Block b = chain.get(r.nextInt(Math.min(chain.size(), i + 100)));
                    if (!b.logs().isEmpty()) {
                        LogQuery q = LogQuery.range(Math.max(0, b.number() - 200), b.number(),
                                List.of(b.logs().get(0).address()), List.of());
                        index.query(q);
                        queries.add(q);
                    }
                }
                assertThat(index.stats().cacheWeightBytes()).as("the cache and what the writer holds")
                        .isLessThanOrEqualTo(cacheBytes + cacheBytes / 8);
            }
            assertThat(merged).as("segments merged away while publishing").isGreaterThan(40);
            assertThat(wholeGets).as("segments a merge read back from the store").isEmpty();
            List<List<MatchedLog>> warm = new ArrayList<>();
            for (LogQuery q : queries.subList(0, 200)) {
                warm.add(index.query(q).logs());
            }
            index.dropCaches();
            for (int k = 0; k < 200; k++) {
                assertThat(index.query(queries.get(k)).logs()).isEqualTo(warm.get(k));
            }
        }
    }
}
