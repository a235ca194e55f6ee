package io.fli.engine.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.fli.engine.BlobStore;
import io.fli.engine.Block;
import io.fli.engine.IndexConfig;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.MetaStore;
import io.fli.engine.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Packs cannot evict the index: once selective queries have their directory pages cached, a flood of new packs
 * (cached write-through) and of result chunks leaves those pages in place — the queries read no index blob again.
 * In one shared cache the flood evicted them (each page is read rarely, so frequency alone does not keep it), and
 * on local servers every selective query paid a GET.
 */
class CacheSplitTest {

    @Test
    void aFloodOfPacksAndChunksLeavesTheIndexPagesCached() {
        List<Block> chain = PagedLayoutTest.chain(17, 0, 28_000, 6_000);
        List<String> indexReads = new CopyOnWriteArrayList<>();
        BlobStore counted = WatchedBlobStore.recordingReads(BlobStore.inMemory(), "index/", indexReads);
        long cacheBytes = 2L << 20;
        IndexConfig config = IndexConfig.defaults().withBackgroundMerges(false).withCacheBytes(cacheBytes);
        try (LogIndex index = LogIndex.open(MetaStore.inMemory(), counted, config)) {
            Writer w = index.writer("w");
            w.acquire();
            int indexed = 4_000;
            for (int i = 0; i < indexed; i += 500) {
                w.publish(chain.subList(i, i + 500));
            }
            Random r = new Random(4);
            List<LogQuery> selective = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                long from = r.nextInt(indexed - 100);
                selective.add(LogQuery.range(from, from + 100, List.of("0xa" + r.nextInt(6_000)),
                        List.of()));
            }
            for (LogQuery q : selective) {
                index.query(q);
            }
            indexReads.clear();
            for (LogQuery q : selective) {
                index.query(q);
            }
            assertThat(indexReads).as("index reads of warm selective queries").isEmpty();
            long packBytes = 0;
            for (int i = indexed; i < chain.size(); i += 500) {
                w.publish(chain.subList(i, i + 500));
            }
            for (BlobStore.BlobInfo b : counted.list("packs/")) {
                packBytes += b.size();
            }
            assertThat(packBytes).as("packs written through the cache, against its %d bytes", cacheBytes)
                    .isGreaterThan(2 * cacheBytes);
            for (int i = 0; i < 40; i++) { // wide queries with many results: their chunks
                long from = r.nextInt(indexed - 400);
                Block b = chain.get((int) from);
                if (!b.logs().isEmpty() && !b.logs().get(0).topics().isEmpty()) {
                    index.query(LogQuery.range(from, from + 400, null,
                            List.of(List.of(b.logs().get(0).topics().get(0)))));
                }
            }
            indexReads.clear();
            for (LogQuery q : selective) {
                index.query(q);
            }
            assertThat(indexReads).as("index reads of the same selective queries after the flood").isEmpty();
        }
    }
}
