package io.fli.engine.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fli.engine.Block;
import io.fli.engine.CorruptionException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * Segment format 4's term filters: never a false negative, about 1% false positives, and what they buy — a lookup of
 * a term (or block hash) a segment does not hold reads no directory (or block-hash) page, with every answer the same
 * as format 3's.
 */
class TermFilterTest {

    private static TermFilter filterOf(int[] hashes) {
        byte[] stored = TermFilter.build(hashes, hashes.length);
        return TermFilter.read(new ByteReader(stored, 0, stored.length, "f"), stored.length, "f");
    }

    @Property(tries = 200)
    void everyAddedHashTestsTrue(@ForAll @Size(max = 3_000) List<Integer> hashes) {
        int[] hs = hashes.stream().mapToInt(Integer::intValue).toArray();
        TermFilter f = filterOf(hs);
        for (int h : hs) {
            assertThat(f.mightContain(h)).as("hash %d", h).isTrue();
        }
    }

    @Test
    void falsePositivesAreAboutOnePercent() {
        Random r = new Random(3);
        Set<Integer> in = new HashSet<>();
        while (in.size() < 50_000) {
            in.add(IndexSegment.hash("0x" + Long.toHexString(r.nextLong())));
        }
        TermFilter f = filterOf(in.stream().mapToInt(Integer::intValue).toArray());
        int tried = 0;
        int positive = 0;
        while (tried < 200_000) {
            int h = IndexSegment.hash("0x" + Long.toHexString(r.nextLong()));
            if (!in.contains(h)) {
                tried++;
                positive += f.mightContain(h) ? 1 : 0;
            }
        }
        assertThat(positive / (double) tried).as("false positive rate").isBetween(0.002, 0.02);
        // An empty filter holds nothing.
        assertThat(filterOf(new int[0]).mightContain(in.iterator().next())).isFalse();
    }

    @Test
    void anImpossibleFilterIsRefused() {
        byte[] stored = TermFilter.build(new int[]{1, 2, 3}, 3);
        stored[0] = 0;
        assertThatThrownBy(() -> TermFilter.read(new ByteReader(stored, 0, stored.length, "k"), stored.length, "k"))
                .isInstanceOf(CorruptionException.class).hasMessageContaining("k: a term filter with 0 probes");
        byte[] shortOne = Arrays.copyOf(TermFilter.build(new int[0], 0), 5);
        assertThatThrownBy(() -> TermFilter.read(new ByteReader(shortOne, 0, 5, "k"), 5, "k"))
                .isInstanceOf(CorruptionException.class).hasMessageContaining("over 4 bytes");
    }

    /** Fetches of directory ("d") and block-hash ("h") pages while looking up terms the segment does not hold. */
    private static int[] absentLookups(byte[] blob, int values) {
        PagedLayoutTest.Slices pages = new PagedLayoutTest.Slices(blob);
        PagedSegment seg = PagedLayoutTest.lazy(blob, pages);
        for (int v = 0; v < 2_000; v++) {
            for (int p = 0; p < IndexSegment.POSITIONS; p++) {
                List<IndexSegment.Term> t = List.of(IndexSegment.Term.of("0xabsent" + (values + v)));
                assertThat(seg.union(p, t).isEmpty()).isTrue();
                assertThat(seg.estimate(p, t)).isZero();
            }
            assertThat(seg.blockWithHash("0xno-such-block" + v)).isEqualTo(-1);
        }
        return new int[]{pages.byPart.getOrDefault("d", 0), pages.byPart.getOrDefault("h", 0)};
    }

