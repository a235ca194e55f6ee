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

    /**
     * The cache never stands over its bound, not even by the step the pack cache's bound moves in: after every
     * publish (packs and segments written through) and every query (pages, chunks, packs read) of a mixed load.
     */
    @Test
    void theWholeCacheStaysWithinItsBoundAfterEveryOperation() {
        List<Block> chain = PagedLayoutTest.chain(23, 0, 8_000, 4_000);
        long cacheBytes = 2L << 20;
        IndexConfig config = IndexConfig.defaults().withBackgroundMerges(false).withCacheBytes(cacheBytes);
        Random r = new Random(12);
        long worst = 0;
        try (LogIndex index = LogIndex.open(MetaStore.inMemory(), BlobStore.inMemory(), config)) {
            Writer w = index.writer("w");
            w.acquire();
            for (int i = 0; i < chain.size(); i += 250) {
                w.publish(chain.subList(i, i + 250));
                worst = Math.max(worst, index.stats().cacheWeightBytes());
                for (int q = 0; q < 30; q++) {
                    long from = r.nextInt(i + 250);
                    Block b = chain.get((int) from);
                    LogQuery query = b.logs().isEmpty() || r.nextBoolean()
                            ? LogQuery.range(from, Math.min(i + 249, from + 40), null, null)
                            : LogQuery.range(Math.max(0, from - 300), from, List.of(b.logs().get(0).address()),
                                    List.of());
                    index.query(query);
                    worst = Math.max(worst, index.stats().cacheWeightBytes());
                }
            }
            assertThat(index.stats().cacheEvictions()).as("the load overflows the cache").isGreaterThan(0);
        }
        assertThat(worst).as("the most the cache held after any operation").isLessThanOrEqualTo(cacheBytes);
    }

    /**
     * Packs use what the index leaves: an index that needs a fraction of its three quarters does not leave the rest
     * idle while result chunks are evicted. (With packs held to a fixed quarter, the in-memory 5M bench evicted 4.7M
     * chunks with a third of the cache in use; here the second pass re-read the packs.)
     */
    @Test
    void resultChunksUseTheRoomTheIndexLeaves() {
        List<Block> chain = PagedLayoutTest.chain(5, 0, 6_000, 3_000);
        BlobStore stored = BlobStore.inMemory();
        MetaStore meta = MetaStore.inMemory();
        IndexConfig config = IndexConfig.defaults().withBackgroundMerges(false);
        try (LogIndex w = LogIndex.open(meta, stored, config)) {
            Writer writer = w.writer("w");
            writer.acquire();
            for (int i = 0; i < chain.size(); i += 1_000) {
                writer.publish(chain.subList(i, i + 1_000));
            }
        }
        List<LogQuery> everything = new ArrayList<>();
        for (long from = 0; from < chain.size(); from += 500) {
            everything.add(LogQuery.range(from, from + 499, null, null)); // every log: every chunk of every pack
        }
        // What the queries' heads, pages and chunks weigh, in a cache with room for all of it.
        long needed;
        try (LogIndex roomy = LogIndex.open(meta, stored, config.withCacheBytes(256L << 20))) {
            everything.forEach(roomy::query);
            needed = roomy.stats().cacheWeightBytes();
        }
        long cacheBytes = needed * 5 / 4;
        List<String> packReads = new CopyOnWriteArrayList<>();
        try (LogIndex index = LogIndex.open(meta, WatchedBlobStore.recordingReads(stored, "packs/", packReads),
                config.withCacheBytes(cacheBytes))) {
            everything.forEach(index::query);
            packReads.clear();
            everything.forEach(index::query);
            var st = index.stats();
            assertThat(st.cacheWeightBytes()).isLessThanOrEqualTo(cacheBytes);
            assertThat(packReads).as("pack reads of the second pass (all of it needs %d bytes; cache %s)", needed, st)
                    .isEmpty();
        }
    }
}
