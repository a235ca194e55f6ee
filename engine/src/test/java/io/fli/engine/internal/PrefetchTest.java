package io.fli.engine.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fli.engine.BlobStore;
import io.fli.engine.Block;
import io.fli.engine.DegradedException;
import io.fli.engine.IndexConfig;
import io.fli.engine.Log;
import io.fli.engine.LogIndex;
import io.fli.engine.LogQuery;
import io.fli.engine.MatchedLog;
import io.fli.engine.MetaStore;
import io.fli.engine.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * With prefetching on (the default), a query against a remote store fetches the pages of all its segments, then
 * the chunks of all its matches, in parallel: the same answers and the same failures as one fetch after another,
 * from overlapping GETs.
 */
class PrefetchTest {

    /** The in-memory store as if it were across a network: reads take a moment; overlapping reads are counted. */
    static final class SlowRemote extends WatchedBlobStore {
        final boolean remote;
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger maxInFlight = new AtomicInteger();
        final AtomicInteger reads = new AtomicInteger();

        SlowRemote(BlobStore d, boolean remote) {
            super(d);
            this.remote = remote;
        }

        @Override
        <T> T read(String key, java.util.function.Supplier<T> read) {
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            reads.incrementAndGet();
            try {
                Thread.sleep(1);
                return read.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } finally {
                inFlight.decrementAndGet();
            }
        }

        @Override
        public boolean remote() {
            return remote;
        }
    }

    private static final IndexConfig CONFIG = IndexConfig.defaults().withBackgroundMerges(false);

    @Test
    void parallelFetchesGiveTheAnswersAndFailuresOfSequentialOnes() {
        MetaStore meta = MetaStore.inMemory();
        BlobStore stored = BlobStore.inMemory();
        List<Block> chain = PagedLayoutTest.chain(3, 0, 2_400, 400);
        PagedLayoutTest.publishAll(meta, stored, CONFIG, chain, 200); // 12 tier-0 segments
        Random r = new Random(9);
        List<LogQuery> queries = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            Log a = pick(chain, r);
            Log b = pick(chain, r);
            queries.add(switch (i % 3) {
                case 0 -> LogQuery.range(null, null, List.of(a.address()), List.of());
                case 1 -> LogQuery.range(300L, 2_000L, List.of(a.address(), b.address()), List.of());
                default -> LogQuery.range(null, null, List.of(), a.topics().isEmpty() ? List.of()
                        : List.of(List.of(a.topics().get(0))));
            });
        }
        SlowRemote local = new SlowRemote(stored, false);
        SlowRemote remote = new SlowRemote(stored, true);
        List<List<MatchedLog>> sequential = answers(meta, local, queries);
        List<List<MatchedLog>> parallel = answers(meta, remote, queries);
        assertThat(parallel).isEqualTo(sequential);
        assertThat(sequential.stream().mapToInt(List::size).sum()).isGreaterThan(100);
        assertThat(local.maxInFlight.get()).isEqualTo(1);
        assertThat(remote.maxInFlight.get()).as("reads in flight at once").isGreaterThanOrEqualTo(4);
        assertThat(remote.reads.get()).as("the prefetch reads what the query needs, once")
                .isLessThanOrEqualTo(local.reads.get() + queries.size());