    @Test
    void aLookupOfATermTheSegmentLacksReadsNoDirectoryPageInFormatFour() {
        List<Block> blocks = PagedLayoutTest.chain(21, 0, 1_500, 4_000);
        byte[] v3 = BatchEncoder.encode(0, blocks, "packs/p", 3).segment();
        byte[] v4 = BatchEncoder.encode(0, blocks, "packs/p", 4).segment();
        assertThat(Frame.version(v4)).isEqualTo(4);
        int[] three = absentLookups(v3, 4_000);
        int[] four = absentLookups(v4, 4_000);
        // 10,000 absent terms and 2,000 absent block hashes: format 3 reads a page for nearly each (cached pages are
        // counted again here: the counter sees every lookup's page); format 4 only for its false positives.
        assertThat(three[0]).isGreaterThan(9_000);
        assertThat(three[1]).isGreaterThan(1_900);
        assertThat(four[0]).as("directory pages read in format 4").isLessThan(300);
        assertThat(four[1]).as("block-hash pages read in format 4").isLessThan(60);
        // Every answer is what format 3 and the whole decode give.
        IndexSegment whole = IndexSegment.decode(v3, "s");
        PagedSegment paged = PagedLayoutTest.lazy(v4, new PagedLayoutTest.Slices(v4));
        for (int p = 0; p < IndexSegment.POSITIONS; p++) {
            for (int v = 0; v <= 4_000; v += 7) {
                List<IndexSegment.Term> t = List.of(IndexSegment.Term.of((p == 0 ? "0xa" : "0xt") + v));
                assertThat(paged.union(p, t)).isEqualTo(whole.union(p, t));
                assertThat(paged.estimate(p, t)).isEqualTo(whole.estimate(p, t));
            }
        }
        for (Block b : blocks) {
            assertThat(paged.blockWithHash(b.hash())).isEqualTo(b.number());
        }
    }

    @Test
    void aMergeWritesFiltersThatHoldEveryTermOfItsParts() {
        List<Block> all = PagedLayoutTest.chain(22, 0, 900, 800);
        List<IndexSegment> parts = new ArrayList<>();
        long firstLog = 0;
        for (int i = 0; i < 3; i++) {
            List<Block> part = all.subList(i * 300, (i + 1) * 300);
            parts.add(IndexSegment.decode(BatchEncoder.encode(firstLog, part, "packs/" + i, 3).segment(), "s" + i));
            firstLog += part.stream().mapToInt(b -> b.logs().size()).sum();
        }
        byte[] merged = IndexSegment.merge(1, parts, 4);
        assertThat(Frame.version(merged)).isEqualTo(4);
        IndexSegment m = IndexSegment.decode(merged, "m"); // checks every entry against its filter
        PagedSegment paged = PagedLayoutTest.lazy(merged, new PagedLayoutTest.Slices(merged));
        for (int p = 0; p < IndexSegment.POSITIONS; p++) {
            for (int v = 0; v <= 800; v++) {
                List<IndexSegment.Term> t = List.of(IndexSegment.Term.of((p == 0 ? "0xa" : "0xt") + v));
                assertThat(paged.union(p, t)).isEqualTo(m.union(p, t));
            }
        }
    }

    /**
     * A filter that hides a term would lose logs without a checksum error (a writer's bug, not a flipped bit): the
     * whole decode — every merge and verify reads it — checks every directory entry against its filter.
     */
    @Test
    void aFilterThatHidesATermIsRefusedByTheWholeDecode() {
        List<Block> blocks = PagedLayoutTest.chain(23, 0, 400, 300);
        byte[] blob = BatchEncoder.encode(0, blocks, "packs/p", 4).segment();
        PagedSegment seg = PagedLayoutTest.lazy(blob, new PagedLayoutTest.Slices(blob));
        Paged.Ref f = seg.head.filters[0];
        int at = Paged.bodyStart(blob, "s") + (int) f.offset();
        byte[] emptied = blob.clone();
        Arrays.fill(emptied, at + 1, at + f.length(), (byte) 0); // its bits cleared, probes kept
        // Checksums off (the bug zoo's reader), so only the filter check stands between this blob and lost logs.
        assertThatThrownBy(() -> IndexSegment.decode(emptied, "s", false)).isInstanceOf(CorruptionException.class)
                .hasMessageContaining("s: the term filter of position 0 does not hold entry 0");
        assertThatThrownBy(() -> IndexSegment.decode(emptied, "s")).isInstanceOf(CorruptionException.class)
                .hasMessageContaining("checksum mismatch");
    }

