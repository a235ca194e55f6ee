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
 * state adds on a background thread. A publish's own segment (and any merge small enough to be merged again) it
 * fetches whole, with the publish's pack, and holds as the writer holds what it wrote: the first query on the new
 * blocks then reads nothing from the store. A larger segment's pages are warmed when they are within the bound (the
 * query then fetches only posting bitmaps and pack chunks), else only its head.
 */
class WarmSegmentsTest {
    private static final IndexConfig CONFIG = IndexConfig.defaults().withBackgroundMerges(false);

    /** Waits (up to a minute) until {@code reader}'s warming queue is empty. */
    private static void awaitWarmed(DefaultLogIndex reader) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (reader.warmsPending() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    /** Blob reads (any kind) by one query of a fresh reader on the blocks of the writer's second publish. */
    private static int readsOfTheFirstQueryAfterAPublish(IndexConfig readerConfig, List<Long> warmed,
                                                         List<java.util.Map<String, Long>> background)
            throws Exception {
        MetaStore meta = MetaStore.inMemory();
        BlobStore stored = BlobStore.inMemory();
        List<Block> chain = PagedLayoutTest.chain(5, 0, 400, 300);
        List<String> reads = Collections.synchronizedList(new ArrayList<>());
        try (LogIndex w = LogIndex.open(meta, stored, CONFIG);
             DefaultLogIndex reader = new DefaultLogIndex(meta, WatchedBlobStore.recordingReads(stored, "",
                     reads), readerConfig)) {
            Writer writer = w.writer("w");
            writer.acquire();
            // The reader's first state has no segments: both publishes' segments are new to it, warmed as such.
            assertThat(reader.head()).isNull();
            writer.publish(chain.subList(0, 200));
            String address = chain.get(300).logs().get(0).address();
            LogQuery q = LogQuery.range(200L, 399L, List.of(address), null);
            assertThat(reader.query(LogQuery.range(0L, 199L, List.of(address), null)).head()).isEqualTo(199);
            awaitWarmed(reader); // the first segment's warming, done before the second publish
            java.util.Map<String, Long> before = reader.stats().backgroundReadsByKind();
            long warmedBefore = reader.warmedSegments();
            writer.publish(chain.subList(200, 400)); // a new tier-0 segment and its pack
            assertThat(reader.head()).isEqualTo(399); // the reader reads the new state
            awaitWarmed(reader);
            warmed.add(reader.warmedSegments() - warmedBefore);
            java.util.Map<String, Long> after = new java.util.TreeMap<>(reader.stats().backgroundReadsByKind());
            after.replaceAll((k, v) -> v - before.getOrDefault(k, 0L));
            after.values().removeIf(v -> v == 0);
            background.add(after);
            reads.clear();
            assertThat(reader.query(q).logs()).isNotEmpty();
            return reads.size();
        }
    }

    @Test
    void theFirstQueryOnANewSegmentFetchesNothingWhenItWasTakenWholeAndLessWhenItsPagesWereWarmed()
            throws Exception {
        List<Long> warmed = new ArrayList<>();
        List<java.util.Map<String, Long>> background = new ArrayList<>();
        int cold = readsOfTheFirstQueryAfterAPublish(CONFIG.withWarmSegmentBytes(0), warmed, background);
        int whole = readsOfTheFirstQueryAfterAPublish(CONFIG.withWarmSegmentBytes(1 << 20), warmed, background);
        // A reader whose size limit makes the new segment one that is not merged again, and whose cache is too small
        // to hold it whole (half the cache under its estimated size): its pages are warmed.
        long logs = PagedLayoutTest.chain(5, 0, 400, 300).subList(200, 400).stream().mapToLong(b -> b.logs().size())
                .sum();
        IndexConfig large = CONFIG.withMaxSegmentLogs(100)
                .withCacheBytes(2 * logs * DefaultLogIndex.SEGMENT_BYTES_PER_LOG - 2);
        int paged = readsOfTheFirstQueryAfterAPublish(large.withWarmSegmentBytes(1 << 20), warmed, background);
        // A bound below that segment's directory warms its head only.
        int bounded = readsOfTheFirstQueryAfterAPublish(large.withWarmSegmentBytes(16), warmed, background);
        assertThat(warmed).containsExactly(0L, 1L, 1L, 0L);
        assertThat(cold).as("blob reads of the first query without the warmer").isGreaterThanOrEqualTo(3);
        assertThat(whole).as("blob reads of the first query after the segment and its pack were taken whole")
                .isZero();
        assertThat(background.get(1)).as("the warmer's GETs: one for the segment, one for its pack")
                .isEqualTo(java.util.Map.of("segment-whole", 1L, "pack-whole", 1L));
        assertThat(paged).as("after its pages were warmed (without the warmer: %d)", cold).isPositive()
                .isLessThan(cold);
        assertThat(background.get(2)).containsKey("directory").doesNotContainKeys("segment-whole", "pack-whole");
        assertThat(bounded).isLessThan(cold).isGreaterThan(paged);
    }

    /**
     * Segments taken whole are held until a committed state no longer names them, as the writer drops the inputs of
     * a merge once the merged state is published: a reader following a writer whose merges fold every sixteen
     * publishes holds no more than the live small segments, not every segment it ever took.
     */
    @Test
    void segmentsTakenWholeAreDroppedOnceMergedAway() throws Exception {
        MetaStore meta = MetaStore.inMemory();
        BlobStore stored = BlobStore.inMemory();
        List<Block> chain = PagedLayoutTest.chain(5, 0, 1_000, 300);
        IndexConfig merging = IndexConfig.defaults().withMergeFanout(4);
        try (LogIndex w = LogIndex.open(meta, stored, merging);
             DefaultLogIndex reader = new DefaultLogIndex(meta, new WatchedBlobStore(stored),
                     merging.withWarmSegmentBytes(1 << 20))) {
            Writer writer = w.writer("w");
            writer.acquire();
            writer.publish(chain.subList(0, 20));
            assertThat(reader.head()).isEqualTo(19);
            for (int i = 20; i < chain.size(); i += 20) {
                writer.publish(chain.subList(i, i + 20));
                assertThat(reader.head()).isEqualTo(i + 19);
                awaitWarmed(reader);
            }
            writer.compact();
            assertThat(reader.head()).isEqualTo(999);
            awaitWarmed(reader);
            java.util.Set<String> live = new java.util.HashSet<>();
            for (SegmentRef r : StateRecord.decode(meta.get(StateRecord.KEY).orElseThrow().value()).segments()) {
                live.add(r.key());
            }
            assertThat(reader.stats().backgroundReadsByKind().get("segment-whole")).as("segments taken whole")
                    .isGreaterThan(40L);
            assertThat(reader.heldKeys()).as("held segments, all of them live (live: %s)", live)
                    .isNotEmpty().allMatch(live::contains);
        }
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
                awaitWarmed(reader);
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
                     CONFIG.withWarmSegmentBytes(1 << 20).withMaxSegmentLogs(100).withCacheBytes(256 * 1024))) {
            // (a segment not merged again, too large to hold whole in this cache: its pages are warmed)
            Writer writer = w.writer("w");
            writer.acquire();
            writer.publish(chain.subList(0, 200));
            String address = chain.get(300).logs().get(0).address();
            assertThat(reader.query(LogQuery.range(0L, 199L, List.of(address), null)).head()).isEqualTo(199);
            awaitWarmed(reader); // the first state's warming
            io.fli.engine.IndexStats s0 = reader.stats();
            writer.publish(chain.subList(200, 400));
            assertThat(reader.head()).isEqualTo(399);
            awaitWarmed(reader);
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
        PagedLayoutTest.publishAll(meta, stored, config, chain, 100);
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
                awaitWarmed(reader);
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

    /**
     * A first state's warming ends by taking the newest segments whole, newest first, while they fit in what held
     * segments may take (half the cache), as a writer that built them holds them: the held ones are a newest-first
     * run of the state's segments, within half the cache, and a query of the newest blocks then reads no index blob.
     */
    @Test
    void aFirstStateTakesTheNewestSegmentsWholeWhileTheyFit() throws Exception {
        MetaStore meta = MetaStore.inMemory();
        BlobStore stored = BlobStore.inMemory();
        List<Block> chain = PagedLayoutTest.chain(8, 0, 1_200, 500);
        PagedLayoutTest.publishAll(meta, stored, CONFIG, chain, 100);
        List<SegmentRef> segments = new ArrayList<>(
                StateRecord.decode(meta.get(StateRecord.KEY).orElseThrow().value()).segments());
        segments.sort(java.util.Comparator.comparingLong(SegmentRef::lastBlock).reversed());
        java.util.Map<String, Long> size = new java.util.HashMap<>();
        for (BlobStore.BlobInfo b : stored.list("index/")) {
            size.put(b.key(), b.size());
        }
        long all = segments.stream().mapToLong(r -> size.get(r.key())).sum();
        // Every segment too large to be merged again (not a merge input); half the cache holds about half of them.
        IndexConfig reader = CONFIG.withMaxSegmentLogs(1).withCacheBytes(all).withWarmSegmentBytes(1 << 20);
        List<String> reads = Collections.synchronizedList(new ArrayList<>());
        try (DefaultLogIndex r = new DefaultLogIndex(meta, WatchedBlobStore.recordingReads(stored, "index/", reads),
                reader)) {
            assertThat(r.head()).isEqualTo(1_199); // the first state: warming starts
            awaitWarmed(r);
            java.util.Set<String> held = r.heldKeys();
            int k = (int) r.warmedWhole();
            assertThat(k).as("segments taken whole of %d", segments.size()).isPositive()
                    .isLessThan(segments.size());
            assertThat(held).as("the %d newest, and no other", k).containsExactlyInAnyOrderElementsOf(
                    segments.subList(0, k).stream().map(SegmentRef::key).toList());
            assertThat(held.stream().mapToLong(size::get).sum()).isLessThanOrEqualTo(all / 2);
            SegmentRef newest = segments.get(0);
            reads.clear();
            String address = chain.get((int) newest.lastBlock()).logs().get(0).address();
            assertThat(r.query(LogQuery.range(newest.firstBlock(), newest.lastBlock(), List.of(address), null))
                    .logs()).isNotEmpty();
            assertThat(reads).as("index reads of a query of the newest segment's blocks").isEmpty();
        }
    }

    /**
     * A whole blob fetched in the background is read in pieces of {@link DefaultLogIndex#WHOLE_PIECE} bytes, each a
     * GET, and comes back byte for byte; a blob that is gone is missing, not empty.
     */
    @Test
    void aWholeBlobIsFetchedInPiecesAndComesBackWhole() {
        BlobStore stored = BlobStore.inMemory();
        byte[] big = new byte[2 * DefaultLogIndex.WHOLE_PIECE + 12_345];
        new java.util.Random(3).nextBytes(big);
        stored.putIfAbsent("index/big", big);
        byte[] exact = java.util.Arrays.copyOf(big, DefaultLogIndex.WHOLE_PIECE);
        stored.putIfAbsent("index/exact", exact);
        try (DefaultLogIndex idx = new DefaultLogIndex(MetaStore.inMemory(), stored, CONFIG)) {
            assertThat(idx.fetchWhole("index/big", "segment-whole")).isEqualTo(big);
            assertThat(idx.stats().blobReadsByKind()).containsEntry("segment-whole", 3L);
            // A size that is a whole number of pieces ends with an empty piece past the end.
            assertThat(idx.fetchWhole("index/exact", "segment-whole")).isEqualTo(exact);
            assertThat(idx.stats().blobReadsByKind()).containsEntry("segment-whole", 5L);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> idx.fetchWhole("index/gone", "segment-whole"))
                    .isInstanceOf(DefaultLogIndex.MissingBlob.class);
        }
    }
}
