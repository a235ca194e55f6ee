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
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A query process that does not write ({@link IndexConfig#withWarmSegmentBytes}) warms the segments a newly read
 * state adds on a background thread: the first query to touch a new segment then fetches only what is particular to
 * it (posting bitmaps, pack chunks), not the segment's head, directory and block pages, which a process without the
 * warmer fetches on the query path. Over the bound, only the head is warmed.
 */
class WarmSegmentsTest {
    private static final IndexConfig CONFIG = IndexConfig.defaults().withBackgroundMerges(false);

    /** Reads of index segments by one query of a fresh reader after the writer published a second batch. */
    private static int segmentReadsOfTheFirstQueryAfterAPublish(long warmBytes, List<Long> warmed) throws Exception {
        MetaStore meta = MetaStore.inMemory();
        BlobStore stored = BlobStore.inMemory();
        List<Block> chain = PagedLayoutTest.chain(5, 0, 400, 300);
        List<String> reads = Collections.synchronizedList(new ArrayList<>());
        try (LogIndex w = LogIndex.open(meta, stored, CONFIG);
             DefaultLogIndex reader = new DefaultLogIndex(meta, WatchedBlobStore.recordingReads(stored, "index/",
                     reads), CONFIG.withWarmSegmentBytes(warmBytes))) {
            Writer writer = w.writer("w");
            writer.acquire();
            writer.publish(chain.subList(0, 200));
            String address = chain.get(300).logs().get(0).address();
            LogQuery q = LogQuery.range(200L, 399L, List.of(address), null);
            assertThat(reader.query(LogQuery.range(0L, 199L, List.of(address), null)).head()).isEqualTo(199);
            writer.publish(chain.subList(200, 400)); // a new tier-0 segment
            assertThat(reader.head()).isEqualTo(399); // the reader reads the new state
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (reader.warmsPending() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            warmed.add(reader.warmedSegments());
            reads.clear();
            assertThat(reader.query(q).logs()).isNotEmpty();
            return reads.size();
        }
    }

    @Test
    void theFirstQueryOnANewSegmentFetchesLessWhenItWasWarmed() throws Exception {
        List<Long> warmed = new ArrayList<>();
        int cold = segmentReadsOfTheFirstQueryAfterAPublish(0, warmed);
        int warm = segmentReadsOfTheFirstQueryAfterAPublish(1 << 20, warmed);
        assertThat(warmed).containsExactly(0L, 1L);
        assertThat(warm).as("reads of the warmed segment by the first query (without the warmer: %d)", cold)
                .isLessThan(cold);
        // A bound below the segment's directory warms its head only.
        List<Long> none = new ArrayList<>();
        int bounded = segmentReadsOfTheFirstQueryAfterAPublish(16, none);
        assertThat(none).containsExactly(0L);
        assertThat(bounded).isLessThan(cold).isGreaterThan(warm);
    }

    /**
     * A process holding a read lease hears of the holder's publish before the CAS, with the state the CAS is about to
     * write ({@link io.fli.engine.ReadLease.Revoker}): it warms the segment that state adds while the CAS is in flight,
     * before it has read the new state at all — and answers nothing from it.
     */
    @Test
    void aRevocationCarriesTheComingStateWhoseNewSegmentIsWarmedBeforeTheStateIsRead() throws Exception {
        MetaStore meta = MetaStore.inMemory();
        BlobStore stored = BlobStore.inMemory();
        List<Block> chain = PagedLayoutTest.chain(5, 0, 400, 300);
        java.util.concurrent.atomic.AtomicBoolean granting = new java.util.concurrent.atomic.AtomicBoolean(true);
        try (LogIndex w = LogIndex.open(meta, stored, CONFIG)) {
            io.fli.engine.HolderView leases = new io.fli.engine.HolderView() {
                @Override
                public java.util.Optional<io.fli.engine.ViewStamp> current() {
                    return java.util.Optional.empty(); // only leases: after the revocation the reader asks nobody
                }

                @Override
                public boolean leases() {
                    return true;
                }

                @Override
                public java.util.Optional<io.fli.engine.ReadLease> readLease(io.fli.engine.ViewStamp have,
                        java.util.function.Consumer<byte[]> onRevoke) {
                    if (!granting.get()) {
                        return java.util.Optional.empty();
                    }
                    return w.grantReadLease(have, 1_000, (grant, coming) -> {
                        granting.set(false);
                        onRevoke.accept(coming);
                        w.readLeaseAcknowledged(grant);
                    });
                }
            };
            try (DefaultLogIndex reader = new DefaultLogIndex(meta, new WatchedBlobStore(stored),
                    CONFIG.withWarmSegmentBytes(1 << 20).withHolderView(leases))) {
                Writer writer = w.writer("w");
                writer.acquire();
                writer.publish(chain.subList(0, 200));
                String address = chain.get(300).logs().get(0).address();
                assertThat(reader.query(LogQuery.range(0L, 199L, List.of(address), null)).head()).isEqualTo(199);
                assertThat(reader.stats().readLeaseAnswers() + reader.stats().holderViewAnswers()).isPositive();
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (reader.warmsPending() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                long before = reader.warmedSegments();
                long stateReads = reader.stats().stateReads();
                writer.publish(chain.subList(200, 400)); // a new tier-0 segment; the revocation carries its state
                while ((reader.warmsPending() > 0 || reader.warmedSegments() == before)
                        && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(reader.warmedSegments()).as("the coming state's new segment, warmed").isEqualTo(before + 1);
                assertThat(reader.stats().stateReads()).as("without reading the new state").isEqualTo(stateReads);
                // Its queries now read meta/state (no lease, no answer) and see the new head.
                assertThat(reader.query(LogQuery.range(200L, 399L, List.of(address), null)).head()).isEqualTo(399);
            }
        }
    }

    /**
     * The warmer's GETs are counted apart from the queries' ({@link io.fli.engine.IndexStats#backgroundReadsByKind}):
     * a benchmark dividing a window's GETs by its queries would otherwise charge the queries with the directory
     * pages of every segment that ingest added meanwhile.
     */
    @Test
    void theWarmersGetsAreCountedApartFromTheQueries() throws Exception {
        MetaStore meta = MetaStore.inMemory();
        BlobStore stored = BlobStore.inMemory();
        List<Block> chain = PagedLayoutTest.chain(5, 0, 400, 300);
        try (LogIndex w = LogIndex.open(meta, stored, CONFIG);
             DefaultLogIndex reader = new DefaultLogIndex(meta, new WatchedBlobStore(stored),
                     CONFIG.withWarmSegmentBytes(1 << 20))) {
            Writer writer = w.writer("w");
            writer.acquire();
            writer.publish(chain.subList(0, 200));
            String address = chain.get(300).logs().get(0).address();
            assertThat(reader.query(LogQuery.range(0L, 199L, List.of(address), null)).head()).isEqualTo(199);
            io.fli.engine.IndexStats s0 = reader.stats();
            writer.publish(chain.subList(200, 400));
            assertThat(reader.head()).isEqualTo(399);
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (reader.warmsPending() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(reader.warmedSegments()).isEqualTo(1);
            io.fli.engine.IndexStats s1 = reader.stats();
            long warmGets = s1.backgroundReads() - s0.backgroundReads();
            assertThat(warmGets).as("the warmer's GETs").isPositive()
                    .isEqualTo(s1.blobReads() - s0.blobReads());
            assertThat(s1.backgroundReadsByKind()).containsKey("directory");
            assertThat(s1.backgroundBytesRead()).isPositive();
            // A query reads what the warmer left (postings, pack chunks) on its own path: none of it background.
            LogQuery q = LogQuery.range(200L, 399L, List.of(address), null);
            assertThat(reader.query(q).logs()).isNotEmpty();
            io.fli.engine.IndexStats s2 = reader.stats();
            assertThat(s2.blobReads() - s1.blobReads()).as("the query's GETs").isPositive();
            assertThat(s2.backgroundReads()).isEqualTo(s1.backgroundReads());
            assertThat(s2.backgroundBytesRead()).isEqualTo(s1.backgroundBytesRead());
        }
    }

    /**
     * A restarted query process (its first state) warms the heads and term filters of every segment in the
     * background: once done, queries for addresses the index does not hold read no index blob at all, where a
     * process without the warmer reads a head, a filter page per segment (format 4) on the query path.
     */
    @Test
    void aFirstStateWarmsEverySegmentsFiltersSoAbsentTermsReadNothing() throws Exception {
        MetaStore meta = MetaStore.inMemory();
        BlobStore stored = BlobStore.inMemory();
        List<Block> chain = PagedLayoutTest.chain(8, 0, 1_200, 500);
        IndexConfig config = CONFIG.withSegmentFormat(4);
        try (LogIndex w = LogIndex.open(meta, stored, config)) {
            Writer writer = w.writer("w");
            writer.acquire();
            for (int i = 0; i < chain.size(); i += 100) {
                writer.publish(chain.subList(i, i + 100));
            }
        }
        int segments = io.fli.engine.Admin.status(meta).orElseThrow().segments().size();
        assertThat(segments).isGreaterThan(3);
        List<Integer> readsOfAbsentLookups = new ArrayList<>();
        List<Long> filtersWarmed = new ArrayList<>();
        List<Long> blocksWarmed = new ArrayList<>();
        List<Integer> readsOfBlockHashes = new ArrayList<>();
        for (long bound : new long[]{0, 1 << 20}) {
            List<String> reads = Collections.synchronizedList(new ArrayList<>());
            try (DefaultLogIndex reader = new DefaultLogIndex(meta, WatchedBlobStore.recordingReads(stored, "index/",
                    reads), config.withWarmSegmentBytes(bound))) {
                assertThat(reader.head()).isEqualTo(1_199); // the first state: warming starts
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (reader.warmsPending() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                filtersWarmed.add(reader.warmedFilters());
                blocksWarmed.add(reader.warmedBlocks());
                reads.clear();
                for (int i = 0; i < 50; i++) {
                    assertThat(reader.query(LogQuery.range(0L, 1_199L, List.of("0xnowhere" + i), null)).logs())
                            .isEmpty();
                }
                readsOfAbsentLookups.add(reads.size());
                reads.clear();
                for (int i = 0; i < 20; i++) {
                    Block b = chain.get(i * 59);
                    assertThat(reader.query(LogQuery.byHash(b.hash(), null, null)).logs()).hasSize(b.logs().size());
                }
                readsOfBlockHashes.add(reads.size());
            }
        }
        // A lookup reads the heads and the address filters: held with their heads (counted in the heads' weights),
        // not cached again.
        try (DefaultLogIndex reader = new DefaultLogIndex(meta, stored, config.withWarmSegmentBytes(0))) {
            assertThat(reader.query(LogQuery.range(0L, 1_199L, List.of("0xabsent"), null)).logs()).isEmpty();
            long heads = 0;
            for (SegmentRef ref : StateRecord.decode(meta.get(StateRecord.KEY).orElseThrow().value()).segments()) {
                heads += ((PagedSegment) reader.segment(ref)).weight();
            }
            assertThat(reader.stats().cacheWeightBytes()).as("the cache holds the heads alone").isEqualTo(heads);
        }
        assertThat(filtersWarmed).containsExactly(0L, (long) segments);
        assertThat(blocksWarmed).containsExactly(0L, (long) segments);
        assertThat(readsOfBlockHashes.get(0)).as("index reads of 20 block-hash queries without the warmer")
                .isGreaterThanOrEqualTo(10);
        assertThat(readsOfBlockHashes.get(1)).as("index reads of 20 block-hash queries after warming (%d without)",
                readsOfBlockHashes.get(0)).isZero();
        assertThat(readsOfAbsentLookups.get(0)).as("index reads without the warmer").isGreaterThanOrEqualTo(segments);
        // After warming only the filters' false positives (about 1% of the 50 x segments lookups) read a page.
        assertThat(readsOfAbsentLookups.get(1)).as("index reads after warming (%d without)", readsOfAbsentLookups.get(0))
                .isLessThanOrEqualTo(50 * segments / 25);
    }
}