    /** An index of {@code chain} published {@code perPublish} blocks at a time in {@code format}, compacted. */
    private record Built(io.fli.engine.MetaStore meta, io.fli.engine.BlobStore stored,
                         io.fli.engine.IndexConfig config) {
        static Built of(List<Block> chain, int perPublish, int format) {
            Built b = new Built(io.fli.engine.MetaStore.inMemory(), io.fli.engine.BlobStore.inMemory(),
                    io.fli.engine.IndexConfig.defaults().withBackgroundMerges(false).withSegmentFormat(format));
            try (io.fli.engine.LogIndex w = io.fli.engine.LogIndex.open(b.meta, b.stored, b.config)) {
                io.fli.engine.Writer writer = w.writer("w");
                writer.acquire();
                for (int i = 0; i < chain.size(); i += perPublish) {
                    writer.publish(chain.subList(i, Math.min(chain.size(), i + perPublish)));
                }
                writer.compact();
            }
            return b;
        }

        DefaultLogIndex reader() {
            return new DefaultLogIndex(meta, stored, config);
        }
    }

    /** Index blob reads of 40 queries for absent addresses over different ranges, after one that warms the heads. */
    private static long readsOfAbsentAddressQueries(int format) {
        Built built = Built.of(PagedLayoutTest.chain(24, 0, 6_000, 3_000), 2_000, format);
        try (DefaultLogIndex reader = built.reader()) {
            reader.query(io.fli.engine.LogQuery.range(0L, 5_999L, List.of("0xnowhere"), null));
            long before = reader.stats().blobReads();
            Random r = new Random(5);
            for (int q = 0; q < 40; q++) {
                long from = r.nextInt(5_500);
                assertThat(reader.query(io.fli.engine.LogQuery.range(from, from + 300, List.of("0xabsent" + q),
                        null)).logs()).isEmpty();
            }
            return reader.stats().blobReads() - before;
        }
    }

    @Test
    void aQueryForAnAbsentAddressReadsNoPageOfTheSegmentInFormatFour() {
        long three = readsOfAbsentAddressQueries(3);
        long four = readsOfAbsentAddressQueries(4);
        // Format 3: the directory page each term falls in (44 reads, block pages included, before the range was cut
        // lazily — see aRangeIsCutExactlyOnlyWhereThePostingsMatchNearIt); format 4: the filter
        // (read by the first query) says no before either is read — false positives aside (about 1%).
        assertThat(three).as("reads in format 3").isGreaterThan(15); // a directory page for most queries
        assertThat(four).as("reads in format 4 (format 3: %d)", three).isLessThanOrEqualTo(3);
    }

    /**
     * The range is cut exactly (block pages read) only when the postings match within the bounds the head gives: a
     * present address whose logs lie elsewhere in the segment costs its directory page and nothing more.
     */
    @Test
    void aRangeIsCutExactlyOnlyWhereThePostingsMatchNearIt() {
        List<Block> chain = PagedLayoutTest.chain(25, 0, 6_000, 3_000);
        // An address seen only in the first 1,000 blocks.
        java.util.Map<String, Long> lastSeen = new java.util.HashMap<>();
        for (Block b : chain) {
            b.logs().forEach(l -> lastSeen.put(l.address(), b.number()));
        }
        String early = lastSeen.entrySet().stream().filter(e -> e.getValue() < 1_000).map(java.util.Map.Entry::getKey)
                .findFirst().orElseThrow();
        try (DefaultLogIndex reader = Built.of(chain, 3_000, 3).reader()) {
            assertThat(reader.query(io.fli.engine.LogQuery.range(0L, 5_999L, List.of(early), null)).logs())
                    .isNotEmpty(); // head and the address's directory page now cached
            long before = reader.stats().blobReads();
            for (int q = 0; q < 20; q++) {
                long from = 2_000 + q * 180;
                assertThat(reader.query(io.fli.engine.LogQuery.range(from, from + 100, List.of(early), null)).logs())
                        .isEmpty();
            }
            assertThat(reader.stats().blobReads() - before).as("reads of 20 queries over ranges the address is not in")
                    .isZero();
        }
    }