        // A pack a match needs is gone: both ways fail closed, naming it. (The commonest address is in every pack.)
        String common = chain.stream().flatMap(b -> b.logs().stream()).collect(java.util.stream.Collectors
                .groupingBy(Log::address, java.util.stream.Collectors.counting())).entrySet().stream()
                .max(java.util.Map.Entry.comparingByValue()).orElseThrow().getKey();
        String pack = stored.list("packs/").get(3).key();
        stored.delete(pack);
        for (SlowRemote s : List.of(local, remote)) {
            try (LogIndex idx = open(meta, s)) {
                assertThatThrownBy(() -> idx.query(LogQuery.range(null, null, List.of(common), List.of())))
                        .isInstanceOf(DegradedException.class).hasMessageContaining(pack);
            }
        }
    }

    private static Log pick(List<Block> chain, Random r) {
        while (true) {
            Block b = chain.get(r.nextInt(chain.size()));
            if (!b.logs().isEmpty()) {
                return b.logs().get(r.nextInt(b.logs().size()));
            }
        }
    }

    /** An index with prefetching on (the default; set here as well, since these tests are about it). */
    private static DefaultLogIndex open(MetaStore meta, BlobStore blobs) {
        DefaultLogIndex idx = new DefaultLogIndex(meta, blobs, CONFIG);
        idx.prefetching(true);
        return idx;
    }

    private static List<List<MatchedLog>> answers(MetaStore meta, BlobStore blobs, List<LogQuery> queries) {
        List<List<MatchedLog>> out = new ArrayList<>();
        try (LogIndex idx = open(meta, blobs)) {
            for (LogQuery q : queries) {
                idx.dropCaches();
                out.add(idx.query(q).logs());
            }
        }
        return out;
    }

    /**
     * A prefetching query plans each segment over its own block range, like the query's pass: a long posting list
     * in parts (segment format 3) is then read in the parts the range overlaps. (Prefetch once planned whole
     * segments, reading every part of a popular address's list for a query over a few blocks.)
     */
    @Test
    void aPrefetchingQueryReadsOnlyThePartsOfLongPostingListsItsRangeOverlaps() {
        long[] read = new long[2];
        for (int format = 2; format <= 3; format++) {
            MetaStore meta = MetaStore.inMemory();
            BlobStore stored = BlobStore.inMemory();
            List<Block> chain = PagedLayoutTest.hotChain(4_800);
            try (LogIndex w = LogIndex.open(meta, stored, CONFIG.withSegmentFormat(format))) {
                Writer writer = w.writer("w");
                writer.acquire();
                writer.publish(chain.subList(0, 2_400));
                writer.publish(chain.subList(2_400, 4_800)); // two segments of 240,000 logs
            }
            long[] bytes = {0};
            WatchedBlobStore remote = new WatchedBlobStore(stored) {
                @Override
                <T> T read(String key, java.util.function.Supplier<T> r) {
                    T v = r.get();
                    if (key.startsWith("index/") && v instanceof java.util.Optional<?> o && o.isPresent()
                            && o.get() instanceof byte[] b) {
                        synchronized (bytes) {
                            bytes[0] += b.length;
                        }
                    }
                    return v;
                }

                @Override
                public boolean remote() {
                    return true;
                }
            };
            try (LogIndex reader = LogIndex.open(meta, remote, CONFIG)) {
                // Blocks 2,390..2,409: both segments, a few hundred ids at the end of one and the start of the other.
                List<MatchedLog> got = reader.query(LogQuery.range(2_390L, 2_409L, List.of("0xhot"), null)).logs();
                assertThat(got).hasSize(1_000);
            }
            read[format - 2] = bytes[0];
        }
        // Each hot list is two parts of about 16 KB: one is read of each, not both.
        assertThat(read[1]).as("index bytes read, format 3 vs format 2").isLessThan(read[0] - 24_000);
    }
    /**
     * The matches of a query scattered over many chunks of one pack are read by a few ranged GETs spanning runs of
     * chunks, not one GET per chunk (on local servers a GET costs about as much of the machine as 0.5 MB read): the
     * same answer, cached chunk by chunk, each verified.
     */
    @Test
    void chunksCloseTogetherAreReadByOneGet() {
        MetaStore meta = MetaStore.inMemory();
        BlobStore stored = BlobStore.inMemory();
        List<Block> chain = new ArrayList<>();
        String parent = null;
        for (int b = 0; b < 600; b++) { // 60,000 logs in one pack: 469 chunks; 0xsparse once every 300 logs
            List<Log> logs = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                int n = b * 100 + i;
                logs.add(new Log(i, i, "0xtx" + n, n % 300 == 7 ? "0xsparse" : "0xa" + n % 997,
                        List.of("0xt" + n % 5), "0xd" + n));
            }
            String hash = "0xblock" + b;
            chain.add(new Block(b, hash, parent, logs));
            parent = hash;
        }
        try (LogIndex w = LogIndex.open(meta, stored, CONFIG)) {
            Writer writer = w.writer("w");
            writer.acquire();
            writer.publish(chain);
        }
        assertThat(stored.list("packs/")).hasSize(1);
        LogQuery q = LogQuery.range(null, null, List.of("0xsparse"), null);
        SlowRemote local = new SlowRemote(stored, false);
        List<MatchedLog> expected = answers(meta, local, List.of(q)).get(0);
        assertThat(expected).hasSize(200);
        int[] packReads = {0};
        WatchedBlobStore remote = new WatchedBlobStore(stored) {
            @Override
            <T> T read(String key, java.util.function.Supplier<T> r) {
                if (key.startsWith("packs/")) {
                    synchronized (packReads) {
                        packReads[0]++;
                    }
                }
                return r.get();
            }

            @Override
            public boolean remote() {
                return true;
            }
        };
        try (DefaultLogIndex idx = open(meta, remote)) {
            assertThat(idx.query(q).logs()).isEqualTo(expected);
            assertThat(packReads[0]).as("GETs of the pack (its head, then runs of chunks)").isBetween(2, 12);
            io.fli.engine.IndexStats st = idx.stats();
            assertThat(st.blobReadsByKind().values().stream().mapToLong(Long::longValue).sum()).as("%s", st)
                    .isEqualTo(st.blobReads());
            assertThat(io.fli.engine.IndexStats.BLOB_READ_KINDS).as("every kind counted has its metric series")
                    .containsAll(st.blobReadsByKind().keySet());
            assertThat(st.blobReadsByKind()).containsEntry("pack-head", 1L).containsKey("segment-head")
                    .doesNotContainKey("pack-chunk");
            assertThat(st.blobReadsByKind().get("pack-chunks")).isEqualTo(packReads[0] - 1L);
            // All logs of block 1 (ids 100..199) lie in chunks 0 and 1: one GET for both, not one after another.
            io.fli.engine.IndexStats s0 = idx.stats();
            idx.dropCaches();
            assertThat(idx.query(LogQuery.byHash("0xblock1", null, null)).logs()).hasSize(100);
            io.fli.engine.IndexStats s1 = idx.stats();
            assertThat(s1.blobReadsByKind().getOrDefault("pack-chunks", 0L)
                    - s0.blobReadsByKind().getOrDefault("pack-chunks", 0L)).as("%s", s1).isEqualTo(1);
            assertThat(s1.blobReadsByKind().getOrDefault("pack-chunk", 0L)).isZero();
            idx.dropCaches();
            assertThat(idx.query(q).logs()).isEqualTo(expected);
            int before = packReads[0];
            assertThat(idx.query(q).logs()).as("again, from the cache").isEqualTo(expected);
            assertThat(packReads[0]).isEqualTo(before);
        }
    }

    @Test
    void coalescedRunsKeepToTheGapAndTheSpan() {
        int page = 10_000;
        Paged.Ref[] refs = new Paged.Ref[1_000];
        for (int i = 0; i < refs.length; i++) {
            refs[i] = new Paged.Ref((long) i * page, page, 0);
        }
        java.util.TreeSet<Integer> wanted = new java.util.TreeSet<>(List.of(0, 1, 5, 30, 31, 999));
        // 5 and 30 are 24 pages (240,000 bytes) apart: within the gap; 31 and 999 are not.
        List<int[]> runs = DefaultLogIndex.coalesce(refs, wanted);
        assertThat(runs).extracting(java.util.Arrays::toString)
                .containsExactly("[0, 1, 5, 30, 31]", "[999]");
        java.util.TreeSet<Integer> gapped = new java.util.TreeSet<>(List.of(0, 28));
        assertThat(DefaultLogIndex.coalesce(refs, gapped)).as("27 pages (270,000 bytes) apart: beyond the gap")
                .hasSize(2);
        // Every 20th page: each within the gap of the last, but a run spans at most 1 MB.
        java.util.TreeSet<Integer> spread = new java.util.TreeSet<>();
        for (int i = 0; i < refs.length; i += 20) {
            spread.add(i);
        }
        List<int[]> spans = DefaultLogIndex.coalesce(refs, spread);
        for (int[] run : spans) {
            Paged.Ref a = refs[run[0]];
            Paged.Ref b = refs[run[run.length - 1]];
            assertThat(b.offset() + b.length() - a.offset()).isLessThanOrEqualTo(DefaultLogIndex.COALESCE_SPAN);
        }
        assertThat(spans).as("six pages of every 20th a run: 1,010,000 bytes").hasSize(9);
        assertThat(spans.stream().mapToInt(r -> r.length).sum()).isEqualTo(spread.size());
    }
}