    /**
     * Format 4's filters hold each term's id buckets too: a present address whose postings lie outside a query's
     * range costs not even its directory page — 20 such queries read nothing once the head and filters are cached.
     */
    @Test
    void aTermTheSegmentHoldsOnlyElsewhereCostsNoDirectoryPageInFormatFour() {
        List<Block> chain = PagedLayoutTest.chain(25, 0, 30_000, 2_000_000); // most addresses rare
        java.util.Map<String, Long> lastSeen = new java.util.HashMap<>();
        for (Block b : chain) {
            b.logs().forEach(l -> lastSeen.put(l.address(), b.number()));
        }
        // Addresses seen only in the first 1,000 blocks (the first bucket of 65,536 ids holds about 11,000 blocks).
        List<String> early = lastSeen.entrySet().stream().filter(e -> e.getValue() < 1_000)
                .map(java.util.Map.Entry::getKey).sorted().limit(20).toList();
        assertThat(early).hasSize(20);
        java.util.function.IntFunction<Long> reads = format -> {
            try (DefaultLogIndex reader = Built.of(chain, 5_000, format).reader()) {
                reader.query(io.fli.engine.LogQuery.range(0L, 29_999L, List.of("0xnowhere"), null)); // head, filter
                long before = reader.stats().blobReads();
                for (int q = 0; q < early.size(); q++) {
                    long from = 20_000 + q * 400;
                    assertThat(reader.query(io.fli.engine.LogQuery.range(from, from + 300, List.of(early.get(q)),
                            null)).logs()).isEmpty();
                }
                return reader.stats().blobReads() - before;
            }
        };
        long three = reads.apply(3);
        long four = reads.apply(4);
        assertThat(three).as("format 3: each address's directory page").isGreaterThanOrEqualTo(10);
        assertThat(four).as("format 4 (format 3: %d)", three).isLessThanOrEqualTo(1);
    }

    /**
     * Format 5's filters hold the fine id buckets (8,192 ids) of each posting list of up to 512 ids: an address the
     * segment holds only in its first ~1,000 blocks, asked for over ranges in the same bucket of 65,536 ids but away
     * from its logs, costs a directory page in format 4 and none in format 5 (false positives aside) — whether its
     * list is inline (a few ids) or a bitmap (here 40).
     */
    @Test
    void aListNearButNotInTheRangeCostsNoDirectoryPageInFormatFive() {
        List<Block> chain = new ArrayList<>(PagedLayoutTest.chain(26, 0, 30_000, 2_000_000)); // most addresses rare
        for (int k = 0; k < 20; k++) { // 20 addresses of 40 logs each (a bitmap), all in blocks k*40 .. k*40+39
            for (int b = k * 40; b < k * 40 + 40; b++) {
                Block old = chain.get(b);
                List<io.fli.engine.Log> logs = new ArrayList<>(old.logs());
                logs.add(new io.fli.engine.Log(logs.size(), logs.size(), "0xtxmid" + b, "0xmid" + k, List.of(), null));
                chain.set(b, new Block(old.number(), old.hash(), old.parentHash(), logs));
            }
        }
        java.util.Map<String, Long> lastSeen = new java.util.HashMap<>();
        for (Block b : chain) {
            b.logs().forEach(l -> lastSeen.put(l.address(), b.number()));
        }
        List<String> rare = lastSeen.entrySet().stream().filter(e -> e.getValue() < 1_000)
                .map(java.util.Map.Entry::getKey).filter(a -> !a.startsWith("0xmid")).sorted().limit(20).toList();
        assertThat(rare).hasSize(20);
        List<String> mid = java.util.stream.IntStream.range(0, 20).mapToObj(k -> "0xmid" + k).toList();
        java.util.function.BiFunction<Integer, List<String>, Long> reads = (format, addresses) -> {
            try (DefaultLogIndex reader = Built.of(chain, 5_000, format).reader()) {
                reader.query(io.fli.engine.LogQuery.range(0L, 29_999L, List.of("0xnowhere"), null)); // head, filter
                long before = reader.stats().blobReads();
                for (int q = 0; q < addresses.size(); q++) {
                    long from = 3_000 + q * 250; // ids ~18,000..54,000: the first bucket of 65,536 ids still
                    assertThat(reader.query(io.fli.engine.LogQuery.range(from, from + 200, List.of(addresses.get(q)),
                            null)).logs()).isEmpty();
                }
                return reader.stats().blobReads() - before;
            }
        };
        for (List<String> addresses : List.of(rare, mid)) {
            long four = reads.apply(4, addresses);
            long five = reads.apply(5, addresses);
            assertThat(four).as("format 4: the address's bucket overlaps each range (%s)", addresses.get(0))
                    .isGreaterThanOrEqualTo(10);
            assertThat(five).as("format 5 (format 4: %d; %s)", four, addresses.get(0)).isLessThanOrEqualTo(2);
        }
    }

    /** Format 5 answers every query as format 4 does: a fine bucket never hides a log (no false negatives). */
    @Test
    void formatFiveAnswersAsFormatFour() {
        List<Block> chain = PagedLayoutTest.chain(27, 0, 12_000, 200_000);
        Built four = Built.of(chain, 3_000, 4);
        Built five = Built.of(chain, 3_000, 5);
        Random r = new Random(8);
        try (DefaultLogIndex a = four.reader(); DefaultLogIndex b = five.reader()) {
            int matched = 0;
            for (int q = 0; q < 400; q++) {
                Block at = chain.get(r.nextInt(chain.size()));
                if (at.logs().isEmpty()) {
                    continue;
                }
                io.fli.engine.Log l = at.logs().get(r.nextInt(at.logs().size()));
                long from = Math.max(0, at.number() - r.nextInt(2_500));
                long to = Math.min(11_999, from + r.nextInt(3_000));
                List<List<String>> topics = l.topics().isEmpty() || r.nextBoolean() ? null
                        : List.of(List.of(l.topics().get(0)));
                io.fli.engine.LogQuery query = io.fli.engine.LogQuery.range(from, to, List.of(l.address()), topics);
                List<io.fli.engine.MatchedLog> expected = a.query(query).logs();
                assertThat(b.query(query).logs()).as("%s", query).isEqualTo(expected);
                matched += expected.isEmpty() ? 0 : 1;
            }
            assertThat(matched).as("queries with answers").isGreaterThan(100);
        }
    }

    /**
     * A format-5 segment whose filters lack the fine buckets (a format-4 segment relabelled: a writer's bug, not a
     * flipped bit — the version byte is outside the checksum) is refused by the whole decode, which merges and
     * verify run: fine buckets missing would lose logs silently.
     */
    @Test
    void aFormatFiveFilterWithoutFineBucketsIsRefusedByTheWholeDecode() {
        List<Block> blocks = PagedLayoutTest.chain(23, 0, 400, 300);
        byte[] blob = BatchEncoder.encode(0, blocks, "packs/p", 4).segment();
        IndexSegment.decode(blob, "s"); // as format 4, whole and consistent
        byte[] relabelled = blob.clone();
        relabelled[4] = 5;
        assertThat(Frame.version(relabelled)).isEqualTo(5);
        assertThatThrownBy(() -> IndexSegment.decode(relabelled, "s")).isInstanceOf(CorruptionException.class)
                .hasMessageMatching("s: the term filter of position \\d (does not hold entry \\d+ in fine id bucket \\d+"
                        + "|does not mark entry \\d+ as a long posting list)");
        byte[] five = BatchEncoder.encode(0, blocks, "packs/p", 5).segment();
        assertThat(Frame.version(five)).isEqualTo(5);
        IndexSegment.decode(five, "s"); // as written: every fine bucket and mark is there
    }
}
